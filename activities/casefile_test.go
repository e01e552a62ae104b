package activities_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/socflow/socflow/activities"
)

// caseStore records what it was asked to store, failing with err.
type caseStore struct {
	err  error
	recs []activities.CaseRecord
}

func (c *caseStore) AppendCase(_ context.Context, rec activities.CaseRecord) error {
	c.recs = append(c.recs, rec)
	return c.err
}

func (c *caseStore) PreviousCase(_ context.Context, incidentID, caseID string) (*activities.CaseLink, error) {
	if caseID == "run-2" {
		return &activities.CaseLink{CaseID: "run-1", Status: "false_positive"}, nil
	}
	return nil, nil
}

// TestRecordCaseLinks asks for the previous case only when told to.
func TestRecordCaseLinks(t *testing.T) {
	cf := &activities.CaseFile{Store: &caseStore{}}
	rec := activities.CaseRecord{IncidentID: "incident/host:dc01", CaseID: "run-2", Batch: "run-2/1"}
	res, err := cf.RecordCase(context.Background(), activities.RecordCaseInput{Record: rec})
	if err != nil || res.Linked || res.Previous != nil {
		t.Fatalf("unasked: %+v, %v", res, err)
	}
	res, err = cf.RecordCase(context.Background(), activities.RecordCaseInput{Record: rec, Link: true})
	if err != nil || !res.Linked || res.Previous == nil || res.Previous.CaseID != "run-1" {
		t.Fatalf("asked: %+v, %v; want run-1", res, err)
	}
	rec.CaseID = "run-1"
	res, err = cf.RecordCase(context.Background(), activities.RecordCaseInput{Record: rec, Link: true})
	if err != nil || !res.Linked || res.Previous != nil {
		t.Fatalf("first case: %+v, %v; want linked to nothing", res, err)
	}
}

func TestRecordCase(t *testing.T) {
	rec := activities.CaseRecord{IncidentID: "incident/host:dc01", CaseID: "run-1", Batch: "run-1/1"}
	tests := []struct {
		name      string
		store     *caseStore
		wantErr   bool
		retryable bool
		typ       string
	}{
		{name: "stored", store: &caseStore{}},
		// A worker without a case store is a deployment to fix, not an
		// outage to wait out.
		{name: "no store", wantErr: true, typ: activities.ErrNotConfigured},
		{name: "store down", store: &caseStore{err: errors.New("database is locked")}, wantErr: true, retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cf := &activities.CaseFile{}
			if tt.store != nil {
				cf.Store = tt.store
			}
			_, err := cf.RecordCase(context.Background(), activities.RecordCaseInput{Record: rec})
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want an error: %v", err, tt.wantErr)
			}
			if tt.store != nil && (len(tt.store.recs) != 1 || tt.store.recs[0].Batch != rec.Batch) {
				t.Errorf("store received %+v, want the record once", tt.store.recs)
			}
			if err == nil {
				return
			}
			if !strings.HasPrefix(err.Error(), "case file incident/host:dc01: ") {
				t.Errorf("error %q does not name the incident", err)
			}
			var ae *temporal.ApplicationError
			if nonRetryable := errors.As(err, &ae) && ae.NonRetryable(); nonRetryable == tt.retryable {
				t.Errorf("error %v: non-retryable %v, want %v", err, nonRetryable, !tt.retryable)
			}
			if tt.typ != "" && !activities.IsType(err, tt.typ) {
				t.Errorf("error %v is not of type %s", err, tt.typ)
			}
		})
	}
}

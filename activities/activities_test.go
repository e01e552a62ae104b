package activities_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/httpx"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		retryable bool
		typ       string
		delay     time.Duration
	}{
		{"bad request", &httpx.StatusError{Code: 400}, false, activities.ErrBadRequest, 0},
		{"unauthorized", &httpx.StatusError{Code: 401}, false, activities.ErrUnauthorized, 0},
		{"forbidden", fmt.Errorf("wrapped: %w", &httpx.StatusError{Code: 403}), false, activities.ErrUnauthorized, 0},
		{"not found", &httpx.StatusError{Code: 404}, false, activities.ErrNotFound, 0},
		{"conflict", &httpx.StatusError{Code: 409}, false, activities.ErrBadRequest, 0},
		{"rate limited with Retry-After", &httpx.StatusError{Code: 429, RetryAfter: 7 * time.Second}, true, "RateLimited", 7 * time.Second},
		{"rate limited without", &httpx.StatusError{Code: 429}, true, "", 0},
		{"server error", &httpx.StatusError{Code: 502}, true, "", 0},
		{"network", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true, "", 0},
		{"not configured", fmt.Errorf("x: %w", httpx.ErrNotConfigured), false, activities.ErrNotConfigured, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := activities.Classify("edr: isolate", tc.err)
			if !strings.HasPrefix(err.Error(), "edr: isolate: ") {
				t.Errorf("error %q lacks the prefix", err)
			}
			var ae *temporal.ApplicationError
			isApp := errors.As(err, &ae)
			if tc.retryable == (isApp && ae.NonRetryable()) {
				t.Errorf("retryable = %v, want %v (%v)", !tc.retryable, tc.retryable, err)
			}
			if tc.typ != "" && !activities.IsType(err, tc.typ) {
				t.Errorf("type of %v is not %s", err, tc.typ)
			}
			if tc.delay > 0 && (!isApp || ae.NextRetryDelay() != tc.delay) {
				t.Errorf("next retry delay = %v, want %v", ae.NextRetryDelay(), tc.delay)
			}
		})
	}
	if activities.Classify("x", nil) != nil {
		t.Error("Classify(nil) must be nil")
	}
}

type flaky map[string]error

func (f flaky) Lookup(_ context.Context, ind string) ([]alert.IntelHit, error) {
	if err := f[ind]; err != nil {
		return nil, err
	}
	return []alert.IntelHit{{Indicator: ind, Source: "vt", Confidence: 50}}, nil
}

func TestOnlineIntelPartialAndTotalFailure(t *testing.T) {
	down := &httpx.StatusError{Code: 503}
	e := &activities.Enrich{Online: map[string]activities.OnlineIntel{"vt": flaky{"b": down, "c": down}}}
	res, err := e.LookupOnlineIntel(context.Background(), activities.LookupOnlineIntelInput{Provider: "vt", Indicators: []string{"a", "b"}})
	if err != nil || len(res.Hits) != 1 || !strings.Contains(res.Partial, "1 of 2") {
		t.Fatalf("partial failure = %+v, %v; want the hit and a partial note", res, err)
	}
	_, err = e.LookupOnlineIntel(context.Background(), activities.LookupOnlineIntelInput{Provider: "vt", Indicators: []string{"b", "c"}})
	if err == nil {
		t.Fatal("total failure must be an error (a gap)")
	}
	_, err = e.LookupOnlineIntel(context.Background(), activities.LookupOnlineIntelInput{Provider: "nope", Indicators: []string{"a"}})
	if !activities.IsType(err, activities.ErrNotConfigured) {
		t.Fatalf("unknown provider: %v", err)
	}
}

func TestContainDrillTouchesNothing(t *testing.T) {
	c := &activities.Contain{} // no EDR: a real call would fail
	res, err := c.IsolateHost(context.Background(), activities.ContainInput{Action: alert.NewAction(alert.ActionIsolateHost, "ws-1", "drill"), Drill: true})
	if err != nil || !strings.Contains(res.Detail, "drill") {
		t.Fatalf("drill isolate = %+v, %v", res, err)
	}
	_, err = c.IsolateHost(context.Background(), activities.ContainInput{Action: alert.NewAction(alert.ActionIsolateHost, "ws-1", "real")})
	if !activities.IsType(err, activities.ErrNotConfigured) {
		t.Fatalf("isolate without an EDR: %v, want NotConfigured", err)
	}
}

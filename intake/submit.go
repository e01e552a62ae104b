package intake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake/decode"
	"github.com/socflow/socflow/policy"
	"github.com/socflow/socflow/workflows"
)

// Submitter hands alerts to Temporal. It calls the workflow service
// directly rather than through client.SignalWithStartWorkflow because only
// the raw response says whether the call started a run or signalled a
// running one, which is how a caller learns its alert was a duplicate.
type Submitter struct {
	Service   workflowservice.WorkflowServiceClient
	Namespace string
	TaskQueue string
	// Converter must match the workers' data converter.
	Converter converter.DataConverter
	// Fingerprints returns the policy's fingerprint rules in force.
	Fingerprints func() []policy.FingerprintRule
	Identity     string
	// Formats decodes vendor formats; nil reads only socflow's native
	// format.
	Formats *decode.Registry
	// Concurrency bounds the calls in flight for one batch.
	Concurrency int
	Now         func() time.Time
}

// Result is what happened to one accepted alert.
type Result struct {
	Index      int    `json:"index"`
	WorkflowID string `json:"workflow_id"`
	// Duplicate is true when the alert joined a run already in progress,
	// or an earlier alert of the same batch, instead of starting one.
	Duplicate bool `json:"duplicate"`
}

// Rejection is an entry refused for what it contains.
type Rejection struct {
	Index int    `json:"index"`
	Line  int    `json:"line,omitempty"`
	Error string `json:"error"`
}

// Response is the answer to one batch, for the HTTP API and the CLI alike.
type Response struct {
	// Accepted counts alerts Temporal has durably accepted, duplicates
	// included.
	Accepted   int         `json:"accepted"`
	Duplicates int         `json:"duplicates"`
	Rejected   []Rejection `json:"rejected"`
	// Failed lists valid alerts Temporal did not accept (it was
	// unreachable): resend them.
	Failed  []Rejection `json:"failed,omitempty"`
	Results []Result    `json:"results"`
	// Skipped counts events that are not alerts (Suricata flow records,
	// Falcon non-detection events), by reason; they are dropped on purpose
	// and said so.
	Skipped     int            `json:"skipped,omitempty"`
	SkipReasons map[string]int `json:"skip_reasons,omitempty"`
}

// Ingest parses a body in the given format ("" detects it per entry) and
// submits every valid alert. It returns an error only when the body is
// malformed as a whole (wrapping ErrMalformed).
func (s *Submitter) Ingest(ctx context.Context, body []byte, format string) (*Response, error) {
	if err := s.CheckFormat(format); err != nil {
		return nil, err
	}
	b, err := ParseFormat(body, s.Formats, format)
	if err != nil {
		return nil, err
	}
	resp := s.SubmitItems(ctx, b.Items)
	resp.Skipped, resp.SkipReasons = b.Skipped, b.SkipReasons
	return resp, nil
}

// SubmitItems submits the valid items and reports on all of them.
func (s *Submitter) SubmitItems(ctx context.Context, items []Item) *Response {
	resp := &Response{Rejected: []Rejection{}, Results: []Result{}}
	type group struct {
		fp      string
		indexes []int
	}
	groups := map[string]*group{}
	var order []*group
	for _, it := range items {
		if it.Err != nil {
			resp.Rejected = append(resp.Rejected, Rejection{Index: it.Index, Line: it.Line, Error: it.Err.Error()})
			continue
		}
		fp := Fingerprint(it.Alert, s.fingerprintRules())
		g, ok := groups[fp]
		if !ok {
			g = &group{fp: fp}
			groups[fp] = g
			order = append(order, g)
		}
		g.indexes = append(g.indexes, it.Index)
	}
	byIndex := make(map[int]*alert.Alert, len(items))
	for _, it := range items {
		byIndex[it.Index] = it.Alert
	}

	type outcome struct {
		started bool
		err     error
	}
	outcomes := make([]outcome, len(order))
	sem := make(chan struct{}, max(s.Concurrency, 1))
	var wg sync.WaitGroup
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	received := now().UTC()
	for i, g := range order {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			// The batch's first occurrence carries the alert; the count
			// stands for every occurrence of the fingerprint in the batch.
			sig := workflows.AlertSignal{Alert: *byIndex[g.indexes[0]], Count: len(g.indexes), ReceivedAt: received}
			for _, idx := range g.indexes {
				sig.IDs = append(sig.IDs, byIndex[idx].ID)
			}
			started, err := s.signalWithStart(ctx, g.fp, sig)
			outcomes[i] = outcome{started: started, err: err}
		}()
	}
	wg.Wait()

	for i, g := range order {
		o := outcomes[i]
		if o.err != nil {
			for _, idx := range g.indexes {
				resp.Failed = append(resp.Failed, Rejection{Index: idx, Error: o.err.Error()})
			}
			continue
		}
		for j, idx := range g.indexes {
			dup := j > 0 || !o.started
			resp.Results = append(resp.Results, Result{Index: idx, WorkflowID: workflows.AlertWorkflowID(g.fp), Duplicate: dup})
			resp.Accepted++
			if dup {
				resp.Duplicates++
			}
		}
	}
	sortResults(resp.Results)
	return resp
}

// ErrUnknownFormat is a forced format that no decoder knows.
var ErrUnknownFormat = errors.New("unknown alert format")

// CheckFormat reports whether a forced format name is known ("" always is).
func (s *Submitter) CheckFormat(format string) error {
	if format == "" {
		return nil
	}
	if s.Formats == nil {
		if format == "native" {
			return nil
		}
		return fmt.Errorf("%w %q: this intake reads only the native format", ErrUnknownFormat, format)
	}
	if _, found := s.Formats.Get(format); !found {
		return fmt.Errorf("%w %q: known formats are %s", ErrUnknownFormat, format, strings.Join(s.Formats.Names(), ", "))
	}
	return nil
}

func (s *Submitter) fingerprintRules() []policy.FingerprintRule {
	if s.Fingerprints == nil {
		return nil
	}
	return s.Fingerprints()
}

// signalWithStart delivers one occurrence signal, starting the run if none
// is open for the fingerprint, and reports whether it started one.
func (s *Submitter) signalWithStart(ctx context.Context, fp string, sig workflows.AlertSignal) (bool, error) {
	dc := s.Converter
	if dc == nil {
		dc = converter.GetDefaultDataConverter()
	}
	input, err := dc.ToPayloads(workflows.RespondToAlertInput{Fingerprint: fp})
	if err != nil {
		return false, fmt.Errorf("intake: encode input: %w", err)
	}
	signal, err := dc.ToPayloads(sig)
	if err != nil {
		return false, fmt.Errorf("intake: encode alert: %w", err)
	}
	id := workflows.AlertWorkflowID(fp)
	resp, err := s.Service.SignalWithStartWorkflowExecution(ctx, &workflowservice.SignalWithStartWorkflowExecutionRequest{
		Namespace:                s.Namespace,
		WorkflowId:               id,
		WorkflowType:             &commonpb.WorkflowType{Name: workflows.RespondToAlertType},
		TaskQueue:                &taskqueuepb.TaskQueue{Name: s.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Input:                    input,
		SignalName:               workflows.SignalAlert,
		SignalInput:              signal,
		Identity:                 s.Identity,
		RequestId:                requestID(),
		WorkflowIdReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		WorkflowIdConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	})
	if err != nil {
		return false, fmt.Errorf("temporal: signal-with-start %s: %w", id, err)
	}
	return resp.GetStarted(), nil
}

// requestID makes the server deduplicate the SDK's own retries of one call.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func sortResults(rs []Result) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Index < rs[j].Index })
}

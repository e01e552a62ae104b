package intake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

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
	// CodecOverhead, when positive, says Converter is the SDK's default
	// converter wrapped in a payload codec (converter.NewCodecDataConverter)
	// that adds at most this many bytes to a payload (codec.Codec.Overhead),
	// so that a small alert is sized without being encrypted. With any
	// converter but the default and no CodecOverhead, every alert is
	// encoded to be sized.
	CodecOverhead int
	// Fingerprints returns the policy's fingerprint rules in force.
	Fingerprints func() []policy.FingerprintRule
	Identity     string
	// Formats decodes vendor formats; nil reads only socflow's native
	// format.
	Formats *decode.Registry
	// Concurrency bounds the calls in flight for one batch.
	Concurrency int
	// MaxAlerts bounds the alerts of one request (DefaultMaxAlerts when
	// zero): a request over it is refused whole, before Temporal sees it.
	MaxAlerts int
	Now       func() time.Time

	// merge joins concurrent requests' occurrences of one fingerprint.
	merge coalescer
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
	// TooLarge says the alert is over a size Temporal takes
	// (alert.MaxEncodedBytes, or Temporal's own limits): the HTTP API
	// answers 413 rather than 400 when nothing else was accepted.
	TooLarge bool `json:"too_large,omitempty"`
}

// ErrTooLarge is an alert over alert.MaxEncodedBytes as Temporal would
// receive it, or one Temporal refused for its size.
var ErrTooLarge = errors.New("too large for Temporal")

// MaxSignalBytes bounds one alert signal: the alert (at most
// alert.MaxEncodedBytes) and the source IDs of the occurrences it stands
// for. It is Temporal's warning size for an event (limit.blobSize.warn), a
// quarter of the size it refuses and an eighth of a gRPC message, so the
// occurrences of a fingerprint whose IDs would not fit are sent in several
// signals rather than refused.
const MaxSignalBytes = 512 << 10

// Response is the answer to one batch, for the HTTP API and the CLI alike.
type Response struct {
	// Accepted counts alerts Temporal has durably accepted, duplicates
	// included.
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	// Rejected lists the first MaxRejectionsListed rejections, in entry
	// order; RejectedTotal counts them all, and TooLarge those refused
	// for their size.
	Rejected      []Rejection `json:"rejected"`
	RejectedTotal int         `json:"rejected_total"`
	TooLarge      int         `json:"too_large,omitempty"`
	// Failed lists valid alerts Temporal did not accept for now
	// (unreachable, rate limited, out of time): resend them. An alert
	// Temporal refuses for what it is goes to Rejected instead.
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
func (s *Submitter) Ingest(ctx context.Context, body []byte, format string, from Origin) (*Response, error) {
	if err := s.CheckFormat(format); err != nil {
		return nil, err
	}
	b, err := ParseFormat(body, s.Formats, format)
	if err != nil {
		return nil, err
	}
	if err := s.CheckCount(b); err != nil {
		return nil, err
	}
	from.Stamp(b.Items)
	resp := s.SubmitItems(ctx, b.Items)
	resp.Skipped, resp.SkipReasons = b.Skipped, b.SkipReasons
	return resp, nil
}

// SubmitItems submits the valid items and reports on all of them. An alert
// over alert.MaxEncodedBytes, encoded by the workers' converter as
// Temporal will receive it, is rejected naming its largest field; the
// others are merged by fingerprint and signalled, one run per fingerprint.
func (s *Submitter) SubmitItems(ctx context.Context, items []Item) *Response {
	resp := &Response{Rejected: []Rejection{}, Results: []Result{}}
	dc := s.converter()
	type group struct {
		fp    string
		items []Item
		out   []delivery
	}
	groups := map[string]*group{}
	var order []*group
	for _, it := range items {
		if it.Err != nil {
			resp.reject(it, it.Err)
			continue
		}
		if err := checkEncoded(dc, s.CodecOverhead, it.Alert); errors.Is(err, ErrTooLarge) {
			resp.reject(it, err)
			continue
		} else if err != nil {
			resp.fail(it, err)
			continue
		}
		fp := Fingerprint(it.Alert, s.fingerprintRules())
		g, ok := groups[fp]
		if !ok {
			g = &group{fp: fp}
			groups[fp] = g
			order = append(order, g)
		}
		g.items = append(g.items, it)
	}

	sem := make(chan struct{}, max(s.Concurrency, 1))
	var wg sync.WaitGroup
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	received := now().UTC()
	for _, g := range order {
		g.out = make([]delivery, len(g.items))
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.submit(ctx, dc, g.fp, g.items, received, g.out)
		}()
	}
	wg.Wait()

	for _, g := range order {
		for j, it := range g.items {
			o := g.out[j]
			switch {
			case o.err == nil:
				dup := !o.started
				resp.Results = append(resp.Results, Result{Index: it.Index, WorkflowID: workflows.AlertWorkflowID(g.fp), Duplicate: dup})
				resp.Accepted++
				if dup {
					resp.Duplicates++
				}
			case o.refused:
				resp.reject(it, o.err)
			default:
				resp.fail(it, o.err)
			}
		}
	}
	resp.sortByEntry()
	resp.RejectedTotal = len(resp.Rejected)
	for _, r := range resp.Rejected {
		if r.TooLarge {
			resp.TooLarge++
		}
	}
	if len(resp.Rejected) > MaxRejectionsListed {
		resp.Rejected = resp.Rejected[:MaxRejectionsListed:MaxRejectionsListed]
	}
	return resp
}

// MaxRejectionsListed bounds the rejections an answer lists: a megabyte of
// "{}" lines once drew an 88 MB answer, one rejection each. The first
// ones say what is wrong; RejectedTotal says how many.
const MaxRejectionsListed = 100

// DefaultMaxAlerts is Submitter.MaxAlerts when it is not set.
const DefaultMaxAlerts = 10_000

// TooManyError refuses a request with more alerts than the cap.
type TooManyError struct{ Alerts, Max int }

func (e *TooManyError) Error() string {
	return fmt.Sprintf("the request holds %d alerts, at most %d per request (server.max_alerts_per_request): split it", e.Alerts, e.Max)
}

// CheckCount refuses a parsed batch over MaxAlerts, counting every entry
// (a rejected one too: answering it costs as much).
func (s *Submitter) CheckCount(b *Batch) error {
	limit := s.MaxAlerts
	if limit <= 0 {
		limit = DefaultMaxAlerts
	}
	if n := len(b.Items); n > limit {
		return &TooManyError{Alerts: n, Max: limit}
	}
	return nil
}

func (r *Response) reject(it Item, err error) {
	r.Rejected = append(r.Rejected, Rejection{Index: it.Index, Line: it.Line, Error: err.Error(), TooLarge: errors.Is(err, ErrTooLarge)})
}

func (r *Response) fail(it Item, err error) {
	r.Failed = append(r.Failed, Rejection{Index: it.Index, Line: it.Line, Error: err.Error()})
}

// delivery is what became of one occurrence: started is set on the first
// occurrence of a signal that started the run, refused when Temporal will
// never take it (resending cannot help).
type delivery struct {
	started, refused bool
	err              error
}

// deliver signals the occurrences of one fingerprint, in order. The batch's
// first occurrence carries the alert and the count stands for every
// occurrence; when the signal would exceed MaxSignalBytes (very many or
// very long IDs) the occurrences are halved into as many signals as it
// takes, each carrying its own first occurrence.
func (s *Submitter) deliver(ctx context.Context, dc converter.DataConverter, fp string, items []Item, received time.Time, out []delivery) {
	sig := workflows.AlertSignal{Alert: *items[0].Alert, Count: len(items), ReceivedAt: received}
	for _, it := range items {
		sig.IDs = append(sig.IDs, it.Alert.ID)
	}
	payload, err := dc.ToPayloads(sig)
	if err == nil && proto.Size(payload) > MaxSignalBytes && len(items) > 1 {
		half := len(items) / 2
		s.deliver(ctx, dc, fp, items[:half], received, out[:half])
		s.deliver(ctx, dc, fp, items[half:], received, out[half:])
		return
	}
	var d delivery
	if err != nil {
		d.err = fmt.Errorf("intake: encode alert: %w", err)
	} else {
		d.started, d.err = s.signalWithStart(ctx, dc, fp, payload, alert.AlertMetadata(*items[0].Alert))
		d.refused, _ = classify(d.err)
	}
	for i := range out {
		out[i] = delivery{refused: d.refused, err: d.err}
	}
	out[0].started = d.started
}

// payloadOverhead bounds what a payload adds to its data: the encoding
// metadata ("encoding": "json/plain") and protobuf framing, 30-odd bytes.
const payloadOverhead = 64

// checkEncoded refuses an alert over alert.MaxEncodedBytes as dc encodes it,
// which is what Temporal receives: JSON escaping can make an alert several
// times the size it was sent at.
//
// With the SDK's default converter (JSON, no codec), or that converter
// behind a codec whose growth codecOverhead bounds, an alert whose
// jsonBound clears the limit is not encoded at all. The codec's overhead
// counts: an alert just under the limit in clear is over it encrypted.
func checkEncoded(dc converter.DataConverter, codecOverhead int, a *alert.Alert) error {
	fast := dc == converter.GetDefaultDataConverter() || codecOverhead > 0
	if fast && jsonBound(reflect.ValueOf(a))+payloadOverhead+max(codecOverhead, 0) <= alert.MaxEncodedBytes {
		return nil
	}
	p, err := dc.ToPayload(a)
	if err != nil {
		return fmt.Errorf("intake: encode alert: %w", err)
	}
	if n := proto.Size(p); n > alert.MaxEncodedBytes {
		field, size := a.LargestField()
		return fmt.Errorf("%w: the alert is %d bytes encoded, at most %d; its largest field is %s (%d bytes): send fewer or shorter values",
			ErrTooLarge, n, alert.MaxEncodedBytes, field, size)
	}
	return nil
}

// classify reports whether Temporal refused a call for what it carries, so
// that resending it would fail the same way, and whether for its size: an
// invalid argument (Temporal's own size limits included), or a gRPC
// message over the size limit. Every other error (unavailable, rate
// limited, out of time, and configuration errors such as an unknown
// namespace, which an operator fixes) leaves the alert to be resent.
func classify(err error) (refused, tooLarge bool) {
	code, msg := statusOf(err)
	switch code {
	case codes.InvalidArgument:
		return true, tooLargeMessage(msg)
	case codes.ResourceExhausted:
		// Rate limits are ResourceExhausted too, and pass.
		return tooLargeMessage(msg), tooLargeMessage(msg)
	}
	return false, false
}

// statusOf returns the gRPC code and message of a Temporal error, whether
// the SDK converted it to a serviceerror or it is a bare gRPC status.
func statusOf(err error) (codes.Code, string) {
	if err == nil {
		return codes.OK, ""
	}
	var se interface{ Status() *status.Status }
	if errors.As(err, &se) {
		st := se.Status()
		return st.Code(), st.Message()
	}
	if st, ok := status.FromError(err); ok {
		return st.Code(), st.Message()
	}
	return codes.Unknown, err.Error()
}

// tooLargeMessage recognises the size errors of Temporal ("Blob data size
// exceeds limit.") and gRPC ("received message larger than max").
func tooLargeMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "larger than") || strings.Contains(m, "too large") ||
		(strings.Contains(m, "size") && (strings.Contains(m, "exceed") || strings.Contains(m, "limit")))
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

func (s *Submitter) converter() converter.DataConverter {
	if s.Converter == nil {
		return converter.GetDefaultDataConverter()
	}
	return s.Converter
}

// signalWithStart delivers one encoded alert signal, starting the run if
// none is open for the fingerprint, and reports whether it started one. An
// error Temporal answered for the request's content (refused) says so in
// its text, and wraps ErrTooLarge when it was the size.
// meta is what the Temporal UI shows of a run the call starts, encoded
// with the workers' converter as the SDK encodes user metadata.
func (s *Submitter) signalWithStart(ctx context.Context, dc converter.DataConverter, fp string, signal *commonpb.Payloads, meta alert.UIMetadata) (bool, error) {
	input, err := dc.ToPayloads(workflows.RespondToAlertInput{Fingerprint: fp})
	if err != nil {
		return false, fmt.Errorf("intake: encode input: %w", err)
	}
	summary, err := dc.ToPayload(meta.Summary)
	if err != nil {
		return false, fmt.Errorf("intake: encode summary: %w", err)
	}
	details, err := dc.ToPayload(meta.Details)
	if err != nil {
		return false, fmt.Errorf("intake: encode details: %w", err)
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
		UserMetadata:             &sdkpb.UserMetadata{Summary: summary, Details: details},
	})
	if err != nil {
		switch refused, tooLarge := classify(err); {
		case tooLarge:
			return false, fmt.Errorf("temporal refused signal-with-start %s: %w: %w", id, ErrTooLarge, err)
		case refused:
			return false, fmt.Errorf("temporal refused signal-with-start %s: %w", id, err)
		}
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

// sortByEntry puts results, rejections and failures in entry order; the
// alerts of one entry (a page) keep theirs.
func (r *Response) sortByEntry() {
	sort.SliceStable(r.Results, func(i, j int) bool { return r.Results[i].Index < r.Results[j].Index })
	sort.SliceStable(r.Rejected, func(i, j int) bool { return r.Rejected[i].Index < r.Rejected[j].Index })
	sort.SliceStable(r.Failed, func(i, j int) bool { return r.Failed[i].Index < r.Failed[j].Index })
}

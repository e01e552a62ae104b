package intake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/intake/decode"
)

// nativeAlert is alertJSON("dc01", "r1") as a map, edited, then encoded:
// tests set fields of any size without building JSON by hand.
func nativeAlert(t *testing.T, edit func(m map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(alertJSON("dc01", "r1")), &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	// Unescaped, as a SIEM would send it: '<' is one byte on the wire.
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(b.String())
}

func entities(m map[string]any) map[string]any { return m["entities"].(map[string]any) }

func repeat(s string, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d.example", s, i)
	}
	return out
}

// TestParseBoundsFields checks every field that reaches a search attribute,
// a query result or a message: free text is cut at a UTF-8 boundary with a
// visible marker and named in the socflow.truncated label; a name that
// identifies something socflow acts on is refused, naming the field.
func TestParseBoundsFields(t *testing.T) {
	big := func(n int) string { return strings.Repeat("<", n) }
	truncated := []struct {
		name  string
		edit  func(m map[string]any)
		get   func(a *alert.Alert) []string
		max   int
		field string
	}{
		{"rule", func(m map[string]any) { m["rule"] = big(100 << 10) },
			func(a *alert.Alert) []string { return []string{a.Rule} }, alert.MaxNameBytes, "rule"},
		{"title", func(m map[string]any) { m["title"] = strings.Repeat("🔥", 900<<10/4) },
			func(a *alert.Alert) []string { return []string{a.Title} }, alert.MaxTitleBytes, "title"},
		{"description", func(m map[string]any) { m["description"] = strings.Repeat("é", 50<<10) },
			func(a *alert.Alert) []string { return []string{a.Description} }, alert.MaxDescriptionBytes, "description"},
		{"category", func(m map[string]any) { m["category"] = big(1000) },
			func(a *alert.Alert) []string { return []string{a.Category} }, alert.MaxNameBytes, "category"},
		{"command line", func(m map[string]any) {
			entities(m)["processes"] = []any{map[string]any{"name": "powershell.exe", "command_line": big(100 << 10)}}
		}, func(a *alert.Alert) []string { return []string{a.Entities.Processes[0].CommandLine} }, alert.MaxCommandLineBytes, "entities.processes.command_line"},
		{"URL", func(m map[string]any) { entities(m)["urls"] = []any{"https://evil.example/?q=" + big(10<<10)} },
			func(a *alert.Alert) []string { return a.Entities.URLs }, alert.MaxURLBytes, "entities.urls"},
		{"label value", func(m map[string]any) { m["labels"] = map[string]any{"note": big(10 << 10)} },
			func(a *alert.Alert) []string { return []string{a.Labels["note"]} }, alert.MaxLabelValueBytes, "labels"},
		{"host OS", func(m map[string]any) { entities(m)["hosts"] = []any{map[string]any{"name": "dc01", "os": big(1000)}} },
			func(a *alert.Alert) []string { return []string{a.Entities.Hosts[0].OS} }, alert.MaxNameBytes, "entities.hosts.os"},
	}
	for _, tt := range truncated {
		t.Run(tt.name, func(t *testing.T) {
			items := parse(t, nativeAlert(t, tt.edit))
			a := items[0].Alert
			if a == nil {
				t.Fatalf("rejected: %v", items[0].Err)
			}
			for _, v := range tt.get(a) {
				if len(v) > tt.max || !strings.HasSuffix(v, "…") || !utf8.ValidString(v) {
					t.Errorf("%s is %d bytes ending %q, want at most %d, valid UTF-8, ending in …", tt.name, len(v), v[max(0, len(v)-8):], tt.max)
				}
			}
			if got := a.Labels[alert.LabelTruncated]; !strings.Contains(","+got+",", ","+tt.field+",") {
				t.Errorf("label %s = %q, want it to list %s", alert.LabelTruncated, got, tt.field)
			}
		})
	}

	lists := []struct {
		name  string
		edit  func(m map[string]any)
		count func(a *alert.Alert) int
		max   int
		field string
	}{
		{"domains", func(m map[string]any) { entities(m)["domains"] = repeat("d", 1000) },
			func(a *alert.Alert) int { return len(a.Entities.Domains) }, alert.MaxEntities, "entities.domains"},
		{"labels", func(m map[string]any) {
			l := map[string]any{}
			for i := range 300 {
				l[fmt.Sprintf("k%03d", i)] = "v"
			}
			m["labels"] = l
		}, func(a *alert.Alert) int { return len(a.Labels) - 1 }, alert.MaxLabels, "labels"},
		{"techniques", func(m map[string]any) { m["techniques"] = repeat("T", 1000) },
			func(a *alert.Alert) int { return len(a.Techniques) }, alert.MaxEntities, "techniques"},
	}
	for _, tt := range lists {
		t.Run(tt.name, func(t *testing.T) {
			items := parse(t, nativeAlert(t, tt.edit))
			a := items[0].Alert
			if a == nil {
				t.Fatalf("rejected: %v", items[0].Err)
			}
			if n := tt.count(a); n != tt.max {
				t.Errorf("%d %s kept, want the first %d", n, tt.name, tt.max)
			}
			if got := a.Labels[alert.LabelTruncated]; !strings.Contains(got, tt.field) {
				t.Errorf("label %s = %q, want it to list %s", alert.LabelTruncated, got, tt.field)
			}
		})
	}

	rejected := []struct {
		name  string
		edit  func(m map[string]any)
		field string
	}{
		{"host name", func(m map[string]any) { entities(m)["hosts"] = []any{map[string]any{"name": strings.Repeat("h", 300)}} }, "entities.hosts[0].name"},
		{"host ID", func(m map[string]any) {
			entities(m)["hosts"] = []any{map[string]any{"name": "dc01"}, map[string]any{"id": strings.Repeat("i", 300)}}
		}, "entities.hosts[1].id"},
		{"user name", func(m map[string]any) { entities(m)["users"] = []any{map[string]any{"name": strings.Repeat("u", 300)}} }, "entities.users[0].name"},
		{"source", func(m map[string]any) { m["source"] = strings.Repeat("s", 300) }, "source"},
		{"alert ID", func(m map[string]any) { m["id"] = strings.Repeat("x", 300) }, "id"},
		{"domain", func(m map[string]any) { entities(m)["domains"] = []any{strings.Repeat("a", 300) + ".example"} }, "entities.domains[0]"},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			items := parse(t, nativeAlert(t, tt.edit))
			if items[0].Err == nil {
				t.Fatalf("accepted, want a rejection naming %s", tt.field)
			}
			if msg := items[0].Err.Error(); !strings.Contains(msg, tt.field+":") || !strings.Contains(msg, "255") && !strings.Contains(msg, "253") {
				t.Errorf("error %q does not name %s and its bound", msg, tt.field)
			}
		})
	}
}

// TestParseBoundsVendorFormats checks that a vendor format is bounded and
// marked as the native one is.
func TestParseBoundsVendorFormats(t *testing.T) {
	body := `{"timestamp":"2026-05-14T12:00:00Z","event_type":"alert","src_ip":"192.0.2.1","alert":{"signature":"` +
		strings.Repeat("A", 5000) + `","category":"x"}}`
	b, err := intake.ParseFormat([]byte(body), decode.Builtin(), "suricata")
	if err != nil {
		t.Fatal(err)
	}
	a := b.Items[0].Alert
	if a == nil {
		t.Fatalf("rejected: %v", b.Items[0].Err)
	}
	if len(a.Rule) > alert.MaxNameBytes || len(a.Title) > alert.MaxTitleBytes {
		t.Errorf("rule %d bytes, title %d bytes; want at most %d and %d", len(a.Rule), len(a.Title), alert.MaxNameBytes, alert.MaxTitleBytes)
	}
	if got := a.Labels[alert.LabelTruncated]; !strings.Contains(got, "rule") || !strings.Contains(got, "title") {
		t.Errorf("label %s = %q, want rule and title", alert.LabelTruncated, got)
	}
}

// manyURLs is an alert whose every field is within its own bound but
// which, JSON-escaped as Temporal receives it ('<' is \u003c, six bytes),
// is far over the whole-alert bound, while its body is under it.
func manyURLs(t *testing.T) string {
	return nativeAlert(t, func(m map[string]any) {
		var urls []any
		for i := range 120 {
			urls = append(urls, fmt.Sprintf("https://e.example/%d?", i)+strings.Repeat("<", 1900))
		}
		entities(m)["urls"] = urls
	})
}

func TestSubmitRejectsOversizedAlert(t *testing.T) {
	body := manyURLs(t)
	if len(body) > alert.MaxEncodedBytes {
		t.Fatalf("fixture is %d bytes: it must be under the bound before escaping", len(body))
	}
	svc := &fakeService{}
	resp := newSubmitter(svc).SubmitItems(context.Background(), parse(t, ndjson(alertJSON("ws01", "r1"), body)))
	if len(resp.Rejected) != 1 || resp.Rejected[0].Index != 1 || resp.Rejected[0].Line != 2 || !resp.Rejected[0].TooLarge {
		t.Fatalf("rejected = %+v, want entry 1 on line 2, too large", resp.Rejected)
	}
	msg := resp.Rejected[0].Error
	for _, want := range []string{"entities.urls", fmt.Sprint(alert.MaxEncodedBytes)} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if len(svc.reqs) != 1 || resp.Accepted != 1 {
		t.Errorf("%d calls, %d accepted: the other alert must go through alone", len(svc.reqs), resp.Accepted)
	}
}

// TestSubmitTemporalRejects checks that Temporal refusing an alert for
// what it is is a rejection (resending cannot help), and that only
// Temporal being unable to take it now is a failure to resend.
func TestSubmitTemporalRejects(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		rejected bool
		tooLarge bool
	}{
		{"blob size limit", serviceerror.NewInvalidArgument("Blob data size exceeds limit."), true, true},
		{"gRPC message size", status.Error(codes.ResourceExhausted, "grpc: received message larger than max (5242880 vs. 4194304)"), true, true},
		{"other invalid argument", serviceerror.NewInvalidArgument("WorkflowId exceeds length limit."), true, false},
		{"unavailable", serviceerror.NewUnavailable("frontend unreachable"), false, false},
		{"rate limited", serviceerror.NewResourceExhausted(0, "namespace rate limit exceeded"), false, false},
		{"deadline", context.DeadlineExceeded, false, false},
		{"gRPC deadline", status.Error(codes.DeadlineExceeded, "context deadline exceeded"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &fakeService{answer: func(string) (bool, error) { return false, tt.err }}
			resp := newSubmitter(svc).SubmitItems(context.Background(), parse(t, ndjson(alertJSON("dc01", "r1"), alertJSON("dc01", "r1"))))
			if tt.rejected {
				if len(resp.Failed) != 0 || len(resp.Rejected) != 2 {
					t.Fatalf("failed %+v rejected %+v, want both occurrences rejected", resp.Failed, resp.Rejected)
				}
				r := resp.Rejected[1]
				if r.Index != 1 || r.Line != 2 || r.TooLarge != tt.tooLarge || !strings.Contains(r.Error, tt.err.Error()) {
					t.Errorf("rejection %+v, want entry 1 on line 2, too large %v, with Temporal's reason", r, tt.tooLarge)
				}
				return
			}
			if len(resp.Rejected) != 0 || len(resp.Failed) != 2 {
				t.Errorf("failed %+v rejected %+v, want both occurrences failed (to resend)", resp.Failed, resp.Rejected)
			}
		})
	}
}

// TestSubmitPageSignalsEachAlert checks that the alerts of one entry (a
// Graph page) each travel in their own signal, not the last one for all.
func TestSubmitPageSignalsEachAlert(t *testing.T) {
	body, err := os.ReadFile("decode/testdata/graph/alerts_page.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := intake.ParseFormat(body, decode.Builtin(), "")
	if err != nil {
		t.Fatal(err)
	}
	svc := &fakeService{}
	resp := newSubmitter(svc).SubmitItems(context.Background(), b.Items)
	if resp.Accepted != 2 || len(svc.reqs) != 2 {
		t.Fatalf("accepted %d in %d calls, want 2 and 2", resp.Accepted, len(svc.reqs))
	}
	for _, it := range b.Items {
		id := wfID(t, it)
		req := svc.byID(t)[id]
		if req == nil {
			t.Fatalf("no call for %s", id)
		}
		if sig := decodeSignal(t, req); sig.Alert.ID != it.Alert.ID || len(sig.IDs) != 1 || sig.IDs[0] != it.Alert.ID {
			t.Errorf("%s carries alert %s with IDs %v, want its own alert %s", id, sig.Alert.ID, sig.IDs, it.Alert.ID)
		}
	}
}

// TestSubmitSplitsLongIDLists checks that a storm of one fingerprint whose
// IDs together would exceed what one signal may carry reaches the run in
// several signals, none over the bound, with every ID and the exact count.
func TestSubmitSplitsLongIDLists(t *testing.T) {
	var lines []string
	for i := range 3000 {
		lines = append(lines, nativeAlert(t, func(m map[string]any) { m["id"] = fmt.Sprintf("%04d", i) + strings.Repeat("<", 200) }))
	}
	items := parse(t, ndjson(lines...))
	id := wfID(t, items[0])
	// As Temporal does with USE_EXISTING: only the first call starts.
	var mu sync.Mutex
	open := false
	svc := &fakeService{answer: func(string) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		started := !open
		open = true
		return started, nil
	}}
	resp := newSubmitter(svc).SubmitItems(context.Background(), items)
	if resp.Accepted != 3000 || resp.Duplicates != 2999 || len(resp.Rejected) != 0 || len(resp.Failed) != 0 {
		t.Fatalf("accepted %d duplicates %d rejected %v failed %v, want 3000, 2999, none, none",
			resp.Accepted, resp.Duplicates, resp.Rejected, resp.Failed)
	}
	if len(svc.reqs) < 2 {
		t.Fatalf("%d calls, want the IDs split over several signals", len(svc.reqs))
	}
	count, seen := 0, map[string]bool{}
	for _, req := range svc.reqs {
		if req.GetWorkflowId() != id {
			t.Errorf("call for %s, want %s", req.GetWorkflowId(), id)
		}
		if n := len(req.GetSignalInput().GetPayloads()[0].GetData()); n > intake.MaxSignalBytes {
			t.Errorf("signal payload %d bytes, want at most %d", n, intake.MaxSignalBytes)
		}
		var sig struct {
			Count int      `json:"count"`
			IDs   []string `json:"ids"`
		}
		if err := converter.GetDefaultDataConverter().FromPayloads(req.GetSignalInput(), &sig); err != nil {
			t.Fatal(err)
		}
		count += sig.Count
		if len(sig.IDs) != sig.Count {
			t.Errorf("signal counts %d occurrences with %d IDs", sig.Count, len(sig.IDs))
		}
		for _, v := range sig.IDs {
			seen[v] = true
		}
	}
	if count != 3000 || len(seen) != 3000 {
		t.Errorf("signals count %d occurrences with %d distinct IDs, want 3000 and 3000", count, len(seen))
	}
}

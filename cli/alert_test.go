package cli

import (
	"strings"
	"testing"
)

// TestAlertSubmitGolden: what alert submit prints for each alert (new or
// duplicate) on stdout, and for each rejection, the skipped events and the
// counts on stderr, as text and JSON; a rejection exits 5. The submitter
// is connected only once the file parsed, with the factory's clock.
func TestAlertSubmitGolden(t *testing.T) {
	for _, c := range []struct {
		goldenCase
		stdin   string
		connect int
	}{
		{goldenCase: goldenCase{name: "one", args: []string{"alert", "submit", "testdata/alerts/one.json"}}, connect: 1},
		{goldenCase: goldenCase{name: "one-json", args: []string{"-o", "json", "alert", "submit", "testdata/alerts/one.json"}}, connect: 1},
		{goldenCase: goldenCase{name: "batch", args: []string{"alert", "submit", "testdata/alerts/batch.ndjson"}, code: ExitRejected}, connect: 1},
		{goldenCase: goldenCase{name: "batch-json", args: []string{"alert", "submit", "-o", "json", "testdata/alerts/batch.ndjson"}, code: ExitRejected}, connect: 1},
		{goldenCase: goldenCase{name: "stdin", args: []string{"alert", "submit", "-"}}, stdin: `{"source":"okta","rule":"brute force","title":"Brute force against bob","severity":"high","time":"2026-05-14T09:00:00Z","entities":{"users":[{"name":"bob"}]}}`, connect: 1},
		{goldenCase: goldenCase{name: "malformed", args: []string{"alert", "submit", "-"}, code: ExitRejected}, stdin: "{\n  \"source\": \"suricata\",\n  \"rule\": ,\n}\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sub := &fakeSubmitter{}
			f, out, errOut := testFactory(nil)
			f.In = strings.NewReader(c.stdin)
			f.Alerts = sub.connect
			runGolden(t, "alert-submit", f, out, errOut, c.goldenCase)
			if sub.connected != c.connect || len(sub.submitted) != c.connect {
				t.Errorf("connected %d times and submitted %d batches, want %d", sub.connected, len(sub.submitted), c.connect)
			}
		})
	}
}

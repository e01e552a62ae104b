package cli

import (
	"net/http"
	"slices"
	"testing"

	"github.com/socflow/socflow/workflows"
)

// TestIncidentDecideGolden: the decision goes to the API as the flags
// say, once; its answer prints as text (approvals of a four-eyes request
// sorted by approver) or JSON, and a refusal or an unknown incident exits
// with its code.
func TestIncidentDecideGolden(t *testing.T) {
	const path = "/v1/incidents/host:dc01/decision"
	accepted := &workflows.DecideResult{Status: "accepted", Tier: "IR"}
	for _, c := range []struct {
		goldenCase
		call apiCall
	}{
		{
			goldenCase: goldenCase{name: "text", args: []string{"incident", "decide", "host:dc01", "--approve", "--action", "isolate_host:dc01", "--note", "seen it", "--api", "http://soc.example:8080"}},
			call:       apiCall{method: http.MethodPost, path: path, body: `{"verdict":"approve","actions":["isolate_host:dc01"],"note":"seen it"}`, answer: accepted},
		},
		{
			goldenCase: goldenCase{name: "json", args: []string{"-o", "json", "incident", "decide", "incident/host:dc01", "--deny", "--api", "http://soc.example:8080"}},
			call:       apiCall{method: http.MethodPost, path: path, body: `{"verdict":"deny"}`, answer: accepted},
		},
		{
			goldenCase: goldenCase{name: "four-eyes", args: []string{"incident", "decide", "host:dc01", "--approve", "--api", "http://soc.example:8080"}},
			call: apiCall{method: http.MethodPost, path: path, body: `{"verdict":"approve"}`, answer: &workflows.DecideResult{
				Status: "recorded", Tier: "IR", Approvals: 2, Needed: 3,
				Approved: map[string][]string{"zoe": {"block_ip:203.0.113.7"}, "alice": {"isolate_host:dc01", "block_ip:203.0.113.7"}},
			}},
		},
		{
			goldenCase: goldenCase{name: "four-eyes-json", args: []string{"incident", "decide", "host:dc01", "--approve", "--api", "http://soc.example:8080", "-o", "json"}},
			call: apiCall{method: http.MethodPost, path: path, body: `{"verdict":"approve"}`, answer: &workflows.DecideResult{
				Status: "recorded", Tier: "IR", Approvals: 2, Needed: 3,
				Approved: map[string][]string{"zoe": {"block_ip:203.0.113.7"}, "alice": {"isolate_host:dc01", "block_ip:203.0.113.7"}},
			}},
		},
		{
			goldenCase: goldenCase{name: "renew", args: []string{"incident", "decide", "host:dc01", "--renew", "--action", "isolate_host:dc01", "--note", "still beaconing", "--api", "http://soc.example:8080"}},
			call:       apiCall{method: http.MethodPost, path: path, body: `{"verdict":"renew","actions":["isolate_host:dc01"],"note":"still beaconing"}`, answer: accepted},
		},
		{
			goldenCase: goldenCase{name: "renew-all", args: []string{"incident", "decide", "host:dc01", "--renew", "--api", "http://soc.example:8080"}},
			call:       apiCall{method: http.MethodPost, path: path, body: `{"verdict":"renew"}`, answer: accepted},
		},
		{
			goldenCase: goldenCase{name: "refused", args: []string{"incident", "decide", "host:dc01", "--approve", "--on-behalf-of", "bob", "--api", "http://soc.example:8080"}, code: ExitRejected},
			call: apiCall{method: http.MethodPost, path: path, body: `{"verdict":"approve","on_behalf_of":"bob"}`,
				err: &apiStatusError{Status: http.StatusConflict, Msg: "decision refused: bob may not decide at tier IR"}},
		},
		{
			goldenCase: goldenCase{name: "not-found", args: []string{"incident", "decide", "host:dc01", "--false-positive", "--api", "http://soc.example:8080"}, code: ExitNotFound},
			call:       apiCall{method: http.MethodPost, path: path, body: `{"verdict":"false_positive"}`, err: &apiStatusError{Status: http.StatusNotFound, Msg: "no incident host:dc01"}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := newFakeAPI(t, c.call)
			f, out, errOut := testFactory(nil)
			f.API = api.client
			runGolden(t, "incident-decide", f, out, errOut, c.goldenCase)
			if want := []APIFlags{{URL: "http://soc.example:8080"}}; !slices.Equal(api.flags, want) {
				t.Errorf("API clients for %+v, want %+v", api.flags, want)
			}
		})
	}
}

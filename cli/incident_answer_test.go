package cli

import (
	"net/http"
	"testing"

	"github.com/socflow/socflow/workflows"
)

// TestIncidentAnswerGolden: the answer goes to the API once, the words
// after the question joined; its answer prints as text or JSON, and a
// refusal or an unknown incident exits with its code.
func TestIncidentAnswerGolden(t *testing.T) {
	const path = "/v1/incidents/host:dc01/answer"
	accepted := &workflows.AnswerResult{Status: "accepted", Answer: "yes"}
	for _, c := range []struct {
		goldenCase
		call apiCall
	}{
		{
			goldenCase: goldenCase{name: "text", args: []string{"incident", "answer", "host:dc01", "isolate-now", "YES", "--api", "http://soc.example:8080"}},
			call:       apiCall{method: http.MethodPost, path: path, body: `{"question":"isolate-now","answer":"YES"}`, answer: accepted},
		},
		{
			goldenCase: goldenCase{name: "free-text-json", args: []string{"-o", "json", "incident", "answer", "incident/host:dc01", "q1", "the", "infra", "team", "--api", "http://soc.example:8080"}},
			call:       apiCall{method: http.MethodPost, path: path, body: `{"question":"q1","answer":"the infra team"}`, answer: &workflows.AnswerResult{Status: "accepted", Answer: "the infra team"}},
		},
		{
			goldenCase: goldenCase{name: "refused", args: []string{"incident", "answer", "host:dc01", "isolate-now", "maybe", "--api", "http://soc.example:8080"}, code: ExitRejected},
			call: apiCall{method: http.MethodPost, path: path, body: `{"question":"isolate-now","answer":"maybe"}`,
				err: &apiStatusError{Status: http.StatusConflict, Msg: `"maybe" is not an answer to question isolate-now: choose yes, no`}},
		},
		{
			goldenCase: goldenCase{name: "not-found", args: []string{"incident", "answer", "host:dc01", "q1", "yes", "--api", "http://soc.example:8080"}, code: ExitNotFound},
			call:       apiCall{method: http.MethodPost, path: path, body: `{"question":"q1","answer":"yes"}`, err: &apiStatusError{Status: http.StatusNotFound, Msg: "no incident host:dc01"}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			api := newFakeAPI(t, c.call)
			f, out, errOut := testFactory(nil)
			f.API = api.client
			runGolden(t, "incident-answer", f, out, errOut, c.goldenCase)
		})
	}
}

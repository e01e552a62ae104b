package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/httpapi"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/workflows"
)

// extraRoutes are the routes the API serves through Options.Extra that
// the document describes: worker.NewAPI mounts Slack's when Slack is
// configured (worker's TestSlackManifest holds it to the manifest).
var extraRoutes = []string{"POST /slack/interactions"}

// openAPIDoc fetches the document as a client does: without a credential.
func openAPIDoc(t *testing.T) []byte {
	t.Helper()
	e := newEnv(t, nil)
	a := e.do(t, "GET", "/v1/openapi.json", "", noToken, "")
	if a.code != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /v1/openapi.json without a credential: %d %s", a.code, a.header.Get("Content-Type"))
	}
	return a.body
}

// TestOpenAPIRoutes: the document is OpenAPI 3.1 that kin-openapi
// validates; it has an operation for every route httpapi registers (and
// the Extra routes) and none other; each operation names the role its
// route needs in x-socflow-role, and public ones need no credential.
func TestOpenAPIRoutes(t *testing.T) {
	body := openAPIDoc(t)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(doc.OpenAPI) {
		t.Fatalf("openapi %q, want 3.1.x", doc.OpenAPI)
	}
	loaded, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI document: %v", err)
	}

	want := map[string]string{}
	for pattern, role := range httpapi.Routes() {
		switch role {
		case "":
			want[pattern] = "public"
		case httpapi.AnyRole:
			want[pattern] = "any"
		default:
			want[pattern] = string(role)
		}
	}
	for _, p := range extraRoutes {
		want[p] = "public" // they authenticate themselves
	}
	got := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if !slices.Contains([]string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}, method) {
				continue
			}
			pattern := strings.ToUpper(method) + " " + path
			role, _ := op["x-socflow-role"].(string)
			got[pattern] = role
			sec, declared := op["security"].([]any)
			if public := role == "public"; public != (declared && len(sec) == 0) {
				t.Errorf("%s: role %q but security %v: public operations, and only they, say security: []", pattern, role, op["security"])
			}
		}
	}
	for pattern, role := range want {
		switch g, ok := got[pattern]; {
		case !ok:
			t.Errorf("%s is served but not in openapi.json", pattern)
		case g != role:
			t.Errorf("%s: openapi.json says x-socflow-role %q, the route needs %q", pattern, g, role)
		}
	}
	for pattern := range got {
		if _, ok := want[pattern]; !ok {
			t.Errorf("openapi.json describes %s, which the API does not serve", pattern)
		}
	}
}

// TestOpenAPISchemas: each schema of the document that stands for a Go
// type has exactly that type's JSON fields, so that a field added,
// renamed or removed in Go shows here.
func TestOpenAPISchemas(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc(t), &doc); err != nil {
		t.Fatal(err)
	}
	types := map[string]any{
		"Error": httpapi.Error{}, "AlertsResponse": intake.Response{}, "AlertRejection": intake.Rejection{}, "AlertResult": intake.Result{},
		"EventsResponse": httpapi.EventsResponse{}, "EventRejection": events.Rejection{}, "Event": events.Event{},
		"IncidentSummary": incidents.Summary{}, "IncidentState": workflows.IncidentState{},
		"Score": alert.Score{}, "Factor": alert.Factor{}, "Action": alert.Action{}, "ActionResult": alert.ActionResult{},
		"Decision": alert.Decision{}, "TimelineEvent": alert.TimelineEvent{}, "AlertRef": workflows.AlertRef{},
		"TimelinePage": incidents.TimelinePage{}, "CaseAlert": events.CaseAlert{}, "AlertsPage": incidents.AlertsPage{},
		"AlertIDsPage": incidents.AlertIDsPage{}, "DecideResult": workflows.DecideResult{}, "Principal": auth.Principal{},
		"TokenRequest": httpapi.TokenRequest{}, "TokenRecord": auth.TokenRecord{},
		// by, groups and via are fields only so that they can be refused.
		"DecisionRequest": httpapi.DecisionRequest{}, "AnswerRequest": httpapi.AnswerRequest{},
		"AnswerResult": workflows.AnswerResult{}, "Question": alert.Question{},
	}
	refused := map[string][]string{"DecisionRequest": {"by", "groups", "via"}, "AnswerRequest": {"by", "groups", "via"}}
	for name, v := range types {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("openapi.json has no schema %s", name)
			continue
		}
		var fields []string
		for _, f := range jsonFields(reflect.TypeOf(v)) {
			if !slices.Contains(refused[name], f) {
				fields = append(fields, f)
			}
		}
		slices.Sort(fields)
		var props []string
		for p := range s.Properties {
			props = append(props, p)
		}
		slices.Sort(props)
		if !slices.Equal(props, fields) {
			t.Errorf("schema %s has properties %v; %T has JSON fields %v", name, props, v, fields)
		}
	}
}

// jsonFields are the JSON names encoding/json gives t's fields, those of
// embedded structs included.
func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported() && !f.Anonymous:
		case f.Anonymous && name == "":
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			out = append(out, jsonFields(ft)...)
		case name == "":
			out = append(out, f.Name)
		default:
			out = append(out, name)
		}
	}
	return out
}

// TestOpenAPIAnswers walks the API as an admin and as nobody, and checks
// every answer (status, headers, body) against the document with
// kin-openapi's response validation: an undocumented status or a body
// that does not match its schema fails.
func TestOpenAPIAnswers(t *testing.T) {
	e := newAuthEnv(t)
	loaded, err := openapi3.NewLoader().LoadFromData(openAPIDoc(t))
	if err != nil {
		t.Fatal(err)
	}
	router, err := gorillamux.NewRouter(loaded)
	if err != nil {
		t.Fatal(err)
	}
	incident := "/v1/incidents/" + knownKey
	calls := []struct {
		method, path, contentType, cred, body string
		code                                  int
	}{
		{"POST", "/v1/alerts", "application/json", "ingest", alertJSON("dc01"), http.StatusAccepted},
		{"POST", "/v1/alerts", "application/json", "ingest", `{"source":"suricata"}`, http.StatusBadRequest},
		{"POST", "/v1/alerts", "text/plain", "ingest", alertJSON("dc01"), http.StatusUnsupportedMediaType},
		{"POST", "/v1/alerts", "application/json", "viewer", alertJSON("dc01"), http.StatusForbidden},
		{"POST", "/v1/events", "application/json", "ingest", `{"kind":"dns","time":"2026-05-14T09:00:00Z","host":"dc01","domain":"x.example"}`, http.StatusNotImplemented},
		{"GET", "/v1/incidents", "", "viewer", "", http.StatusOK},
		{"GET", "/v1/incidents?status=bogus", "", "viewer", "", http.StatusBadRequest},
		{"GET", "/v1/incidents?status=closed", "", "viewer", "", http.StatusBadGateway},
		{"GET", incident, "", "viewer", "", http.StatusOK},
		{"GET", "/v1/incidents/host:nope", "", "viewer", "", http.StatusNotFound},
		{"GET", incident + "/timeline", "", "viewer", "", http.StatusOK},
		{"GET", incident + "/timeline?cursor=bad", "", "viewer", "", http.StatusBadRequest},
		{"GET", incident + "/alerts?limit=5", "", "viewer", "", http.StatusOK},
		{"GET", incident + "/alerts/suricata-1/ids", "", "viewer", "", http.StatusOK},
		{"GET", incident + "/alerts/other/ids", "", "viewer", "", http.StatusNotFound},
		{"POST", incident + "/decision", "application/json", "responder", `{"verdict":"approve","actions":["isolate_host:dc01"]}`, http.StatusOK},
		{"POST", incident + "/decision", "application/json", "responder", `{"verdict":"approve","by":"eve"}`, http.StatusBadRequest},
		{"POST", incident + "/decision", "application/json", "viewer", `{"verdict":"approve"}`, http.StatusForbidden},
		{"GET", "/v1/whoami", "", "oidc-responder", "", http.StatusOK},
		{"GET", "/v1/whoami", "", "none", "", http.StatusUnauthorized},
		{"POST", "/v1/tokens", "application/json", "admin", `{"name":"splunk-prod","roles":["ingest"],"sources":["splunk"]}`, http.StatusCreated},
		{"POST", "/v1/tokens", "application/json", "admin", `{"name":"splunk-prod","roles":["ingest"]}`, http.StatusConflict},
		{"GET", "/v1/tokens", "", "admin", "", http.StatusOK},
		{"DELETE", "/v1/tokens/splunk-prod", "", "admin", "", http.StatusOK},
		{"DELETE", "/v1/tokens/splunk-prod", "", "admin", "", http.StatusNotFound},
		{"GET", "/v1/tokens", "", "responder", "", http.StatusForbidden},
		{"GET", "/v1/openapi.json", "", "none", "", http.StatusOK},
		{"GET", "/healthz", "", "none", "", http.StatusOK},
		{"GET", "/metrics", "", "viewer", "", http.StatusOK},
		{"GET", "/metrics", "", "wrong", "", http.StatusUnauthorized},
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	for _, c := range calls {
		name := c.method + " " + c.path + " as " + c.cred
		a := e.do(t, c.method, c.path, c.contentType, e.tokens[c.cred], c.body)
		if a.code != c.code {
			t.Errorf("%s: code %d, want %d: %.300s", name, a.code, c.code, a.body)
			continue
		}
		req, _ := http.NewRequest(c.method, "http://127.0.0.1"+c.path, strings.NewReader(c.body))
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Errorf("%s: not in the document: %v", name, err)
			continue
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts},
			Status:                 a.code, Header: a.header, Options: opts,
		}
		in.SetBodyBytes(bytes.Clone(a.body))
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("%s: the answer does not match the document: %v\n%.500s", name, err, a.body)
		}
	}
}

// TestOpenAPIEventKinds: the document's event kinds are the store's.
func TestOpenAPIEventKinds(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				Event struct {
					Properties struct {
						Kind struct {
							Enum []string `json:"enum"`
						} `json:"kind"`
					} `json:"properties"`
				} `json:"Event"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPIDoc(t), &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Components.Schemas.Event.Properties.Kind.Enum; !slices.Equal(got, events.Kinds()) {
		t.Errorf("OpenAPI event kinds %v, the store's %v", got, events.Kinds())
	}
}

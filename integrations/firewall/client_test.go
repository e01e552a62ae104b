package firewall_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/socflow/socflow/integrations/firewall"
	"github.com/socflow/socflow/integrations/httpx"
)

// api is a firewall API with blocks by id: POST /api/blocks takes
// {"address": ..., "note": ...} and answers {"data": {"id": N}}, DELETE
// /api/blocks/{id} lifts it. status, when set, answers every call.
type api struct {
	mu     sync.Mutex
	blocks map[string]map[string]any
	bodies []string
	urls   []string
	auth   []string
	status int
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, _ := io.ReadAll(r.Body)
	a.bodies = append(a.bodies, string(b))
	a.urls = append(a.urls, r.Method+" "+r.URL.RequestURI())
	a.auth = append(a.auth, r.Header.Get("Authorization"))
	if a.status != 0 {
		w.Header().Set("Retry-After", "7")
		http.Error(w, `{"error":"scripted"}`, a.status)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/blocks":
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
			return
		}
		id := "b" + string(rune('0'+len(a.blocks)+1))
		a.blocks[id] = v
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"id": id}})
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/api/blocks/"):
		id := strings.TrimPrefix(r.URL.Path, "/api/blocks/")
		if _, ok := a.blocks[id]; !ok {
			http.NotFound(w, r)
			return
		}
		delete(a.blocks, id)
		w.WriteHeader(http.StatusNoContent)
	default:
		http.NotFound(w, r)
	}
}

func config(url string) firewall.Config {
	return firewall.Config{
		URL:   url,
		Token: "fw-token",
		Block: firewall.Request{
			URL:    "/api/blocks?source={{urlquery .Comment}}",
			Body:   `{"address": {{json .IP}}, "note": {{json .Comment}}}`,
			Status: []int{201},
			Ref:    "/data/id",
		},
		Unblock: firewall.Request{
			URL:    "/api/blocks/{{urlpath .Ref}}",
			Status: []int{204, 404},
		},
	}
}

func start(t *testing.T) (*api, *firewall.Client) {
	t.Helper()
	a := &api{blocks: map[string]map[string]any{}}
	ts := httptest.NewServer(a)
	t.Cleanup(ts.Close)
	c, err := firewall.New(ts.Client(), config(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

func TestBlockThenUnblockWithTheRef(t *testing.T) {
	a, c := start(t)
	ctx := context.Background()
	ref, err := c.BlockIP(ctx, "203.0.113.9", "socflow INC-1: block 203.0.113.9 (c2)")
	if err != nil || ref != "b1" {
		t.Fatalf("BlockIP = %q, %v", ref, err)
	}
	if got := a.blocks["b1"]; got["address"] != "203.0.113.9" || got["note"] != "socflow INC-1: block 203.0.113.9 (c2)" {
		t.Errorf("stored block %v", got)
	}
	if a.auth[0] != "Bearer fw-token" || !strings.Contains(a.urls[0], "source=socflow+INC-1%3A+block") {
		t.Errorf("request %q with %q", a.urls[0], a.auth[0])
	}
	if err := c.UnblockIP(ctx, "203.0.113.9", ref); err != nil {
		t.Fatal(err)
	}
	if len(a.blocks) != 0 || a.urls[1] != "DELETE /api/blocks/b1" {
		t.Errorf("after unblock: %v, %v", a.blocks, a.urls)
	}
	// A block already lifted answers 404, which this API's unblock expects.
	if err := c.UnblockIP(ctx, "203.0.113.9", ref); err != nil {
		t.Errorf("second unblock: %v", err)
	}
	if err := c.UnblockIP(ctx, "203.0.113.9", ""); err == nil {
		t.Error("an unblock that needs a ref ran without one")
	}
}

// TestHostileValuesStayInTheirStrings: a comment (alert text) with quotes,
// braces and a line break stays one JSON string, and the query one
// parameter; an address that is not one is refused before any request.
func TestHostileValuesStayInTheirStrings(t *testing.T) {
	a, c := start(t)
	comment := `x", "address": "0.0.0.0/0", "y": "&source=evil#` + "\n}"
	if _, err := c.BlockIP(context.Background(), "2001:db8::1", comment); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(a.bodies[0]), &v); err != nil || len(v) != 2 || v["address"] != "2001:db8::1" || v["note"] != comment {
		t.Errorf("body %s decodes to %v (%v)", a.bodies[0], v, err)
	}
	if strings.Count(a.urls[0], "source=") != 1 || strings.Contains(a.urls[0], "#") {
		t.Errorf("query %q", a.urls[0])
	}
	_, err := c.BlockIP(context.Background(), `1.2.3.4", "address": "0.0.0.0/0`, "c")
	var se *httpx.StatusError
	if !errors.As(err, &se) || se.Code != 400 || len(a.bodies) != 1 {
		t.Errorf("hostile IP: %v after %d requests", err, len(a.bodies))
	}
}

// TestUnexpectedStatus: the answer's status becomes a *httpx.StatusError
// that is retryable for 5xx and 429 (with the Retry-After) and not for
// other 4xx.
func TestUnexpectedStatus(t *testing.T) {
	for _, tc := range []struct {
		status    int
		retryable bool
	}{{400, false}, {401, false}, {403, false}, {409, false}, {429, true}, {500, true}, {503, true}} {
		a, c := start(t)
		a.status = tc.status
		_, err := c.BlockIP(context.Background(), "198.51.100.7", "c")
		var se *httpx.StatusError
		if !errors.As(err, &se) || se.Code != tc.status || se.Retryable() != tc.retryable || !strings.Contains(se.Body, "scripted") {
			t.Errorf("%d: %v", tc.status, err)
			continue
		}
		if tc.status == 429 && se.RetryAfter.Seconds() != 7 {
			t.Errorf("429: Retry-After %v", se.RetryAfter)
		}
		if strings.Contains(err.Error(), "fw-token") {
			t.Errorf("%d: error shows the token: %v", tc.status, err)
		}
	}
	// A 2xx other than the expected 201 is not success either.
	a, c := start(t)
	a.status = http.StatusAccepted
	if _, err := c.BlockIP(context.Background(), "198.51.100.7", "c"); err == nil {
		t.Error("202 accepted as the 201 expected")
	}
}

func TestAnswerWithoutTheRef(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"data": {}}`)
	}))
	t.Cleanup(ts.Close)
	cfg := config(ts.URL)
	cfg.Block.Status = nil
	c, err := firewall.New(ts.Client(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BlockIP(context.Background(), "198.51.100.7", "c"); err == nil || !strings.Contains(err.Error(), "no /data/id") {
		t.Errorf("missing ref: %v", err)
	}
}

// TestTokenInATemplate: a template that places the token sends no bearer
// header of its own.
func TestTokenInATemplate(t *testing.T) {
	var got http.Header
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	t.Cleanup(ts.Close)
	cfg := config(ts.URL)
	cfg.Block = firewall.Request{URL: "/block/{{urlpath .IP}}", Header: map[string]string{"X-Api-Key": "{{.Token}}"}}
	c, err := firewall.New(ts.Client(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.BlockIP(context.Background(), "198.51.100.7", "c"); err != nil {
		t.Fatal(err)
	}
	if got.Get("X-Api-Key") != "fw-token" || got.Get("Authorization") != "" {
		t.Errorf("headers %v", got)
	}
}

func TestCompileRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		req   firewall.Request
		field string
		want  string
	}{
		{"no url", firewall.Request{}, "url", "is required"},
		{"parse error", firewall.Request{URL: "/b/{{urlpath .IP"}, "url", "unclosed action"},
		{"unknown field", firewall.Request{URL: "/b/{{urlpath .Address}}"}, "url", "Address"},
		{"unknown function", firewall.Request{URL: "/b/{{shell .IP}}"}, "url", `"shell" not defined`},
		{"unescaped in url", firewall.Request{URL: "/b/{{.IP}}"}, "url", "not escaped"},
		{"path escape in query", firewall.Request{URL: "/b?ip={{urlpath .IP}}"}, "url", "urlquery"},
		{"off host", firewall.Request{URL: "https://elsewhere.example/b/{{urlpath .IP}}"}, "url", "off the service"},
		{"unescaped in body", firewall.Request{URL: "/b", Body: `{"ip": "{{.IP}}"}`}, "body", "not escaped"},
		{"quoted json", firewall.Request{URL: "/b", Body: `{"ip": "{{json .IP}}"}`}, "body", "does not render JSON"},
		{"form body", firewall.Request{URL: "/b", Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, Body: "ip={{json .IP}}"}, "body", "urlquery"},
		{"bad header", firewall.Request{URL: "/b", Header: map[string]string{"X Key": "v"}}, "headers.X Key", "not a header name"},
		{"bad method", firewall.Request{URL: "/b", Method: "TRACE"}, "method", "TRACE"},
		{"bad status", firewall.Request{URL: "/b", Status: []int{20}}, "expect.status", "20"},
		{"bad pointer", firewall.Request{URL: "/b", Ref: "data.id"}, "expect.ref", "JSON pointer"},
	} {
		err := firewall.Compile(tc.req, "https://fw.example/api/", false)
		var fe *firewall.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(fe.Error(), tc.want) {
			t.Errorf("%s: %v, want %s: ...%s", tc.name, err, tc.field, tc.want)
		}
	}
	ok := firewall.Request{URL: "block?ip={{urlquery .IP}}", Header: map[string]string{"Content-Type": "text/xml"}, Body: "<ip>{{xml .IP}}</ip>"}
	if err := firewall.Compile(ok, "https://fw.example/api/", false); err != nil {
		t.Errorf("xml body: %v", err)
	}
}

package mail_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/loopback"
	"github.com/socflow/socflow/integrations/mail"
)

// call is one request the gateway received.
type call struct {
	Method, URI, Auth, Body string
	Status                  int
}

// gateway is a mail gateway's blocked-senders API, the shape a template
// provider is for: POST /api/v1/blocked-senders takes {"domain", "note"}
// and answers 201 {"id"}; GET /api/v1/blocked-senders?domain=D searches
// (200 {"items": [...]}, empty when none); GET
// /api/v1/blocked-senders/by-domain/D is 200 or 404; DELETE
// /api/v1/blocked-senders/{id} is 204, 404 once gone. Faults come with
// the loopback recorder.
type gateway struct {
	loopback.Recorder[call]
	mu     sync.Mutex
	blocks map[string]string // id: domain
	next   int
}

func newGateway() *gateway { return &gateway{blocks: map[string]string{}} }

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	resp, answered := loopback.Respond(&g.Recorder, r, r.URL.Path, func() loopback.Response {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.route(r, b)
	}, func(f loopback.Fault) loopback.Response {
		return f.Answer(loopback.JSON(f.Status, map[string]string{"error": "injected"}))
	})
	g.Record(call{Method: r.Method, URI: r.URL.RequestURI(), Auth: r.Header.Get("Authorization"), Body: string(b), Status: resp.Status})
	if answered {
		resp.Write(w, "application/json")
	}
}

func (g *gateway) route(r *http.Request, body []byte) loopback.Response {
	if r.Header.Get("Authorization") != "Bearer mail-token" {
		return loopback.JSON(http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
	}
	const base = "/api/v1/blocked-senders"
	find := func(domain string) (string, bool) {
		for id, d := range g.blocks {
			if d == domain {
				return id, true
			}
		}
		return "", false
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == base:
		var v struct{ Domain, Note string }
		if err := json.Unmarshal(body, &v); err != nil || v.Domain == "" {
			return loopback.JSON(http.StatusBadRequest, map[string]string{"error": "domain is required"})
		}
		if id, ok := find(v.Domain); ok {
			return loopback.JSON(http.StatusConflict, map[string]string{"error": "already blocked", "id": id})
		}
		g.next++
		id := "bs-" + strconv.Itoa(g.next)
		g.blocks[id] = v.Domain
		return loopback.JSON(http.StatusCreated, map[string]string{"id": id, "domain": v.Domain})
	case r.Method == http.MethodGet && r.URL.Path == base:
		items := []map[string]string{}
		if id, ok := find(r.URL.Query().Get("domain")); ok {
			items = append(items, map[string]string{"id": id, "domain": r.URL.Query().Get("domain")})
		}
		return loopback.JSON(http.StatusOK, map[string]any{"items": items})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, base+"/by-domain/"):
		if id, ok := find(strings.TrimPrefix(r.URL.Path, base+"/by-domain/")); ok {
			return loopback.JSON(http.StatusOK, map[string]string{"id": id})
		}
		return loopback.JSON(http.StatusNotFound, map[string]string{"error": "not blocked"})
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, base+"/"):
		id := strings.TrimPrefix(r.URL.Path, base+"/")
		if _, ok := g.blocks[id]; !ok {
			return loopback.JSON(http.StatusNotFound, map[string]string{"error": "no such block"})
		}
		delete(g.blocks, id)
		return loopback.Response{Status: http.StatusNoContent}
	}
	return loopback.JSON(http.StatusNotFound, map[string]string{"error": "no route"})
}

func (g *gateway) blocked(domain string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, d := range g.blocks {
		if d == domain {
			return true
		}
	}
	return false
}

// searchConfig describes the gateway with a search as the state read.
func searchConfig(url string) mail.Config {
	return mail.Config{
		URL: url + "/api/v1/", Token: "mail-token",
		Block: mail.Request{URL: "blocked-senders", Body: `{"domain": {{json .Domain}}, "note": {{json .Comment}}}`,
			Status: []int{201}, Ref: "/id"},
		Unblock: mail.Request{URL: "blocked-senders/{{urlpath .Ref}}", Status: []int{204, 404}},
		State:   mail.Request{URL: "blocked-senders?domain={{urlquery .Domain}}", Status: []int{200}, Ref: "/items/0/id"},
	}
}

func start(t *testing.T, cfg func(string) mail.Config) (*gateway, *mail.Client) {
	t.Helper()
	g := newGateway()
	ts := httptest.NewServer(g)
	t.Cleanup(ts.Close)
	c, err := mail.New(ts.Client(), cfg(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	return g, c
}

// TestBlockReadUnblock: the block sends the domain and the comment in the
// JSON the template writes and returns the answer's id; the state search
// reads not blocked (no /items/0/id), then blocked with the same id; the
// unblock deletes by it, and a second unblock meets the 404 it expects.
func TestBlockReadUnblock(t *testing.T) {
	g, c := start(t, searchConfig)
	ctx := context.Background()
	if b, err := c.DomainBlock(ctx, "evil.example"); err != nil || !b.Known || b.InForce {
		t.Fatalf("before = %+v, %v; want read, not blocked", b, err)
	}
	ref, err := c.BlockSenderDomain(ctx, "Evil.Example.", "socflow INC-1: block evil.example (phish)")
	if err != nil || ref != "bs-1" || !g.blocked("evil.example") {
		t.Fatalf("block = %q, %v", ref, err)
	}
	calls := g.Calls()
	var body map[string]string
	if err := json.Unmarshal([]byte(calls[1].Body), &body); err != nil || body["domain"] != "evil.example" || body["note"] != "socflow INC-1: block evil.example (phish)" {
		t.Errorf("block body %s (%v)", calls[1].Body, err)
	}
	if calls[1].Auth != "Bearer mail-token" || calls[0].URI != "/api/v1/blocked-senders?domain=evil.example" {
		t.Errorf("requests %+v", calls)
	}
	if b, err := c.DomainBlock(ctx, "evil.example"); err != nil || !b.InForce || b.Ref != "bs-1" {
		t.Errorf("after = %+v, %v; want blocked by bs-1", b, err)
	}
	for range 2 {
		if err := c.UnblockSenderDomain(ctx, "evil.example", ref); err != nil {
			t.Fatal(err)
		}
	}
	if g.blocked("evil.example") {
		t.Error("still blocked after the unblock")
	}
}

// TestStateByStatus: a state read whose 404 means not blocked
// (expect.absent) reads both sides; an unblock given no reference takes
// the one the state reads, and does nothing when there is no block.
func TestStateByStatus(t *testing.T) {
	g, c := start(t, func(url string) mail.Config {
		cfg := searchConfig(url)
		cfg.State = mail.Request{URL: "blocked-senders/by-domain/{{urlpath .Domain}}", Status: []int{200}, Absent: []int{404}, Ref: "/id"}
		return cfg
	})
	ctx := context.Background()
	if b, err := c.DomainBlock(ctx, "evil.example"); err != nil || !b.Known || b.InForce {
		t.Fatalf("before = %+v, %v", b, err)
	}
	if _, err := c.BlockSenderDomain(ctx, "evil.example", "c"); err != nil {
		t.Fatal(err)
	}
	if b, err := c.DomainBlock(ctx, "evil.example"); err != nil || !b.InForce || b.Ref != "bs-1" {
		t.Fatalf("after = %+v, %v", b, err)
	}
	if err := c.UnblockSenderDomain(ctx, "evil.example", ""); err != nil || g.blocked("evil.example") {
		t.Fatalf("unblock without a reference: %v, blocked %v", err, g.blocked("evil.example"))
	}
	n := len(g.Calls())
	if err := c.UnblockSenderDomain(ctx, "evil.example", ""); err != nil || slices.ContainsFunc(g.Calls()[n:], func(c call) bool { return c.Method == http.MethodDelete }) {
		t.Errorf("unblock of nothing: %v, calls %+v; want the state read alone", err, g.Calls()[n:])
	}
}

// TestWithoutAStateRequest: a gateway described by its block and unblock
// alone reads nothing (Known false): the block's expected answer is the
// confirmation.
func TestWithoutAStateRequest(t *testing.T) {
	g, c := start(t, func(url string) mail.Config {
		cfg := searchConfig(url)
		cfg.State = mail.Request{}
		return cfg
	})
	if b, err := c.DomainBlock(context.Background(), "evil.example"); err != nil || b.Known || len(g.Calls()) != 0 {
		t.Errorf("state = %+v, %v after %d calls; want nothing read", b, err, len(g.Calls()))
	}
	err := c.UnblockSenderDomain(context.Background(), "evil.example", "")
	if se := new(httpx.StatusError); !errors.As(err, &se) || se.Code != http.StatusBadRequest || !strings.Contains(se.Body, "reference") {
		t.Errorf("unblock with no reference and no state: %v", err)
	}
}

// TestNotADomainIsRefusedBeforeSending: a URL, a wildcard, an address, a
// value with a line break or a path never reaches a template; the
// refusal is a 400, which the activity does not retry.
func TestNotADomainIsRefusedBeforeSending(t *testing.T) {
	g, c := start(t, searchConfig)
	for _, d := range []string{"https://evil.example/login", "*.evil.example", "203.0.113.7", "evil.example\r\nBcc: x@y.z", "evil.example/x", "", "bob@evil.example"} {
		_, err := c.BlockSenderDomain(context.Background(), d, "c")
		if se := new(httpx.StatusError); !errors.As(err, &se) || se.Code != http.StatusBadRequest {
			t.Errorf("%q: %v, want a 400", d, err)
		}
		if !activities.IsType(activities.Classify("block", err), activities.ErrBadRequest) {
			t.Errorf("%q: classified %v, want BadRequest", d, activities.Classify("block", err))
		}
	}
	if n := len(g.Calls()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

// TestHostileCommentStaysInItsString: alert text in the comment stays one
// JSON string.
func TestHostileCommentStaysInItsString(t *testing.T) {
	g, c := start(t, searchConfig)
	comment := `x", "domain": "example.com", "y": "` + "\n}"
	if _, err := c.BlockSenderDomain(context.Background(), "evil.example", comment); err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(g.Calls()[0].Body), &v); err != nil || len(v) != 2 || v["domain"] != "evil.example" || v["note"] != comment {
		t.Errorf("body %s decodes to %v (%v)", g.Calls()[0].Body, v, err)
	}
}

// TestGatewayErrors: a 5xx or 429 is retryable with the gateway's
// Retry-After, a 401 is not, and neither shows the token.
func TestGatewayErrors(t *testing.T) {
	for _, tc := range []struct {
		status    int
		retryable bool
	}{{503, true}, {429, true}, {401, false}, {400, false}} {
		g, c := start(t, searchConfig)
		g.FailNext("POST /api/v1/blocked-senders", tc.status, 1, "9")
		_, err := c.BlockSenderDomain(context.Background(), "evil.example", "c")
		se := new(httpx.StatusError)
		if !errors.As(err, &se) || se.Code != tc.status || se.Retryable() != tc.retryable || strings.Contains(err.Error(), "mail-token") {
			t.Errorf("%d: %v", tc.status, err)
		}
		if tc.status == 429 && se.RetryAfter.Seconds() != 9 {
			t.Errorf("429: Retry-After %v", se.RetryAfter)
		}
	}
}

// TestCompileRefuses: a template names the mail fields (.Domain, not
// .IP); only the state request has an absent answer; a state read that
// would send a domain unescaped is refused at load.
func TestCompileRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, which string
		req         mail.Request
		field, want string
	}{
		{"firewall field", mail.RequestBlock, mail.Request{URL: "b/{{urlpath .IP}}"}, "url", ".Domain, .Comment, .Ref and .Token"},
		{"absent on a block", mail.RequestBlock, mail.Request{URL: "b", Absent: []int{404}}, "expect.absent", "only the state request"},
		{"absent and status", mail.RequestState, mail.Request{URL: "b", Status: []int{200, 404}, Absent: []int{404}}, "expect.absent", "also in expect.status"},
		{"unescaped", mail.RequestState, mail.Request{URL: "b/{{.Domain}}"}, "url", "not escaped"},
	} {
		err := mail.Compile(tc.req, "https://mail.example/api/", tc.which)
		var fe *mail.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(fe.Error(), tc.want) {
			t.Errorf("%s: %v, want %s: ...%s", tc.name, err, tc.field, tc.want)
		}
	}
}

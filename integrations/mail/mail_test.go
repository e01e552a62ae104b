package mail_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/mail"
	"github.com/socflow/socflow/integrations/mail/mailtest"
)

// searchConfig describes the gateway with a search as the state read.
func searchConfig(url string) mail.Config {
	return mail.Config{
		URL: url + "/api/v1/", Token: mailtest.Token,
		Block: mail.Request{URL: "blocked-senders", Body: `{"domain": {{json .Domain}}, "note": {{json .Comment}}}`,
			Status: []int{201}, Ref: "/id"},
		Unblock: mail.Request{URL: "blocked-senders/{{urlpath .Ref}}", Status: []int{204, 404}},
		State:   mail.Request{URL: "blocked-senders?domain={{urlquery .Domain}}", Status: []int{200}, Ref: "/items/0/id"},
	}
}

func start(t *testing.T, cfg func(string) mail.Config) (*mailtest.Gateway, *mail.Client) {
	t.Helper()
	g := mailtest.New()
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
	if err != nil || ref != "bs-1" || !g.Blocked("evil.example") {
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
	if g.Blocked("evil.example") {
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
	if err := c.UnblockSenderDomain(ctx, "evil.example", ""); err != nil || g.Blocked("evil.example") {
		t.Fatalf("unblock without a reference: %v, blocked %v", err, g.Blocked("evil.example"))
	}
	n := len(g.Calls())
	if err := c.UnblockSenderDomain(ctx, "evil.example", ""); err != nil || slices.ContainsFunc(g.Calls()[n:], func(c mailtest.Call) bool { return c.Method == http.MethodDelete }) {
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

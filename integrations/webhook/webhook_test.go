package webhook_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/webhook"
)

// TestCallsStayOnTheTarget: a path is resolved under the target's base
// URL with its headers and credential; a playbook's Authorization header
// is dropped; a path to another host is refused before anything is sent;
// a non-2xx answer is a StatusError carrying the body; an unknown target
// names the configured ones.
func TestCallsStayOnTheTarget(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.RequestURI()+" auth="+r.Header.Get("Authorization")+" x="+r.Header.Get("X-Team")+" body="+string(b))
		if strings.HasSuffix(r.URL.Path, "/missing") {
			http.Error(w, `{"error":"no such block"}`, http.StatusNotFound)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	hc, err := httpx.Authenticated(srv.Client(), httpx.TokenAuth{Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	ts, err := webhook.New(webhook.Target{Name: "soar", BaseURL: srv.URL + "/api", Client: hc, Header: http.Header{"X-Team": {"soc"}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := ts.Do(ctx, webhook.Call{Target: "soar", Method: "post", Path: "/v1/block?dry=1", Body: `{"ip":"203.0.113.7"}`,
		Header: http.Header{"Authorization": {"Bearer stolen"}, "Content-Type": {"application/json"}}})
	if err != nil || res.Status != 200 || res.Body != `{"ok":true}` {
		t.Fatalf("call: %+v, %v", res, err)
	}
	if want := `POST /api/v1/block?dry=1 auth=Bearer s3cret x=soc body={"ip":"203.0.113.7"}`; len(got) != 1 || got[0] != want {
		t.Errorf("server saw %q, want %q", got, want)
	}
	if _, err := ts.Do(ctx, webhook.Call{Target: "soar", Path: "https://evil.example/steal"}); err == nil || !strings.Contains(err.Error(), "leaves the target's address") {
		t.Errorf("another host: %v", err)
	}
	res, err = ts.Do(ctx, webhook.Call{Target: "soar", Path: "missing"})
	var se *httpx.StatusError
	if !errors.As(err, &se) || se.Code != 404 || se.Retryable() || res.Status != 404 || !strings.Contains(res.Body, "no such block") {
		t.Errorf("404: %+v, %v", res, err)
	}
	if _, err := ts.Do(ctx, webhook.Call{Target: "nope"}); !errors.Is(err, webhook.ErrUnknownTarget) || !strings.Contains(err.Error(), "configured: soar") {
		t.Errorf("unknown target: %v", err)
	}
	if len(got) != 2 {
		t.Errorf("%d requests reached the server, want 2 (the refused ones never sent)", len(got))
	}
	if _, err := webhook.New(webhook.Target{Name: "x", BaseURL: "ftp://h"}); err == nil {
		t.Error("an ftp base URL was accepted")
	}
}

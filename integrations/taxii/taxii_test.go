package taxii_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/integrations/httpx"
	"github.com/socflow/socflow/integrations/taxii"
	"github.com/socflow/socflow/integrations/taxii/taxiitest"
)

// indicator returns a STIX 2.1 indicator for an IPv4 address.
func indicator(n int, ip string, extra string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"C2 %s","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"%s}`, n, ip, ip, extra))
}

func ids(objs []json.RawMessage) []string {
	var out []string
	for _, o := range objs {
		var h struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(o, &h)
		out = append(out, h.ID[len(h.ID)-2:])
	}
	return out
}

func serve(t *testing.T, fake *taxiitest.Server) string {
	t.Helper()
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	return ts.URL
}

func TestDiscovery(t *testing.T) {
	fake := taxiitest.New(taxiitest.WithBasicAuth("soc", "secret"))
	fake.AddCollection("c2-feed", "C2 addresses", true)
	base := serve(t, fake)
	c := taxii.New(nil, taxii.WithBasicAuth("soc", "secret"))
	ctx := context.Background()
	d, err := c.Discover(ctx, base+"/taxii2/")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.APIRoots) != 1 || d.Default != base+"/api1/" {
		t.Fatalf("discovery = %+v", d)
	}
	root, err := c.APIRoot(ctx, d.APIRoots[0])
	if err != nil || !slices.Contains(root.Versions, taxii.MediaType) {
		t.Fatalf("api root = %+v, %v", root, err)
	}
	cols, err := c.Collections(ctx, strings.TrimSuffix(d.APIRoots[0], "/"))
	if err != nil || len(cols) != 1 || cols[0].ID != "c2-feed" || !cols[0].CanRead {
		t.Fatalf("collections = %+v, %v", cols, err)
	}
	if got := taxii.CollectionURL(d.APIRoots[0], "c2-feed"); got != base+"/api1/collections/c2-feed/" {
		t.Errorf("CollectionURL = %q", got)
	}
	for _, call := range fake.Calls() {
		if call.Accept != taxii.MediaType || call.Auth != "Basic" {
			t.Errorf("call %s: Accept %q, auth %q", call.Path, call.Accept, call.Auth)
		}
	}
}

func TestPoll(t *testing.T) {
	tests := []struct {
		name    string
		opts    []taxiitest.Option
		after   int // index of the object whose date_added to poll after; -1 for none
		types   []string
		want    []string
		wantReq int
	}{
		{name: "everything, in pages of two", opts: []taxiitest.Option{taxiitest.WithPageSize(2)}, after: -1,
			want: []string{"01", "02", "03", "04", "05"}, wantReq: 3},
		{name: "added after the second", opts: []taxiitest.Option{taxiitest.WithPageSize(2)}, after: 1,
			want: []string{"03", "04", "05"}, wantReq: 2},
		{name: "paging by added_after when the server gives no next", opts: []taxiitest.Option{taxiitest.WithPageSize(2), taxiitest.WithoutNext()}, after: -1,
			want: []string{"01", "02", "03", "04", "05"}, wantReq: 3},
		{name: "one page", after: -1, want: []string{"01", "02", "03", "04", "05"}, wantReq: 1},
		{name: "indicators only", opts: []taxiitest.Option{taxiitest.WithPageSize(2)}, after: -1, types: []string{"indicator"},
			want: []string{"01", "02", "04", "05"}, wantReq: 2},
		{name: "nothing new", after: 4, wantReq: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := taxiitest.New(tt.opts...)
			var added []time.Time
			for i := 1; i <= 5; i++ {
				obj := indicator(i, fmt.Sprintf("192.0.2.%d", i), "")
				if i == 3 {
					obj = json.RawMessage(`{"type":"malware","spec_version":"2.1","id":"malware--00000000-0000-4000-8000-000000000003","name":"x","is_family":true}`)
				}
				added = append(added, fake.Add("c2", obj))
			}
			base := serve(t, fake)
			var after time.Time
			if tt.after >= 0 {
				after = added[tt.after]
			}
			objs, next, err := taxii.New(nil).Poll(context.Background(), base+"/api1/collections/c2", after, tt.types...)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(objs); !slices.Equal(got, tt.want) {
				t.Errorf("objects = %q, want %q", got, tt.want)
			}
			wantNext := added[4]
			if len(tt.want) == 0 {
				wantNext = after
			}
			if !next.Equal(wantNext) {
				t.Errorf("next = %s, want %s", next, wantNext)
			}
			calls := fake.Calls()
			if len(calls) != tt.wantReq {
				t.Errorf("requests = %d, want %d: %+v", len(calls), tt.wantReq, calls)
			}
			for _, call := range calls {
				if call.Path != "/api1/collections/c2/objects/" || call.Query.Get("limit") != "500" {
					t.Errorf("request %s?%s", call.Path, call.Query.Encode())
				}
				if tt.types != nil && call.Query.Get("match[type]") != "indicator" {
					t.Errorf("request lacks match[type]: %s", call.Query.Encode())
				}
			}
			if tt.after >= 0 && calls[0].Query.Get("added_after") != after.UTC().Format(taxii.TimeFormat) {
				t.Errorf("added_after = %q", calls[0].Query.Get("added_after"))
			}
		})
	}
}

func TestPollErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("wrong credentials", func(t *testing.T) {
		fake := taxiitest.New(taxiitest.WithBearerToken("tok"))
		fake.Add("c2", indicator(1, "192.0.2.1", ""))
		base := serve(t, fake)
		_, _, err := taxii.New(nil, taxii.WithBearerToken("nope")).Poll(ctx, base+"/api1/collections/c2/", time.Time{})
		var se *httpx.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusUnauthorized || se.Retryable() || !strings.HasPrefix(err.Error(), "taxii: ") {
			t.Errorf("error = %v, want a 401", err)
		}
		if _, _, err := taxii.New(nil, taxii.WithBearerToken("tok")).Poll(ctx, base+"/api1/collections/c2/", time.Time{}); err != nil {
			t.Errorf("right token: %v", err)
		}
	})
	t.Run("rate limited mid-way", func(t *testing.T) {
		fake := taxiitest.New(taxiitest.WithPageSize(1))
		fake.Add("c2", indicator(1, "192.0.2.1", ""), indicator(2, "192.0.2.2", ""))
		base := serve(t, fake)
		c := taxii.New(nil)
		if _, _, err := c.Poll(ctx, base+"/api1/collections/c2/", time.Time{}); err != nil {
			t.Fatal(err)
		}
		fake.FailNext("/api1/collections/c2/objects/", http.StatusTooManyRequests, 1, "7")
		objs, next, err := c.Poll(ctx, base+"/api1/collections/c2/", time.Time{})
		var se *httpx.StatusError
		if !errors.As(err, &se) || se.RetryAfter != 7*time.Second || objs != nil || !next.IsZero() {
			t.Errorf("Poll = %d objects, %s, %v; want a 429 with Retry-After 7s and nothing", len(objs), next, err)
		}
	})
	t.Run("unknown collection", func(t *testing.T) {
		base := serve(t, taxiitest.New())
		_, _, err := taxii.New(nil).Poll(ctx, base+"/api1/collections/nope/", time.Time{})
		var se *httpx.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusNotFound || !strings.Contains(se.Body, "Collection not found") {
			t.Errorf("error = %v, want a 404", err)
		}
	})
	t.Run("unreadable collection", func(t *testing.T) {
		fake := taxiitest.New()
		fake.AddCollection("secret", "Secret", false)
		base := serve(t, fake)
		_, _, err := taxii.New(nil).Poll(ctx, base+"/api1/collections/secret/", time.Time{})
		var se *httpx.StatusError
		if !errors.As(err, &se) || se.Code != http.StatusForbidden {
			t.Errorf("error = %v, want a 403", err)
		}
	})
	handler := func(contentType, body string, header map[string]string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			w.Header().Set("Content-Type", contentType)
			_, _ = w.Write([]byte(body))
		}
	}
	tests := []struct {
		name    string
		h       http.HandlerFunc
		wantErr string
	}{
		{"an HTML login page", handler("text/html", "<html>login</html>", nil), `answered "text/html", want application/taxii+json`},
		{"more without a way on", handler(taxii.MediaType, `{"more": true, "objects": [{"type":"indicator","id":"indicator--1"}]}`, nil), "neither a next token nor a later X-TAXII-Date-Added-Last"},
		{"the same next token again", handler(taxii.MediaType, `{"more": true, "next": "x"}`, nil), `repeated next token "x"`},
		{"not JSON", handler("application/json", `{"objects": [`, nil), "taxii: decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := httptest.NewServer(tt.h)
			defer ts.Close()
			_, _, err := taxii.New(ts.Client()).Poll(ctx, ts.URL+"/api1/collections/c/", time.Time{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
	t.Run("empty answer is no objects", func(t *testing.T) {
		ts := httptest.NewServer(handler(taxii.MediaType, "", nil))
		defer ts.Close()
		objs, _, err := taxii.New(ts.Client()).Poll(ctx, ts.URL+"/c/", time.Time{})
		if err != nil || len(objs) != 0 {
			t.Errorf("Poll = %v, %v", objs, err)
		}
	})
}

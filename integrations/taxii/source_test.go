package taxii_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/socflow/socflow/integrations/intel"
	"github.com/socflow/socflow/integrations/taxii"
	"github.com/socflow/socflow/integrations/taxii/taxiitest"
)

func TestSourceFeedsTheIndex(t *testing.T) {
	fake := taxiitest.New(taxiitest.WithPageSize(2), taxiitest.WithBasicAuth("soc", "secret"))
	fake.Add("c2", indicator(1, "192.0.2.1", ""), indicator(2, "192.0.2.2", `,"confidence":90`), indicator(3, "192.0.2.3", ""))
	ts := httptest.NewServer(fake)
	defer ts.Close()
	client := taxii.New(ts.Client(), taxii.WithBasicAuth("soc", "secret"))
	src := taxii.NewSource(client, taxii.CollectionURL(ts.URL+taxiitest.APIRoot, "c2"), taxii.WithName("acme-c2"))
	feeds := intel.NewFeeds([]intel.Source{src})
	ctx := context.Background()

	reports, err := feeds.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if reports[0].Source != "acme-c2" || reports[0].Loaded != 3 {
		t.Errorf("report = %s", reports[0])
	}
	hits := feeds.Lookup("192.0.2.2")
	if len(hits) != 1 || hits[0].Source != "acme-c2" || hits[0].Confidence != 90 || hits[0].Description != "C2 192.0.2.2" {
		t.Errorf("hits = %+v", hits)
	}

	t.Run("nothing new, no reload", func(t *testing.T) {
		before := len(fake.Calls())
		changed, err := feeds.Reload(ctx)
		if err != nil || changed {
			t.Errorf("Reload = %v, %v; want no change", changed, err)
		}
		calls := fake.Calls()[before:]
		if len(calls) != 1 || calls[0].Query.Get("added_after") == "" || calls[0].Query.Get("match[type]") != "indicator" {
			t.Errorf("poll = %+v, want one request with added_after and match[type]", calls)
		}
	})

	t.Run("a new indicator and a revocation", func(t *testing.T) {
		revoked := strings.Replace(string(indicator(1, "192.0.2.1", `,"revoked":true`)), `"modified":"2026-01-01T00:00:00.000Z"`, `"modified":"2026-01-02T00:00:00.000Z"`, 1)
		fake.Add("c2", indicator(4, "192.0.2.4", ""), json.RawMessage(revoked))
		changed, err := feeds.Reload(ctx)
		if err != nil || !changed {
			t.Fatalf("Reload = %v, %v; want a reload", changed, err)
		}
		if len(feeds.Lookup("192.0.2.4")) != 1 {
			t.Error("the new indicator is missing")
		}
		if len(feeds.Lookup("192.0.2.1")) != 0 {
			t.Error("the revoked indicator still matches")
		}
		if src.Len() != 4 {
			t.Errorf("Len() = %d, want 4 objects kept", src.Len())
		}
	})

	t.Run("an older version changes nothing", func(t *testing.T) {
		fake.Add("c2", indicator(2, "192.0.2.2", `,"confidence":10`))
		if changed, err := feeds.Reload(ctx); err != nil || changed {
			t.Errorf("Reload = %v, %v; want no change", changed, err)
		}
	})

	t.Run("server down keeps the index", func(t *testing.T) {
		fake.FailNext("", http.StatusServiceUnavailable, 1, "")
		if _, err := feeds.Reload(ctx); err == nil || !strings.Contains(err.Error(), "intel: source acme-c2: taxii: GET") {
			t.Errorf("Reload error = %v", err)
		}
		if len(feeds.Lookup("192.0.2.2")) != 1 {
			t.Error("the index lost the collection")
		}
	})
}

func TestSourceDefaults(t *testing.T) {
	src := taxii.NewSource(taxii.New(nil), "https://taxii.example/api1/collections/x/")
	if src.Name() != "https://taxii.example/api1/collections/x/" {
		t.Errorf("Name() = %q, want the collection URL", src.Name())
	}
}

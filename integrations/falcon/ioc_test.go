package falcon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/integrations/falcon"
	"github.com/socflow/socflow/integrations/falcon/falcontest"
)

const (
	iocs     = "/iocs/entities/indicators/v1"
	combined = "/iocs/combined/indicator/v1"
	fileSHA  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	fileMD5  = "d41d8cd98f00b204e9800998ecf8427e"
)

// TestBlockHashIOC: with a token from the OAuth2 client-credentials
// grant, the block creates a prevent IOC of the documented shape (POST
// /iocs/entities/indicators/v1), the state is read by an FQL filter on
// type and value (GET /iocs/combined/indicator/v1), a repeat finds the
// IOC instead of creating a second, and the undo deletes it by ID (DELETE
// ?ids=), as often as asked.
func TestBlockHashIOC(t *testing.T) {
	ctx := context.Background()
	fake := falcontest.New()
	c := setup(t, fake, nil)
	if ioc, err := c.HashIOC(ctx, fileSHA); err != nil || ioc != nil {
		t.Fatalf("before = %+v, %v; want none", ioc, err)
	}
	ref, err := c.BlockHash(ctx, strings.ToUpper(fileSHA), "socflow INC-1: block "+fileSHA)
	if err != nil || len(ref) != 64 || !fake.Prevented(fileSHA) {
		t.Fatalf("block = %q, %v; prevented %v", ref, err, fake.Prevented(fileSHA))
	}
	if fake.TokensIssued() != 1 {
		t.Errorf("tokens issued %d, want one, reused", fake.TokensIssued())
	}
	posts := calls(fake, http.MethodPost, iocs)
	if len(posts) != 1 {
		t.Fatalf("%d creates, want 1", len(posts))
	}
	var body struct {
		Comment    string           `json:"comment"`
		Indicators []map[string]any `json:"indicators"`
	}
	if err := json.Unmarshal([]byte(posts[0].Body), &body); err != nil || len(body.Indicators) != 1 {
		t.Fatalf("create body %s: %v", posts[0].Body, err)
	}
	ind := body.Indicators[0]
	for k, want := range map[string]any{"type": "sha256", "value": fileSHA, "action": "prevent", "severity": "high",
		"applied_globally": true, "source": "socflow", "description": "socflow INC-1: block " + fileSHA} {
		if ind[k] != want {
			t.Errorf("indicator %s = %v, want %v", k, ind[k], want)
		}
	}
	if p, _ := ind["platforms"].([]any); len(p) != 3 || body.Comment == "" {
		t.Errorf("platforms %v, comment %q: want windows, mac and linux, and an audit comment", ind["platforms"], body.Comment)
	}
	if q := calls(fake, http.MethodGet, combined); len(q) == 0 || q[0].Query.Get("filter") != "type:'sha256'+value:'"+fileSHA+"'" {
		t.Errorf("state reads %+v, want filter type:'sha256'+value:'%s'", q, fileSHA)
	}
	if ioc, err := c.HashIOC(ctx, fileSHA); err != nil || ioc == nil || ioc.ID != ref || ioc.Action != "prevent" {
		t.Errorf("after = %+v, %v; want IOC %s preventing", ioc, err, ref)
	}
	if again, err := c.BlockHash(ctx, fileSHA, "retry"); err != nil || again != ref || len(calls(fake, http.MethodPost, iocs)) != 1 {
		t.Errorf("second block = %q, %v, %d creates; want IOC %s, no second create", again, err, len(calls(fake, http.MethodPost, iocs)), ref)
	}
	for range 2 {
		if err := c.UnblockHash(ctx, fileSHA, ref); err != nil {
			t.Fatal(err)
		}
	}
	dels := calls(fake, http.MethodDelete, iocs)
	if fake.Prevented(fileSHA) || len(dels) != 2 || dels[0].Query.Get("ids") != ref {
		t.Errorf("prevented %v after two undos; deletes %+v", fake.Prevented(fileSHA), dels)
	}
}

// TestBlockHashIOCLeavesAnothers: another's IOC that prevents the hash is
// answered with its ID (nothing created); one that only detects it is
// refused with a 409 that names it, not replaced (the undo would delete
// theirs), and classified non-retryable; an undo without a reference
// deletes socflow's IOCs only; a SHA-1, which Falcon's custom IOCs do not
// take, is refused before any call.
func TestBlockHashIOCLeavesAnothers(t *testing.T) {
	ctx := context.Background()
	fake := falcontest.New(falcontest.WithIOCs(
		falcontest.IOC{Type: "sha256", Value: fileSHA, Action: "detect", Source: "threat-intel"},
		falcontest.IOC{Type: "md5", Value: fileMD5, Action: "prevent"},
	))
	c := setup(t, fake, nil)
	_, err := c.BlockHash(ctx, fileSHA, "x")
	se := statusError(t, err, http.StatusConflict)
	if !strings.Contains(se.Body, "action detect (source threat-intel)") || !activities.IsType(activities.Classify("block hash", err), activities.ErrBadRequest) {
		t.Errorf("refusal %v, want a non-retryable one naming the detect IOC", err)
	}
	theirs, err := c.BlockHash(ctx, fileMD5, "x")
	if err != nil || theirs == "" || len(calls(fake, http.MethodPost, iocs)) != 0 {
		t.Fatalf("block of a hash another prevents = %q, %v, %d creates; want their IOC, none created", theirs, err, len(calls(fake, http.MethodPost, iocs)))
	}
	if err := c.UnblockHash(ctx, fileMD5, ""); err != nil || !fake.Prevented(fileMD5) || len(calls(fake, http.MethodDelete, iocs)) != 0 {
		t.Errorf("undo without a reference: %v; prevented %v; want another's IOC left, no delete", err, fake.Prevented(fileMD5))
	}
	before := len(fake.Calls())
	_, err = c.BlockHash(ctx, "da39a3ee5e6b4b0d3255bfef95601890afd80709", "x")
	if se := statusError(t, err, http.StatusBadRequest); !strings.Contains(se.Body, "SHA-256 or MD5") || len(fake.Calls()) != before {
		t.Errorf("SHA-1: %v after %d calls; want a refusal before any", err, len(fake.Calls())-before)
	}
}

// TestBlockHashIOCRace: an IOC created between socflow's read and its
// create (a retry whose answer was lost, the console) makes Falcon
// refuse the create as a duplicate; the block then answers with that IOC.
func TestBlockHashIOCRace(t *testing.T) {
	fake := falcontest.New()
	var ts *httptest.Server
	raced := false
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == iocs && !raced {
			raced = true
			body, _ := io.ReadAll(r.Body)
			// The same create, sent first by "someone else".
			first := r.Clone(r.Context())
			first.Body = io.NopCloser(bytes.NewReader(body))
			fake.ServeHTTP(httptest.NewRecorder(), first)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c, err := falcon.New(ts.Client(), falcon.Config{BaseURL: ts.URL, ClientID: falcontest.DefaultClientID, ClientSecret: falcontest.DefaultClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := c.BlockHash(context.Background(), fileSHA, "x")
	if err != nil || ref == "" {
		t.Fatalf("block = %q, %v; want the IOC the duplicate names", ref, err)
	}
	statuses := []int{}
	for _, call := range calls(fake, http.MethodPost, iocs) {
		statuses = append(statuses, call.Status)
	}
	if !slices.Equal(statuses, []int{http.StatusCreated, http.StatusBadRequest}) {
		t.Errorf("create answers %v, want the racer's 201 and socflow's duplicate 400", statuses)
	}
}

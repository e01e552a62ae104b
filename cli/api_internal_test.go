package cli

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/httpapi"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/workflows"
)

// decideRecorder is the incidents behind a real API for the CLI's run
// tests: it records decisions and refuses bob's.
type decideRecorder struct {
	httpapi.Incidents
	mu  sync.Mutex
	got []workflows.DecideInput
}

func (d *decideRecorder) Decide(_ context.Context, key string, in workflows.DecideInput) (*workflows.DecideResult, error) {
	if key != "host:dc01" {
		return nil, incidents.ErrNotFound
	}
	if in.By == "bob" {
		return nil, &incidents.RejectedError{Reason: "bob may not decide at tier IR"}
	}
	d.mu.Lock()
	d.got = append(d.got, in)
	d.mu.Unlock()
	return &workflows.DecideResult{Status: "accepted", Tier: "T1"}, nil
}

// newAPIForCLI serves the real API with stored tokens; it returns the
// URL, the recorder and an admin token.
func newAPIForCLI(t *testing.T) (string, *decideRecorder, *events.SQLStore, string) {
	t.Helper()
	store, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	var static auth.Static
	static.Add("sft_cli-test-admin", auth.Principal{Name: "root-admin", Roles: []auth.Role{auth.RoleAdmin}})
	tokens := &auth.Tokens{Store: store, CacheTTL: -1}
	rec := &decideRecorder{}
	srv := httptest.NewServer(httpapi.New(httpapi.Options{
		Incidents: rec, Auth: auth.Chain{&static, tokens}, Tokens: store, Revoked: tokens.Forget, Registry: prometheus.NewRegistry(),
	}))
	t.Cleanup(srv.Close)
	return srv.URL, rec, store, "sft_cli-test-admin"
}

// TestTokenAndDecideRun: an admin creates a responder token with the
// CLI, which prints it alone on its last line; that token decides with
// the CLI as its own name; the list shows it; a revoked token is refused
// with ExitAuth; a refused decision exits ExitRejected.
func TestTokenAndDecideRun(t *testing.T) {
	url, rec, _, admin := newAPIForCLI(t)
	dataDir := t.TempDir()
	env := map[string]string{"SOCFLOW_TOKEN": admin, "SOCFLOW_API": url, "SOCFLOW_DATA_DIR": dataDir}

	f, out, errOut := testFactory(env)
	if code := Run(f, []string{"token", "create", "--name", "alice", "--role", "responder"}); code != ExitOK {
		t.Fatalf("token create: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	token := lines[len(lines)-1]
	if !strings.HasPrefix(token, auth.TokenPrefix) || strings.Contains(token, " ") {
		t.Fatalf("last line %q is not the token alone", token)
	}

	f, out, errOut = testFactory(map[string]string{"SOCFLOW_TOKEN": token, "SOCFLOW_API": url, "SOCFLOW_DATA_DIR": dataDir})
	if code := Run(f, []string{"incident", "decide", "host:dc01", "--approve", "--action", "isolate_host:dc01", "--note", "seen it"}); code != ExitOK {
		t.Fatalf("decide: exit %d: %s", code, errOut)
	}
	if len(rec.got) != 1 || rec.got[0].By != "alice" || rec.got[0].Via != "cli" || rec.got[0].Note != "seen it" || rec.got[0].Actions[0] != "isolate_host:dc01" {
		t.Fatalf("decision = %+v, want alice's via cli", rec.got)
	}
	if !strings.Contains(out.String(), "accepted at tier T1") {
		t.Errorf("decide printed %q", out)
	}
	// A responder may not act on behalf of someone, nor manage tokens.
	f, _, errOut = testFactory(map[string]string{"SOCFLOW_TOKEN": token, "SOCFLOW_API": url, "SOCFLOW_DATA_DIR": dataDir})
	if code := Run(f, []string{"incident", "decide", "host:dc01", "--deny", "--on-behalf-of", "carol"}); code != ExitAuth {
		t.Errorf("responder --on-behalf-of: exit %d, want %d: %s", code, ExitAuth, errOut)
	}
	f, _, errOut = testFactory(map[string]string{"SOCFLOW_TOKEN": token, "SOCFLOW_API": url, "SOCFLOW_DATA_DIR": dataDir})
	if code := Run(f, []string{"token", "list"}); code != ExitAuth || !strings.Contains(errOut.String(), "admin") {
		t.Errorf("responder token list: exit %d, want %d naming the admin role: %s", code, ExitAuth, errOut)
	}
	// The admin records bob's decision, which the incident refuses.
	f, _, errOut = testFactory(env)
	if code := Run(f, []string{"incident", "decide", "host:dc01", "--deny", "--on-behalf-of", "bob"}); code != ExitRejected || !strings.Contains(errOut.String(), "bob may not decide") {
		t.Errorf("refused decision: exit %d, want %d: %s", code, ExitRejected, errOut)
	}
	f, _, errOut = testFactory(env)
	if code := Run(f, []string{"incident", "decide", "host:nowhere", "--deny"}); code != ExitNotFound {
		t.Errorf("unknown incident: exit %d, want %d: %s", code, ExitNotFound, errOut)
	}

	f, out, errOut = testFactory(env)
	if code := Run(f, []string{"token", "list"}); code != ExitOK || !strings.Contains(out.String(), "alice") || strings.Contains(out.String(), token) {
		t.Fatalf("token list: exit %d: %s%s", code, out, errOut)
	}
	f, out, errOut = testFactory(env)
	if code := Run(f, []string{"token", "revoke", "alice"}); code != ExitOK || !strings.Contains(out.String(), "revoked") {
		t.Fatalf("token revoke: exit %d: %s%s", code, out, errOut)
	}
	f, _, errOut = testFactory(map[string]string{"SOCFLOW_TOKEN": token, "SOCFLOW_API": url, "SOCFLOW_DATA_DIR": dataDir})
	if code := Run(f, []string{"incident", "decide", "host:dc01", "--deny"}); code != ExitAuth {
		t.Errorf("revoked token: exit %d, want %d: %s", code, ExitAuth, errOut)
	}
	if len(rec.got) != 1 {
		t.Errorf("%d decisions reached the incident, want 1", len(rec.got))
	}
}

// TestCLIReadsTheDevToken: without SOCFLOW_TOKEN the CLI uses the token
// `socflow dev` wrote in the data directory, and without either it says
// where it looked.
func TestCLIReadsTheDevToken(t *testing.T) {
	url, _, _, admin := newAPIForCLI(t)
	dataDir := t.TempDir()
	f, _, errOut := testFactory(map[string]string{"SOCFLOW_API": url, "SOCFLOW_DATA_DIR": dataDir})
	if code := Run(f, []string{"token", "list"}); code != ExitAuth || !strings.Contains(errOut.String(), filepath.Join(dataDir, "token")) {
		t.Fatalf("no token anywhere: exit %d: %s", code, errOut)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "token"), []byte(admin+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, out, errOut := testFactory(map[string]string{"SOCFLOW_API": url, "SOCFLOW_DATA_DIR": dataDir})
	if code := Run(f, []string{"token", "list"}); code != ExitOK || !strings.Contains(out.String(), "ID") {
		t.Fatalf("with the dev token: exit %d: %s%s", code, out, errOut)
	}
}

// TestEnsureDevToken: dev creates its admin token once, mode 0600, keeps
// it across restarts, and refuses one others can read.
func TestEnsureDevToken(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".socflow")
	tok, created, err := ensureDevToken(dir)
	if err != nil || !created || !strings.HasPrefix(tok, auth.TokenPrefix) {
		t.Fatalf("first start: %q %v %v", tok, created, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "token"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v %v, want 0600", fi.Mode().Perm(), err)
	}
	again, created, err := ensureDevToken(dir)
	if err != nil || created || again != tok {
		t.Fatalf("second start: %q %v %v, want the same token", again, created, err)
	}
	if err := os.Chmod(filepath.Join(dir, "token"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ensureDevToken(dir); err == nil || !strings.Contains(err.Error(), "readable by others") {
		t.Fatalf("world-readable token file: %v", err)
	}
}

// TestServeRun: serve refuses to start without a way to authenticate an
// admin, and --insecure-no-auth beyond loopback, before it connects to
// Temporal; with the bootstrap admin token it gets as far as Temporal.
func TestServeRun(t *testing.T) {
	dataDir := t.TempDir()
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no credential at all", nil, []string{"serve", "--addr", "0.0.0.0:0"}, ExitUsage, "SOCFLOW_ADMIN_TOKEN"},
		{"insecure beyond loopback", nil, []string{"serve", "--addr", "0.0.0.0:0", "--insecure-no-auth"}, ExitUsage, "loopback"},
		{"bootstrap admin token", map[string]string{"SOCFLOW_ADMIN_TOKEN": "0123456789abcdef0123456789"}, []string{"serve", "--addr", "127.0.0.1:0"}, ExitUnavailable, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"SOCFLOW_DATA_DIR": dataDir}
			for k, v := range tc.env {
				env[k] = v
			}
			f, _, errOut := testFactory(env)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := NewRootCmd(f)
			cmd.SetArgs(tc.args)
			cmd.SetOut(f.Out)
			cmd.SetErr(f.ErrOut)
			err := cmd.ExecuteContext(ctx)
			if code := ExitCode(err); code != tc.code || !strings.Contains(fmt.Sprint(err), tc.want) {
				t.Fatalf("exit %d (%v), want %d naming %q: %s", code, err, tc.code, tc.want, errOut)
			}
		})
	}
}

package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/intake"
)

// testFactory has buffers for I/O and an environment of its own, so that
// nothing the developer has exported leaks into a test. Its Temporal
// address is one nothing listens on, so a command that dials by mistake
// fails instead of reaching a developer's server.
func testFactory(env map[string]string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	if env == nil {
		env = map[string]string{}
	}
	if _, ok := env["TEMPORAL_ADDRESS"]; !ok {
		env["TEMPORAL_ADDRESS"] = "127.0.0.1:1"
	}
	return &Factory{
		In:     strings.NewReader(""),
		Out:    out,
		ErrOut: errOut,
		LookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	}, out, errOut
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIncidentDecideFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
		want    *IncidentDecideOptions
		verdict alert.Verdict
	}{
		{
			name: "approve", args: []string{"host:dc01", "--approve"},
			want: &IncidentDecideOptions{Incident: "host:dc01", Approve: true}, verdict: alert.VerdictApprove,
		},
		{
			name: "approve some actions", args: []string{"incident/host:dc01", "--approve", "--action", "isolate_host:dc01", "--action", "block_ip:203.0.113.7", "--note", "confirmed"},
			want: &IncidentDecideOptions{
				Incident: "incident/host:dc01", Approve: true, Note: "confirmed",
				Actions: []string{"isolate_host:dc01", "block_ip:203.0.113.7"},
			},
			verdict: alert.VerdictApprove,
		},
		{
			name: "deny", args: []string{"host:dc01", "--deny"},
			want: &IncidentDecideOptions{Incident: "host:dc01", Deny: true}, verdict: alert.VerdictDeny,
		},
		{
			name: "escalate", args: []string{"host:dc01", "--escalate"},
			want: &IncidentDecideOptions{Incident: "host:dc01", Escalate: true}, verdict: alert.VerdictEscalate,
		},
		{
			name: "false positive", args: []string{"host:dc01", "--false-positive"},
			want: &IncidentDecideOptions{Incident: "host:dc01", FalsePositive: true}, verdict: alert.VerdictFalsePositive,
		},
		{
			name: "revert", args: []string{"host:dc01", "--revert"},
			want: &IncidentDecideOptions{Incident: "host:dc01", Revert: true}, verdict: alert.VerdictRevert,
		},
		{
			name: "renew", args: []string{"host:dc01", "--renew"},
			want: &IncidentDecideOptions{Incident: "host:dc01", Renew: true}, verdict: alert.VerdictRenew,
		},
		{
			name: "renew some", args: []string{"host:dc01", "--renew", "--action", "isolate_host:dc01"},
			want: &IncidentDecideOptions{Incident: "host:dc01", Renew: true, Actions: []string{"isolate_host:dc01"}}, verdict: alert.VerdictRenew,
		},
		{name: "renew and revert", args: []string{"host:dc01", "--renew", "--revert"}, wantErr: "exactly one of"},
		{name: "--action with --revert", args: []string{"host:dc01", "--revert", "--action", "x"}, wantErr: "--action only goes with --approve or --renew"},
		{name: "no verdict", args: []string{"host:dc01"}, wantErr: "exactly one of"},
		{name: "two verdicts", args: []string{"host:dc01", "--approve", "--deny"}, wantErr: "exactly one of"},
		{name: "--action without --approve", args: []string{"host:dc01", "--deny", "--action", "x"}, wantErr: "--action only goes with --approve"},
		{name: "--action alone", args: []string{"host:dc01", "--action", "x"}, wantErr: "exactly one of"},
		{name: "no incident", args: []string{"--approve"}, wantErr: "name one incident"},
		{name: "blank incident", args: []string{" ", "--approve"}, wantErr: "name one incident"},
		{name: "two incidents", args: []string{"host:a", "host:b", "--approve"}, wantErr: "name one incident"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(tt.env)
			var got *IncidentDecideOptions
			cmd := newCmdIncidentDecide(f, func(_ context.Context, o *IncidentDecideOptions) error {
				got = o
				return nil
			})
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if ExitCode(err) != ExitUsage || !strings.Contains(fmt.Sprint(err), tt.wantErr) {
					t.Fatalf("err = %v (exit %d), want a usage error about %q", err, ExitCode(err), tt.wantErr)
				}
				if got != nil {
					t.Error("the command ran despite the usage error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.IO.Out != f.Out || got.Client == nil {
				t.Errorf("the factory did not hand the command its output and API client: %+v", got)
			}
			got.IO, got.Client = IOStreams{}, nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options = %+v\nwant      %+v", got, tt.want)
			}
			if v, err := got.Verdict(); err != nil || v != tt.verdict {
				t.Errorf("Verdict() = %q, %v; want %q", v, err, tt.verdict)
			}
		})
	}
}

func TestIncidentListFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr bool
		want    incidents.ListOptions
	}{
		{args: nil, want: incidents.ListOptions{Limit: 50}},
		{args: []string{"--priority", "P1", "--status", "awaiting_decision", "--open", "--limit", "5"},
			want: incidents.ListOptions{Priority: "P1", Status: "awaiting_decision", OpenOnly: true, Limit: 5}},
		{args: []string{"--priority", "p4"}, want: incidents.ListOptions{Priority: "p4", Limit: 50}},
		{args: []string{"--priority", "P9"}, wantErr: true},
		{args: []string{"--priority", "P"}, wantErr: true},
		{args: []string{"--priority", "1"}, wantErr: true},
		{args: []string{"--priority", "P1 P2"}, wantErr: true},
		{args: []string{"--priority", "high"}, wantErr: true},
		{args: []string{"extra"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _, _ := testFactory(nil)
			var got *IncidentListOptions
			cmd := newCmdIncidentList(f, func(_ context.Context, o *IncidentListOptions) error {
				got = o
				return nil
			})
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr {
				if err == nil || got != nil {
					t.Fatalf("err = %v, ran = %v; want a refusal", err, got != nil)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ListOptions != tt.want {
				t.Errorf("options = %+v, want %+v", got.ListOptions, tt.want)
			}
		})
	}
}

func TestAlertSubmitFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr bool
		want    AlertSubmitOptions
	}{
		{args: []string{"alerts.json"}, want: AlertSubmitOptions{File: "alerts.json", MaxBytes: 64 << 20}},
		{args: []string{"-", "--max-bytes", "100"}, want: AlertSubmitOptions{File: "-", MaxBytes: 100}},
		{args: nil, wantErr: true},
		{args: []string{"a.json", "b.json"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _, _ := testFactory(nil)
			var got *AlertSubmitOptions
			cmd := newCmdAlertSubmit(f, func(_ context.Context, o *AlertSubmitOptions) error {
				got = o
				return nil
			})
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr {
				if ExitCode(err) != ExitUsage || got != nil {
					t.Fatalf("err = %v, ran = %v; want a usage error", err, got != nil)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Config == nil || got.Connect == nil || got.Now == nil || got.IO.In != f.In {
				t.Errorf("the factory did not hand the command its dependencies: %+v", got)
			}
			if got.File != tt.want.File || got.MaxBytes != tt.want.MaxBytes || got.Format != tt.want.Format {
				t.Errorf("options = %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestDevFlags(t *testing.T) {
	started := false
	fakeDev := func(context.Context, DevServerOptions) (DevServer, error) {
		started = true
		return nil, errors.New("not in this test")
	}
	tests := []struct {
		args    []string
		wantErr bool
		want    DevOptions
	}{
		{args: []string{"--ephemeral"}, want: DevOptions{
			DB: filepath.Join(".socflow", "temporal.db"), Ephemeral: true, APIAddr: "127.0.0.1:8080", IP: "127.0.0.1", TemporalPort: 7233, UIPort: 8233, EDR: "defender",
		}},
		{args: []string{"--db", "x.db", "--ui-port", "0", "--api-addr", "127.0.0.1:9090"}, want: DevOptions{
			DB: "x.db", APIAddr: "127.0.0.1:9090", IP: "127.0.0.1", TemporalPort: 7233, UIPort: 0, EDR: "defender",
		}},
		{args: []string{"--db", "x", "--ephemeral"}, wantErr: true},
		{args: []string{"--ip", "0.0.0.0"}, wantErr: true},
		{args: []string{"--ip", "192.0.2.10", "--ui-port", "0"}, wantErr: true},
		{args: []string{"--ip", "0.0.0.0", "--expose-temporal"}, want: DevOptions{
			DB: filepath.Join(".socflow", "temporal.db"), APIAddr: "127.0.0.1:8080", IP: "0.0.0.0", TemporalPort: 7233, UIPort: 8233, ExposeTemporal: true, EDR: "defender",
		}},
		{args: []string{"--ip", "::1"}, want: DevOptions{
			DB: filepath.Join(".socflow", "temporal.db"), APIAddr: "127.0.0.1:8080", IP: "::1", TemporalPort: 7233, UIPort: 8233, EDR: "defender",
		}},
		{args: []string{"--edr", "falcon"}, want: DevOptions{
			DB: filepath.Join(".socflow", "temporal.db"), APIAddr: "127.0.0.1:8080", IP: "127.0.0.1", TemporalPort: 7233, UIPort: 8233, EDR: "falcon",
		}},
		{args: []string{"--edr", "sentinelone"}, wantErr: true},
		{args: []string{"positional"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _, _ := testFactory(nil)
			f.DevServer = fakeDev
			var got *DevOptions
			cmd := newCmdDev(f, func(_ context.Context, o *DevOptions) error {
				got = o
				return nil
			})
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr {
				if err == nil || got != nil {
					t.Fatalf("err = %v, ran = %v; want a refusal", err, got != nil)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("options = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	if started {
		t.Error("flag parsing started a server")
	}
}

func TestRun(t *testing.T) {
	malformed := writeFile(t, "bad.json", "{\n  \"source\": \"suricata\",\n  \"rule\": ,\n}\n")
	badYAMLField := writeFile(t, "unknown-field.yaml", "tiers:\n  - name: T1\n    timout: 15m\n")
	badYAMLValue := writeFile(t, "bad-value.yaml", "data_dir: .socflow\nserver:\n  addr: nowhere\n")
	badYAMLSyntax := writeFile(t, "syntax.yaml", "triage:\n  dedupe_window: [1h\n")
	missing := filepath.Join(t.TempDir(), "missing.json")

	tests := []struct {
		name   string
		args   []string
		code   int
		out    []string
		errOut []string
	}{
		{
			name: "config check on the bundled example", args: []string{"config", "check", "--config", "../examples/socflow.yaml"},
			code: ExitOK,
			out: []string{
				"../examples/socflow.yaml: OK", "Escalation ladder", "#soc-t1", "#soc-t2", "#incident-response",
				"Routing (first match wins)", "network-anomaly", "malware-on-host", "account-compromise",
				"suppress vuln-scanner", "intel/watchlist.csv",
			},
		},
		{
			name: "config check from SOCFLOW_CONFIG", args: []string{"config", "check"},
			code: ExitOK, out: []string{"../examples/socflow.yaml: OK"},
		},
		{
			name: "config check: unknown field", args: []string{"config", "check", "--config", badYAMLField},
			code: ExitConfig, errOut: []string{badYAMLField + ":3: ", "timout"},
		},
		{
			name: "config check: invalid value", args: []string{"config", "check", "--config", badYAMLValue},
			code: ExitConfig, errOut: []string{badYAMLValue + ":3: server.addr: ", "nowhere"},
		},
		{
			name: "config check: YAML syntax", args: []string{"config", "check", "--config", badYAMLSyntax},
			code: ExitConfig, errOut: []string{badYAMLSyntax + ":"},
		},
		{name: "-o yaml", args: []string{"-o", "yaml", "config", "check"}, code: ExitUsage, errOut: []string{"-o must be text, json or md"}},
		{name: "-o md where md is not printed", args: []string{"-o", "md", "config", "check"}, code: ExitUsage, errOut: []string{`-o md: "socflow config check" prints text or json, not md`}},
		{name: "unknown flag", args: []string{"config", "check", "--bogus"}, code: ExitUsage, errOut: []string{"--bogus"}},
		{
			name: "alert submit: malformed file", args: []string{"alert", "submit", malformed},
			code: ExitRejected, errOut: []string{malformed, "malformed JSON", "line 3"},
		},
		{name: "alert submit: missing file", args: []string{"alert", "submit", missing}, code: ExitUsage, errOut: []string{"missing.json"}},
		{name: "alert submit: no file", args: []string{"alert", "submit"}, code: ExitUsage, errOut: []string{"exactly one FILE"}},
		{
			name: "alert submit: over --max-bytes", args: []string{"alert", "submit", "--max-bytes", "10", malformed},
			code: ExitUsage, errOut: []string{"--max-bytes 10"},
		},
		{name: "alert submit: empty stdin", args: []string{"alert", "submit", "-"}, code: ExitRejected, errOut: []string{"empty"}},
		{name: "dev: --db and --ephemeral", args: []string{"dev", "--db", "x", "--ephemeral"}, code: ExitUsage, errOut: []string{"exclude each other"}},
		{name: "dev: --ip beyond loopback", args: []string{"dev", "--ip", "0.0.0.0"}, code: ExitUsage, errOut: []string{"no authentication", "--expose-temporal"}},
		{name: "dev: unknown --edr", args: []string{"dev", "--edr", "sentinelone"}, code: ExitUsage, errOut: []string{"--edr must be one of defender, falcon", "sentinelone"}},
		{name: "incident list --priority P9", args: []string{"incident", "list", "--priority", "P9"}, code: ExitUsage, errOut: []string{"P9"}},
		{name: "incident list --drill maybe", args: []string{"incident", "list", "--drill", "maybe"}, code: ExitUsage, errOut: []string{"--drill", `"maybe"`}},
		{name: "incident list --since soon", args: []string{"incident", "list", "--since", "soon"}, code: ExitUsage, errOut: []string{"--since", "soon"}},
		{name: "incident list --until before --since", args: []string{"incident", "list", "--since", "1h", "--until", "2h"}, code: ExitUsage, errOut: []string{"until", "after since"}},
		{name: "incident decide without a verdict", args: []string{"incident", "decide", "host:dc01"}, code: ExitUsage},
		{name: "incident decide with --as", args: []string{"incident", "decide", "host:dc01", "--deny", "--as", "alice"}, code: ExitUsage, errOut: []string{"--as"}},
		{name: "token create without a role", args: []string{"token", "create", "--name", "x"}, code: ExitUsage, errOut: []string{"--role"}},
		{name: "token create with an unknown role", args: []string{"token", "create", "--name", "x", "--role", "root"}, code: ExitUsage, errOut: []string{"root"}},
		{name: "token revoke without a token", args: []string{"token", "revoke"}, code: ExitUsage, errOut: []string{"name one token"}},
		{name: "incident show without an incident", args: []string{"incident", "show"}, code: ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			if tt.name == "config check from SOCFLOW_CONFIG" {
				env["SOCFLOW_CONFIG"] = "../examples/socflow.yaml"
			}
			f, out, errOut := testFactory(env)
			code := Run(f, tt.args)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, s := range tt.out {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.errOut {
				if !strings.Contains(errOut.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if tt.code != ExitOK && !strings.HasPrefix(errOut.String(), "socflow: ") {
				t.Errorf("stderr %q does not start with socflow:", errOut)
			}
		})
	}
}

// TestConfigCheckLadder checks the printed ladder row by row, in order.
func TestConfigCheckLadder(t *testing.T) {
	f, out, errOut := testFactory(nil)
	if code := Run(f, []string{"config", "check", "--config", "../examples/socflow.yaml"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	section := func(title string) []string {
		_, rest, ok := strings.Cut(out.String(), "\n"+title+"\n")
		if !ok {
			t.Fatalf("no %q section:\n%s", title, out)
		}
		body, _, _ := strings.Cut(rest, "\n\n")
		return strings.Split(body, "\n")
	}
	ladder := section("Escalation ladder")
	var tiers []string
	for _, l := range ladder[1:] {
		tiers = append(tiers, strings.Fields(l)[0])
	}
	if !reflect.DeepEqual(tiers, []string{"T1", "T2", "IR"}) {
		t.Errorf("ladder tiers = %v, want T1 T2 IR:\n%s", tiers, strings.Join(ladder, "\n"))
	}
	routing := section("Routing (first match wins)")
	var rules []string
	for _, l := range routing[1:] {
		rules = append(rules, strings.Fields(l)[0])
	}
	if !reflect.DeepEqual(rules, []string{"network", "malware", "identity", "phishing", "default"}) {
		t.Errorf("routing rules = %v, want network malware identity phishing default:\n%s", rules, strings.Join(routing, "\n"))
	}
	if !strings.Contains(out.String(), "tier T1 has no approvers") {
		t.Errorf("the example has no approvers; config check must warn:\n%s", out)
	}
}

func TestConfigCheckJSONRedactsSecrets(t *testing.T) {
	f, out, errOut := testFactory(map[string]string{"SOCFLOW_API_TOKEN": "hunter2-token-of-24-chars"})
	if code := Run(f, []string{"-o", "json", "config", "check", "--config", "../examples/socflow.yaml"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("-o json printed something else: %v\n%s", err, out)
	}
	if strings.Contains(out.String(), "hunter2-token-of-24-chars") {
		t.Errorf("config check printed the API token:\n%s", out)
	}
}

func TestExitCode(t *testing.T) {
	cfgErr := &config.Error{File: "s.yaml", Line: 3, Field: "tiers[0].timeout", Msg: "must be positive"}
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"other", errors.New("boom"), ExitError},
		{"usage", usageErrorf("bad flag"), ExitUsage},
		{"wrapped usage", fmt.Errorf("x: %w", usageErrorf("bad flag")), ExitUsage},
		{"config error", cfgErr, ExitConfig},
		{"joined config errors", errors.Join(cfgErr, &config.Error{Msg: "other"}), ExitConfig},
		{"not found", fmt.Errorf("incidents: query incident/x: %w", incidents.ErrNotFound), ExitNotFound},
		{"bad key or filter", fmt.Errorf("incidents: %w: the incident key is empty", incidents.ErrBadRequest), ExitUsage},
		{"refused decision", &incidents.RejectedError{Reason: "not an approver"}, ExitRejected},
		{"wrapped refused decision", fmt.Errorf("decide: %w", &incidents.RejectedError{Reason: "no"}), ExitRejected},
		{"rejected input", &rejectedError{msg: "2 alert(s) rejected"}, ExitRejected},
		{"unavailable", unavailable(errors.New("dial tcp: refused")), ExitUnavailable},
		{"Temporal unavailable", fmt.Errorf("list: %w", serviceerror.NewUnavailable("down")), ExitUnavailable},
		{"Temporal deadline", serviceerror.NewDeadlineExceeded("slow"), ExitUnavailable},
		{"unavailable wrapping not found", unavailable(incidents.ErrNotFound), ExitNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestPrintSubmit(t *testing.T) {
	f, out, errOut := testFactory(nil)
	resp := &intake.Response{
		Accepted: 2, Duplicates: 1,
		Results:  []intake.Result{{Index: 0, WorkflowID: "alert/a"}, {Index: 2, WorkflowID: "alert/a", Duplicate: true}},
		Rejected: []intake.Rejection{{Index: 1, Line: 2, Error: "rule: is required"}},
	}
	if err := printSubmit(f.streams(), "alerts.ndjson", resp); err != nil {
		t.Fatal(err)
	}
	if want := "alert/a\tnew\nalert/a\tduplicate\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	for _, s := range []string{"rejected alerts.ndjson:line 2: rule: is required", "accepted 2 (1 duplicates), rejected 1"} {
		if !strings.Contains(errOut.String(), s) {
			t.Errorf("stderr lacks %q:\n%s", s, errOut)
		}
	}
}

func TestBenchFlags(t *testing.T) {
	f, _, _ := testFactory(nil)
	f.DevServer = func(context.Context, DevServerOptions) (DevServer, error) {
		t.Error("flag parsing started a server")
		return nil, errors.New("not in this test")
	}
	var got *BenchOptions
	cmd := newCmdBench(f, func(_ context.Context, o *BenchOptions) error {
		got = o
		return nil
	})
	cmd.SetArgs([]string{"--quick", "--only", "e2e,storm", "--check", "--cpuprofile", "cpu.out"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := BenchOptions{Quick: true, Only: []string{"e2e", "storm"}, Check: true, CPUProfile: "cpu.out"}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("options = %+v, want %+v", *got, want)
	}
}

// TestBenchRun runs the one phase that needs no server, and refuses an
// unknown phase as a usage error before starting anything.
func TestBenchRun(t *testing.T) {
	noServer := func(context.Context, DevServerOptions) (DevServer, error) {
		t.Error("bench started a server for a phase that needs none")
		return nil, errors.New("not in this test")
	}
	t.Run("--only intel", func(t *testing.T) {
		f, out, errOut := testFactory(nil)
		f.DevServer = noServer
		if code := Run(f, []string{"-o", "json", "bench", "--quick", "--only", "intel"}); code != ExitOK {
			t.Fatalf("exit %d\nstderr:\n%s", code, errOut)
		}
		var r struct {
			Intel *struct {
				Indicators int     `json:"indicators"`
				LoadS      float64 `json:"load_s"`
			} `json:"intel"`
		}
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, out)
		}
		if r.Intel == nil || r.Intel.Indicators == 0 || r.Intel.LoadS <= 0 {
			t.Errorf("intel figures = %+v in %s", r.Intel, out)
		}
		if !strings.Contains(errOut.String(), "intel") {
			t.Errorf("no progress line for the intel phase on stderr: %q", errOut)
		}
		for _, line := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
			if !strings.HasPrefix(line, "bench: ") {
				t.Errorf("stderr line %q is not a progress line", line)
			}
		}
	})
	t.Run("--only nope", func(t *testing.T) {
		f, _, errOut := testFactory(nil)
		f.DevServer = noServer
		if code := Run(f, []string{"bench", "--only", "nope"}); code != ExitUsage {
			t.Fatalf("exit %d, want %d (usage)\nstderr:\n%s", code, ExitUsage, errOut)
		}
		if !strings.Contains(errOut.String(), "nope") {
			t.Errorf("stderr does not name the unknown phase: %q", errOut)
		}
	})
}

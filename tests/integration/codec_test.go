package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/codec"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/tests/replay"
	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// The alert's values are distinctive, so that finding one means it leaked
// and not that a fixture happens to share a word.
const (
	scanHost    = "scanhost-5d2c"
	scanUser    = "scanuser-93b1"
	scanCommand = `C:\Temp\dropper-7Qx.exe /silent /token-free-cmdline-ZQX`
	scanText    = "raw SIEM text 8f1e: beacon to stage2 every 60s"
)

func scanAlert() []byte {
	return []byte(`{
  "source": "edr",
  "rule": "Known malicious file executed",
  "title": "dropper ran on the scanned host",
  "description": "` + scanText + `",
  "category": "malware",
  "severity": "high",
  "time": "2026-05-14T10:02:47Z",
  "entities": {
    "hosts": [{"name": "` + scanHost + `", "os": "Windows 11"}],
    "users": [{"name": "` + scanUser + `", "domain": "CORP"}],
    "processes": [{"name": "dropper-7Qx.exe", "pid": 6120, "command_line": ` + jsonString(scanCommand) + `}]
  }
}`)
}

func jsonString(s string) string { return mustJSON(s) }

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHistoryScan runs the pipeline with the payload codec configured (a
// key ring of one key from the environment and one from a file, and an API
// token), then reads every workflow history it produced and fails on any
// alert value in clear in a payload, or any configured secret anywhere in
// an event. Search attributes (SocflowHost, SocflowUser, ...) and workflow
// IDs (incident/host:<name>) are in clear by design: Temporal reads them
// to list and find workflows, so the alert values are looked for in
// payloads only.
func TestHistoryScan(t *testing.T) {
	newKey, oldKey := randomBytes(t, codec.KeySize), randomBytes(t, codec.KeySize)
	token := hex.EncodeToString(randomBytes(t, 16))
	keyFile := filepath.Join(t.TempDir(), "k1.key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(oldKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startStack(t, stackOptions{
		env: map[string]string{"SCAN_CODEC_K2": base64.StdEncoding.EncodeToString(newKey), "SOCFLOW_API_TOKEN": token},
		extraYAML: `codec:
  keys:
    - {id: scan-k2, key: $SCAN_CODEC_K2}
    - {id: scan-k1, file: ` + keyFile + `}
`,
		mutate: func(c *config.Config) {
			shortWindows(c)
			c.Policy.Routing.Rules[1].Window = 2 * time.Second
		},
	})
	if !s.cfg.Codec.Enabled() || !s.cfg.Server.Token.IsSet() {
		t.Fatal("the stack runs without the codec or the token")
	}

	run := postAlert(t, s, scanAlert())
	key := "host:" + scanHost
	s.waitStatus(key, 30*time.Second, workflows.StatusAwaiting)
	// A refused decision: the validator's reason reaches the API through
	// the encrypted failure, readable.
	var refused struct{ Error string }
	bad, _ := json.Marshal(workflows.DecideInput{Verdict: "approve", By: "alice", Actions: []string{"isolate_host:not-" + scanHost}})
	if code := s.post("/v1/incidents/"+key+"/decision", "application/json", bad, &refused); code != http.StatusConflict || refused.Error == "" || strings.Contains(refused.Error, "encoded") {
		t.Fatalf("refused decision = %d %q, want 409 with the validator's reason", code, refused.Error)
	}
	t.Logf("refused decision: %s", refused.Error)
	// The isolation is refused for good, so that a failure naming the
	// host is recorded too.
	s.edr.FailNext("POST /api/machines/*/isolate", http.StatusBadRequest, 1, "")
	decide(t, s, key, workflows.DecideInput{Verdict: "approve", By: "alice", Note: "isolate " + scanHost})
	waitClosed(t, s.client, workflows.IncidentWorkflowID(key))
	waitClosed(t, s.client, run)

	// Every run the pipeline made: alert runs, incidents, correlation
	// windows, and every run after a continue-as-new.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var execs []*commonpb.WorkflowExecution
	var next []byte
	for {
		resp, err := s.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: s.cfg.Temporal.Namespace, NextPageToken: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range resp.GetExecutions() {
			execs = append(execs, e.GetExecution())
		}
		if next = resp.GetNextPageToken(); len(next) == 0 {
			break
		}
	}
	if len(execs) < 2 {
		t.Fatalf("%d runs listed, want at least the alert run and the incident", len(execs))
	}

	alertData := []replay.Needle{
		{Name: "the host name", Value: []byte(scanHost)},
		{Name: "the user name", Value: []byte(scanUser)},
		{Name: "the command line", Value: []byte("token-free-cmdline-ZQX")},
		{Name: "the raw text", Value: []byte(scanText)},
	}
	secrets := append(configuredSecrets(t, s.cfg), replay.CredentialMarkers...)
	secrets = append(secrets, replay.Needle{Name: "the API token", Value: []byte(token)})
	// The stored API tokens the requests carried (the SIEM's, the
	// deciders'), and their hashes.
	s.tokMu.Lock()
	for name, tok := range s.tokens {
		secrets = append(secrets, replay.Needle{Name: "the API token of " + name, Value: []byte(tok)},
			replay.Needle{Name: "the hash of the API token of " + name, Value: []byte(auth.HashToken(tok))})
	}
	s.tokMu.Unlock()
	for name, k := range map[string][]byte{"the new codec key": newKey, "the old codec key": oldKey} {
		for _, form := range []struct{ enc, value string }{
			{"raw", string(k)}, {"hex", hex.EncodeToString(k)}, {"base64", base64.StdEncoding.EncodeToString(k)},
			{"base64url", base64.RawURLEncoding.EncodeToString(k)},
		} {
			secrets = append(secrets, replay.Needle{Name: name + " (" + form.enc + ")", Value: []byte(form.value)})
		}
	}

	c, err := worker.Codec(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var decodedHits, encrypted, failures int
	for _, ex := range execs {
		h := historyOfRun(ctx, t, s, ex)
		for _, ev := range h.GetEvents() {
			if f := ev.GetActivityTaskFailedEventAttributes().GetFailure(); f != nil {
				failures++
				if f.GetEncodedAttributes() == nil {
					t.Errorf("%s: event %d: the activity failure's message is not encrypted: %q", ex.GetWorkflowId(), ev.GetEventId(), f.GetMessage())
				}
			}
		}
		for _, f := range replay.ScanPayloads(h, alertData) {
			t.Errorf("%s/%s: %s in clear", ex.GetWorkflowId(), ex.GetRunId(), f)
		}
		for _, f := range replay.ScanEvents(h, secrets) {
			t.Errorf("%s/%s: %s", ex.GetWorkflowId(), ex.GetRunId(), f)
		}
		// The control: decrypted, the same payloads do hold the alert, so
		// the scan looked where the data is.
		n, hits := decryptedHits(t, c, h, alertData)
		encrypted += n
		decodedHits += hits
		// An encrypted history replays with the codec's data converter.
		data, err := protojson.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, strings.NewReplacer("/", "_", ":", "_").Replace(ex.GetWorkflowId()+"-"+ex.GetRunId())+".json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := replay.ReplayFileWith(playbooks.Builtin(), path, c); err != nil {
			t.Errorf("replay %s: %v", ex.GetWorkflowId(), err)
		}
	}
	if failures == 0 {
		t.Error("no activity failure recorded: the refused isolation did not happen")
	}
	if encrypted == 0 || decodedHits == 0 {
		t.Fatalf("%d encrypted payloads, %d alert values in them once decrypted: the scan saw no alert data", encrypted, decodedHits)
	}
	t.Logf("%d runs, %d encrypted payloads, %d alert values found only after decryption", len(execs), encrypted, decodedHits)
}

func historyOfRun(ctx context.Context, t *testing.T, s *stack, ex *commonpb.WorkflowExecution) *historypb.History {
	t.Helper()
	h := &historypb.History{}
	it := s.client.GetWorkflowHistory(ctx, ex.GetWorkflowId(), ex.GetRunId(), false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	return h
}

// decryptedHits counts the encrypted payloads of h, and the alert values
// found in them once decrypted.
func decryptedHits(t *testing.T, c *codec.Codec, h *historypb.History, needles []replay.Needle) (encrypted, hits int) {
	t.Helper()
	var payloads []*commonpb.Payload
	collect := func(m interface{ GetPayloads() []*commonpb.Payload }) {
		payloads = append(payloads, m.GetPayloads()...)
	}
	for _, ev := range h.GetEvents() {
		if a := ev.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			collect(a.GetInput())
		}
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
			collect(a.GetInput())
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			collect(a.GetInput())
		}
		if a := ev.GetMarkerRecordedEventAttributes(); a != nil {
			for _, d := range a.GetDetails() {
				collect(d)
			}
		}
		if a := ev.GetWorkflowPropertiesModifiedEventAttributes(); a != nil {
			for _, p := range a.GetUpsertedMemo().GetFields() {
				payloads = append(payloads, p)
			}
		}
	}
	for _, p := range payloads {
		if string(p.GetMetadata()["encoding"]) != codec.Encoding {
			continue
		}
		encrypted++
		clear, err := c.Decode([]*commonpb.Payload{p})
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		for _, n := range needles {
			if bytes.Contains(clear[0].GetData(), n.Value) {
				hits++
			}
		}
	}
	return encrypted, hits
}

// configuredSecrets is the value of every secret the configuration holds,
// found by walking it, so that a secret added later is scanned for too.
func configuredSecrets(t *testing.T, cfg *config.Config) []replay.Needle {
	t.Helper()
	var out []replay.Needle
	secretType := reflect.TypeFor[config.Secret]()
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Struct:
			if v.Type() == secretType {
				if s := v.Interface().(config.Secret); s.IsSet() {
					out = append(out, replay.Needle{Name: "secret " + path, Value: []byte(s.Value())})
				}
				return
			}
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i), path+"."+v.Type().Field(i).Name)
				}
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), path)
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(v.MapIndex(k), path)
			}
		}
	}
	walk(reflect.ValueOf(cfg), "config")
	if len(out) == 0 {
		t.Fatal("no configured secret found: the walk is broken")
	}
	return out
}

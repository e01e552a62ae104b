package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/socflow/socflow/codec"
)

func TestCodecServerFlags(t *testing.T) {
	f, _, _ := testFactory(nil)
	var got *CodecServerOptions
	cmd := newCmdCodecServer(f, func(_ context.Context, o *CodecServerOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--addr", "127.0.0.1:9999"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Addr != "127.0.0.1:9999" {
		t.Fatalf("options = %+v", got)
	}
}

func TestCodecServerRefuses(t *testing.T) {
	keyHex := hex.EncodeToString(bytes.Repeat([]byte{3}, 32))
	withKey := writeFile(t, "socflow.yaml", "data_dir: "+t.TempDir()+"\ncodec:\n  keys:\n    - {id: k1, key: $CODEC_K1}\n")
	noKeys := writeFile(t, "socflow.yaml", "data_dir: "+t.TempDir()+"\n")
	for _, tt := range []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		errOut string
	}{
		{"no keys", []string{"codec-server", "--config", noKeys}, nil, ExitConfig, "codec.keys"},
		{"beyond loopback without a token", []string{"codec-server", "--config", withKey, "--addr", "0.0.0.0:0"},
			map[string]string{"CODEC_K1": keyHex}, ExitUsage, "without a way to authenticate"},
		{"short key", []string{"codec-server", "--config", withKey}, map[string]string{"CODEC_K1": "abcd"}, ExitConfig, `key "k1"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := testFactory(tt.env)
			if code := Run(f, tt.args); code != tt.code || !strings.Contains(errOut.String(), tt.errOut) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q), stdout %q", code, tt.code, errOut, tt.errOut, out)
			}
			if strings.Contains(errOut.String(), "abcd") {
				t.Error("the key material was printed")
			}
		})
	}
}

func TestCodecServerRun(t *testing.T) {
	keyHex := hex.EncodeToString(bytes.Repeat([]byte{3}, 32))
	cfgPath := writeFile(t, "socflow.yaml", "data_dir: "+t.TempDir()+`
codec:
  keys:
    - {id: k1, key: $CODEC_K1}
  cors_origins: ["http://ui.example:8233"]
`)
	f, _, errOut := testFactory(map[string]string{"CODEC_K1": keyHex, "SOCFLOW_ADMIN_TOKEN": "tok-123-admin-0123456789", "SOCFLOW_API_TOKEN": "tok-ingest-0123456789"})
	f.Global = GlobalOptions{ConfigPath: cfgPath, Output: "text", LogLevel: "info"}
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runCodecServer(ctx, f, &CodecServerOptions{Addr: "127.0.0.1:0", Ready: ready}) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("codec-server stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("codec-server not ready in 10s")
	}

	c, err := codec.New([]codec.Key{{ID: "k1", Material: bytes.Repeat([]byte{3}, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := codec.DataConverter(c).ToPayload("dc01.corp")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	post := func(auth, origin string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", "http://"+addr+"/decode", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, b := post("", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without a token: %d %s", resp.StatusCode, b)
	}
	if resp, b := post("Bearer tok-ingest-0123456789", ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the shared ingest token reads no payloads: %d %s", resp.StatusCode, b)
	}
	resp, b := post("Bearer tok-123-admin-0123456789", "http://ui.example:8233")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "http://ui.example:8233" {
		t.Fatalf("with the token from the UI: %d %v %s", resp.StatusCode, resp.Header, b)
	}
	var ps commonpb.Payloads
	if err := protojson.Unmarshal([]byte(b), &ps); err != nil || len(ps.Payloads) != 1 || !strings.Contains(string(ps.Payloads[0].Data), "dc01.corp") {
		t.Fatalf("decoded answer %s: %v", b, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("codec-server: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("codec-server did not stop")
	}
	for _, secret := range []string{keyHex, "tok-123-admin-0123456789", "tok-ingest-0123456789"} {
		if strings.Contains(errOut.String(), secret) {
			t.Errorf("the log prints a secret: %s", errOut)
		}
	}
}

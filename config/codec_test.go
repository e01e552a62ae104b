package config_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/socflow/socflow/codec"
	"github.com/socflow/socflow/config"
)

func TestCodecKeysFromFileAndEnv(t *testing.T) {
	dir := t.TempDir()
	raw := bytes.Repeat([]byte{7}, 32)
	if err := os.WriteFile(filepath.Join(dir, "k2.key"), []byte(base64.StdEncoding.EncodeToString(raw)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	yml := `
data_dir: ` + dir + `
codec:
  keys:
    - {id: k2, file: k2.key}
    - {id: k1, key: $SOCFLOW_CODEC_KEY_K1}
  cors_origins: [https://temporal.example.com, "http://127.0.0.1:8233"]
`
	path := filepath.Join(dir, "socflow.yaml")
	c, err := config.Parse([]byte(yml), path, env(map[string]string{"SOCFLOW_CODEC_KEY_K1": hex.EncodeToString(bytes.Repeat([]byte{1}, 32))}))
	if err != nil {
		t.Fatal(err)
	}
	ring := c.Codec.Ring()
	if len(ring) != 2 || ring[0].ID != "k2" || !bytes.Equal(ring[0].Material, raw) || !bytes.Equal(ring[1].Material, bytes.Repeat([]byte{1}, 32)) {
		t.Fatalf("ring = %v", ring)
	}
	if _, err := codec.New(ring); err != nil {
		t.Fatal(err)
	}
}

func TestCodecKeyErrorsNameKeyAndSource(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "short.key"), make([]byte, 31), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, yml string
		env       map[string]string
		want      []string
	}{
		{"short file", "codec:\n  keys:\n    - {id: k1, file: short.key}\n", nil,
			[]string{"s.yaml:4: codec.keys[0].file", `key "k1"`, "short.key", "31 bytes"}},
		{"missing file", "codec:\n  keys:\n    - {id: k1, file: none.key}\n", nil,
			[]string{"codec.keys[0].file", `key "k1"`, "none.key"}},
		{"short env", "codec:\n  keys:\n    - {id: k9, key: $K9}\n", map[string]string{"K9": base64.StdEncoding.EncodeToString(make([]byte, 16))},
			[]string{"codec.keys[0].key", `key "k9"`, "environment variable K9", "16 bytes"}},
		{"unset env", "codec:\n  keys:\n    - {id: k9, key: $K9}\n", nil,
			[]string{"codec.keys[0].key", "K9 is not set"}},
		{"both", "codec:\n  keys:\n    - {id: k1, file: short.key, key: $K1}\n", nil, []string{"codec.keys[0]", "not both"}},
		{"neither", "codec:\n  keys:\n    - {id: k1}\n", nil, []string{"codec.keys[0]", "set file"}},
		{"duplicate", "codec:\n  keys:\n    - {id: k1, key: $K}\n    - {id: k1, key: $K}\n", map[string]string{"K": strings.Repeat("ab", 32)},
			[]string{"codec.keys[1].id", "used twice"}},
		{"bad id", "codec:\n  keys:\n    - {id: 'a b', key: $K}\n", map[string]string{"K": strings.Repeat("ab", 32)}, []string{"codec.keys[0].id"}},
		{"literal key", "codec:\n  keys:\n    - {id: k1, key: c2VjcmV0}\n", nil, []string{"environment reference"}},
		{"bad origin", "codec:\n  cors_origins: [https://ui.example/path]\n", nil, []string{"codec.cors_origins[0]"}},
		{"bad addr", "codec:\n  addr: nowhere\n", nil, []string{"codec.addr", "nowhere"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte("data_dir: "+dir+"\n"+tc.yml), filepath.Join(dir, "s.yaml"), env(tc.env))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if tc.env != nil {
				for _, v := range tc.env {
					if strings.Contains(err.Error(), v) {
						t.Errorf("error %q prints the key material", err)
					}
				}
			}
		})
	}
}

func TestCodecUsesTheLocalKeyWhenNoneIsConfigured(t *testing.T) {
	dir := t.TempDir()
	c, err := config.Parse([]byte("data_dir: "+dir+"\n"), "", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Codec.Enabled() {
		t.Fatal("a codec without keys or a local key file")
	}
	m, err := codec.NewKeyMaterial()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config.LocalCodecKeyPath(dir), m, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = config.Parse([]byte("data_dir: "+dir+"\n"), "", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Codec.Ring(); len(r) != 1 || r[0].ID != config.LocalCodecKeyID || len(r[0].Material) != 32 {
		t.Fatalf("ring = %v, want the local key", r)
	}
}

package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"

	"github.com/socflow/socflow/codec"
)

// Codec configures the payload codec that encrypts what socflow hands
// Temporal (alerts, packets, decisions, memos) with AES-256-GCM. With no
// keys, socflow uses the key `socflow dev` keeps in data_dir/codec.key if
// that file exists, and sends payloads in clear otherwise.
type Codec struct {
	// Keys is the key ring, newest first: the first key encrypts, every
	// key decrypts. Rotate by listing a new key first and keeping the old
	// ones while histories encrypted with them are kept.
	Keys []CodecKey `yaml:"keys" json:"keys,omitempty"`
	// CORSOrigins are the browser origins (the Temporal UI's, as in
	// https://temporal.example.com) that `socflow codec-server` answers.
	CORSOrigins []string `yaml:"cors_origins" json:"cors_origins,omitempty"`
	// Addr is where `socflow codec-server` listens.
	Addr string `yaml:"addr" json:"addr"`
}

// CodecKey is one key of the ring: 32 bytes, raw or as hex or base64, read
// from a file or from an environment variable (exactly one of the two).
type CodecKey struct {
	// ID is stored in clear with every payload the key encrypts.
	ID string `yaml:"id" json:"id"`
	// File holds the key, relative to the configuration file's folder.
	File string `yaml:"file" json:"file,omitempty"`
	// Key names the environment variable holding it ($SOCFLOW_CODEC_KEY).
	Key Secret `yaml:"key" json:"key"`

	material []byte
}

// Material is the key's 32 bytes, read and checked when the configuration
// was loaded.
func (k CodecKey) Material() []byte { return k.material }

// LocalCodecKeyFile and LocalCodecKeyID name the key `socflow dev`
// creates in data_dir when no keys are configured.
const (
	LocalCodecKeyFile = "codec.key"
	LocalCodecKeyID   = "local"
)

// Enabled reports whether payloads are encrypted.
func (c Codec) Enabled() bool { return len(c.Keys) > 0 }

// Ring returns the keys as the codec package takes them.
func (c Codec) Ring() []codec.Key {
	out := make([]codec.Key, len(c.Keys))
	for i, k := range c.Keys {
		out[i] = codec.Key{ID: k.ID, Material: k.material}
	}
	return out
}

// LocalCodecKeyPath is where the local key lives for a data directory.
func LocalCodecKeyPath(dataDir string) string { return filepath.Join(dataDir, LocalCodecKeyFile) }

// UseLocalCodecKey makes the key in data_dir/codec.key the only key of the
// ring, for `socflow dev` once it has created that file.
func (c *Config) UseLocalCodecKey() error {
	path := LocalCodecKeyPath(c.DataDir)
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("codec: local key: %w", err)
	}
	m, err := codec.ParseKey(data)
	if err != nil {
		return fmt.Errorf("codec: local key %s %v", path, err)
	}
	c.Codec.Keys = []CodecKey{{ID: LocalCodecKeyID, File: path, material: m}}
	return nil
}

// loadCodecKeys reads the material of every key that names exactly one
// source, and falls back to the local key `socflow dev` created when no
// keys are configured. Errors name the key and where its material came
// from, never the material.
func (c *Config) loadCodecKeys(p *problems) {
	cc := &c.Codec
	for i := range cc.Keys {
		k := &cc.Keys[i]
		field := fmt.Sprintf("codec.keys[%d]", i)
		switch {
		case k.File != "" && k.Key.Ref != "":
			// Reported by validate.
		case k.File != "":
			data, err := os.ReadFile(c.Resolve(k.File))
			if err != nil {
				p.add(field+".file", "key %q: %v", k.ID, err)
				continue
			}
			if k.material, err = codec.ParseKey(data); err != nil {
				p.add(field+".file", "key %q: file %s %v", k.ID, c.Resolve(k.File), err)
			}
		case k.Key.Ref != "":
			if !k.Key.IsSet() {
				p.add(field+".key", "key %q: environment variable %s is not set", k.ID, k.Key.Ref)
				continue
			}
			var err error
			if k.material, err = codec.ParseKey([]byte(k.Key.Value())); err != nil {
				p.add(field+".key", "key %q: environment variable %s %v", k.ID, k.Key.Ref, err)
			}
		}
	}
	if len(cc.Keys) == 0 && c.DataDir != "" {
		// The key `socflow dev` created, so that the CLI reads what dev's
		// worker wrote.
		if _, err := os.Stat(LocalCodecKeyPath(c.DataDir)); err == nil {
			if err := c.UseLocalCodecKey(); err != nil {
				p.add("data_dir", "%v", err)
			}
		}
	}
}

// validate checks the ring's IDs and sources, the origins and the address.
func (cc Codec) validate(p *problems) {
	seen := map[string]bool{}
	for i, k := range cc.Keys {
		field := fmt.Sprintf("codec.keys[%d]", i)
		if err := codec.CheckKeyID(k.ID); err != nil {
			p.add(field+".id", "%v", err)
		} else if seen[k.ID] {
			p.add(field+".id", "%q is used twice", k.ID)
		}
		seen[k.ID] = true
		switch {
		case k.File != "" && k.Key.Ref != "":
			p.add(field, "key %q: set file or key ($ENV), not both", k.ID)
		case k.File == "" && k.Key.Ref == "":
			p.add(field, "key %q: set file (a path) or key (an environment reference such as $SOCFLOW_CODEC_KEY)", k.ID)
		}
	}
	for i, o := range cc.CORSOrigins {
		// An origin is an http(s) URL that is exactly scheme://host[:port].
		if u, err := url.Parse(o); CheckHTTPURL(o) != nil || err != nil || o != u.Scheme+"://"+u.Host {
			p.add(fmt.Sprintf("codec.cors_origins[%d]", i), "%q is not an origin such as https://temporal.example.com (scheme and host, no path)", o)
		}
	}
	if _, _, err := net.SplitHostPort(cc.Addr); err != nil {
		p.add("codec.addr", "%q is not host:port", cc.Addr)
	}
}

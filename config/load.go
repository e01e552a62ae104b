package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/socflow/socflow/policy"
)

// Default returns the built-in configuration.
func Default() *Config {
	c, err := parse(nil, "", os.LookupEnv)
	if err != nil {
		panic("config: built-in defaults are invalid: " + err.Error())
	}
	return c
}

// Load reads, resolves and validates a configuration file. lookup reads
// environment variables (os.LookupEnv outside tests). Every problem found is
// returned, joined, each an *Error naming file, line and field.
func Load(path string, lookup func(string) (string, bool)) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read the configuration: %v", errors.Unwrap(err))}
	}
	return parse(data, path, lookup)
}

// Parse is Load for a file already in memory; path is only used in errors
// and to resolve relative data file paths.
func Parse(data []byte, path string, lookup func(string) (string, bool)) (*Config, error) {
	return parse(data, path, lookup)
}

// parse runs the stages in order: decode the file over the defaults, apply
// the environment, read the files the configuration refers to, then
// validate. Validation only looks at the struct, so each section can check
// itself without knowing where its data came from.
func parse(data []byte, path string, lookup func(string) (string, bool)) (*Config, error) {
	var c Config
	if err := decodeStrict(defaultYAML, &c); err != nil {
		return nil, fmt.Errorf("config: built-in defaults: %w", err)
	}
	var root yaml.Node
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.Unmarshal(data, &root); err != nil {
			return nil, yamlErrors(path, err)
		}
		// Lists replace the default lists rather than merging into them, so
		// clear the ones the file sets before decoding over the defaults.
		clearListsSetIn(&root, &c)
		if err := decodeStrict(data, &c); err != nil {
			return nil, yamlErrors(path, err)
		}
	}
	c.Path, c.root = path, &root
	c.applyEnv(lookup)
	c.resolveSecrets(lookup)
	c.fillDefaults()

	var p problems
	c.loadFiles(&p)
	c.validate(&p)
	if len(p) > 0 {
		joined := make([]error, len(p))
		for i, e := range p {
			e.File = path
			e.Line = lineOf(&root, e.Field)
			joined[i] = e
		}
		return nil, errors.Join(joined...)
	}
	c.Integrations.EDR.settleToken()
	c.Integrations.IDP.settleToken()
	c.Integrations.Firewall.settleToken()
	c.Integrations.Mail.settleToken()
	return &c, nil
}

func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	return dec.Decode(v)
}

func clearListsSetIn(root *yaml.Node, c *Config) {
	if nodeAt(root, "tiers") != nil {
		c.Policy.Tiers = nil
	}
	if nodeAt(root, "routing.default.group_by") != nil {
		c.Policy.Routing.Default.GroupBy = nil
	}
}

// fillDefaults sets the defaults that depend on other fields, which the
// built-in file cannot express.
func (c *Config) fillDefaults() {
	for i := range c.Enrichment.Intel.TAXII {
		if tx := &c.Enrichment.Intel.TAXII[i]; tx.Name == "" {
			tx.Name = tx.URL
		}
	}
}

// Resolve turns a data file path from the configuration into a path
// relative to the working directory: relative paths are read from the
// configuration file's folder.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.Path == "" {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}

// loadFiles checks and reads the files the configuration names (data
// files, the SSVC table, Sigma rules, codec keys), so that validation
// works on what they hold. A file that cannot be read is reported against
// the field that names it.
func (c *Config) loadFiles(p *problems) {
	exists := func(field, path string) {
		if _, err := os.Stat(c.Resolve(path)); err != nil {
			p.add(field, "%v", err)
		}
	}
	en := &c.Enrichment
	for i, f := range en.Intel.Files {
		exists(fmt.Sprintf("enrichment.intel.files[%d]", i), f)
	}
	for i, f := range en.Assets.Files {
		exists(fmt.Sprintf("enrichment.assets.files[%d]", i), f)
	}
	for _, f := range []struct{ field, path string }{{"enrichment.geoip.city", en.GeoIP.City}, {"enrichment.geoip.asn", en.GeoIP.ASN}} {
		if f.path != "" {
			exists(f.field, f.path)
		}
	}

	if ssvc := &c.Policy.Scoring.SSVC; ssvc.Enabled {
		if ssvc.Table == "" {
			ssvc.Decisions = policy.BuiltinDecisionTable()
		} else if data, err := os.ReadFile(c.Resolve(ssvc.Table)); err != nil {
			p.add("scoring.ssvc.table", "%v", err)
		} else if t, err := policy.ParseDecisionTable(ssvc.Table, data); err != nil {
			p.add("scoring.ssvc.table", "%v", err)
		} else {
			ssvc.Decisions = t
		}
	}

	if dir := c.Correlation.RulesDir; dir != "" {
		cs, err := LoadSigmaDir(c.Resolve(dir))
		if err != nil {
			// Sigma errors already name their own file and line.
			for _, e := range flatten(err) {
				var ce *Error
				if errors.As(e, &ce) {
					*p = append(*p, &Error{Field: "correlation.rules_dir", Msg: ce.Error()})
				} else {
					p.add("correlation.rules_dir", "%v", e)
				}
			}
		}
		c.Policy.Correlations = cs
	}

	c.loadCodecKeys(p)
}

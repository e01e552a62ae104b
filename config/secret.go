package config

import (
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Secret is a credential. The configuration file may only name the
// environment variable that holds it ("$JIRA_API_TOKEN"), never the value, so
// that socflow.yaml can be committed and shown by `config check`. The value
// never prints: String, LogValue and MarshalJSON all redact it, so a secret
// that reaches a log line or a workflow payload by mistake leaks nothing.
type Secret struct {
	// Ref is the environment variable's name, without the '$'.
	Ref   string
	value string
}

// NewSecret wraps a value that did not come from the file (a flag, a test).
func NewSecret(value string) Secret { return Secret{value: value} }

// Value returns the secret itself, for the one place that sends it.
func (s Secret) Value() string { return s.value }

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s.value != "" }

// String redacts.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return "REDACTED"
}

// LogValue redacts, for slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON redacts, so that printing the configuration is safe.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s.Ref != "" {
		return []byte(fmt.Sprintf("%q", "$"+s.Ref)), nil
	}
	return []byte(fmt.Sprintf("%q", s.String())), nil
}

// MarshalYAML redacts in the same way as MarshalJSON.
func (s Secret) MarshalYAML() (any, error) {
	if s.Ref != "" {
		return "$" + s.Ref, nil
	}
	return s.String(), nil
}

var envRef = regexp.MustCompile(`^\$(\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$`)

// UnmarshalYAML accepts "", "$NAME" or "${NAME}" and refuses a literal.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	var v string
	if err := n.Decode(&v); err != nil {
		return err
	}
	v = strings.TrimSpace(v)
	if v == "" {
		*s = Secret{}
		return nil
	}
	if !envRef.MatchString(v) {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf(
			"line %d: a secret must be an environment reference such as $JIRA_API_TOKEN, not a literal value", n.Line)}}
	}
	s.Ref = strings.Trim(v, "${}")
	return nil
}

func (s *Secret) resolve(lookup func(string) (string, bool)) bool {
	if s.Ref == "" {
		return true
	}
	v, ok := lookup(s.Ref)
	s.value = v
	return ok && v != ""
}

package cacao

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrConstant is returned when a step tries to assign a constant variable.
var ErrConstant = errors.New("cacao: variable is constant")

// ErrUndeclared is returned when a step assigns a variable no scope declares.
var ErrUndeclared = errors.New("cacao: variable is not declared")

// varUse matches a variable reference "__name__:value" (section 10.18: names
// start with a letter after the prefix and are used with the ":value" suffix).
// Package-level because a compiled regexp is immutable and safe to share.
var varUse = regexp.MustCompile(`__[A-Za-z][A-Za-z0-9_-]*__:value`)

// varName matches a variable declaration's name.
var varName = regexp.MustCompile(`^__[A-Za-z][A-Za-z0-9_-]*__$`)

// ValidVariableName reports whether name is a CACAO variable name: two
// underscores, a letter, letters, digits, "_" or "-", two underscores, at
// most 250 characters in all.
func ValidVariableName(name string) bool {
	return len(name) <= 250 && varName.MatchString(name)
}

// Env is the set of variables one step sees. CACAO scopes variables to the
// object that declares them (section 10.18.1): playbook_variables are global to
// the run, a step's step_variables are local to it and, when a name is in
// both, the local one is the one read and written.
type Env struct {
	Global Variables
	Local  Variables
}

// Lookup returns a variable's value, the local scope first. A null value
// reads as the empty string.
func (e Env) Lookup(name string) (string, bool) {
	v, ok := e.Local[name]
	if !ok {
		v, ok = e.Global[name]
	}
	if !ok {
		return "", false
	}
	if v.Value == nil {
		return "", true
	}
	return *v.Value, true
}

// Assign sets a variable in the scope that declares it, the local one first,
// as out_args do. Constants cannot be reassigned (section 10.18.3), and a name
// neither scope declares is refused rather than created, since a typo would
// otherwise pass silently.
func (e Env) Assign(name, value string) error {
	scope := e.Local
	v, ok := scope[name]
	if !ok {
		scope = e.Global
		v, ok = scope[name]
	}
	if !ok {
		return fmt.Errorf("%w: %s", ErrUndeclared, name)
	}
	if v.Constant {
		return fmt.Errorf("%w: %s", ErrConstant, name)
	}
	v.Value = &value
	scope[name] = v
	return nil
}

// Substitute replaces each "__name__:value" in s with the variable's value.
// References to variables not in scope are left as written, so that text
// which merely looks like a reference survives. It is one pass: a value that
// itself contains a reference is not expanded again.
func Substitute(s string, lookup Lookup) string {
	return varUse.ReplaceAllStringFunc(s, func(ref string) string {
		if v, ok := lookup(strings.TrimSuffix(ref, ":value")); ok {
			return v
		}
		return ref
	})
}

// References returns the variable names s refers to with "__name__:value",
// in order of first use.
func References(s string) []string {
	var names []string
	seen := map[string]bool{}
	for _, ref := range varUse.FindAllString(s, -1) {
		n := strings.TrimSuffix(ref, ":value")
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return names
}

// CloneVariables returns a copy of vs whose values can be assigned without
// touching the original (a Playbook's declarations stay as parsed).
func CloneVariables(vs Variables) Variables {
	out := make(Variables, len(vs))
	for k, v := range vs {
		if v.Value != nil {
			s := *v.Value
			v.Value = &s
		}
		out[k] = v
	}
	return out
}

// NewGlobals returns the playbook's variables for one run, with inputs set.
// Only variables declared external take a value from the caller (section
// 10.18.3); an input for any other name is an error, so that a caller cannot
// overwrite what the playbook's author fixed.
func NewGlobals(p *Playbook, inputs map[string]string) (Variables, error) {
	g := CloneVariables(p.PlaybookVariables)
	var errs []error
	for _, name := range sortedKeys(inputs) {
		v, ok := g[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("input %s: playbook %s declares no such variable", name, p.ID))
		case !v.External:
			errs = append(errs, fmt.Errorf("input %s: the variable is not declared external, so it cannot be passed in", name))
		default:
			val := inputs[name]
			v.Value = &val
			g[name] = v
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("cacao: inputs: %w", errors.Join(errs...))
	}
	return g, nil
}

// Values returns the variables' values by name; null values are left out.
func (vs Variables) Values() map[string]string {
	out := make(map[string]string, len(vs))
	for k, v := range vs {
		if v.Value != nil {
			out[k] = *v.Value
		}
	}
	return out
}

// HTTPCommand is an http-api command's start line, split.
type HTTPCommand struct {
	Method  string
	Target  string // a path ("/api/x?id=1") or an absolute URL
	Version string // "HTTP/1.1"; empty when the command leaves it out
}

// ParseHTTPCommand splits an HTTP start line such as "GET /api1/getObject?id=1234
// HTTP/1.1" (section 5.6). The version may be left out. The method must be
// upper-case letters, so that a lower-case or misplaced word is caught when the
// playbook is validated rather than sent.
func ParseHTTPCommand(line string) (HTTPCommand, error) {
	f := strings.Fields(line)
	if len(f) < 2 || len(f) > 3 {
		return HTTPCommand{}, fmt.Errorf("cacao: http-api command %q: want \"METHOD target HTTP/1.1\"", line)
	}
	for _, r := range f[0] {
		if r < 'A' || r > 'Z' {
			return HTTPCommand{}, fmt.Errorf("cacao: http-api command %q: method %q must be upper-case letters, e.g. GET or POST", line, f[0])
		}
	}
	c := HTTPCommand{Method: f[0], Target: f[1]}
	if len(f) == 3 {
		if !strings.HasPrefix(f[2], "HTTP") {
			return HTTPCommand{}, fmt.Errorf("cacao: http-api command %q: the third word must be the HTTP version, e.g. HTTP/1.1", line)
		}
		c.Version = f[2]
	}
	return c, nil
}

// ManualText returns a manual command's text: command, or command_b64 decoded.
func ManualText(c Command) (string, error) {
	if c.Command != "" || c.CommandB64 == "" {
		return c.Command, nil
	}
	b, err := base64.StdEncoding.DecodeString(c.CommandB64)
	if err != nil {
		return "", fmt.Errorf("cacao: command_b64: %w", err)
	}
	return string(b), nil
}

// ResolveHTTP substitutes variables into an http-api command and splits its
// start line. Each word of the start line is substituted on its own, after
// splitting, so that a value with spaces in it cannot change the method.
// content_b64 is decoded and not substituted: it may be binary.
func ResolveHTTP(c Command, lookup Lookup) (HTTPCommand, map[string][]string, []byte, error) {
	hc, err := ParseHTTPCommand(c.Command)
	if err != nil {
		return HTTPCommand{}, nil, nil, err
	}
	hc.Method = Substitute(hc.Method, lookup)
	hc.Target = Substitute(hc.Target, lookup)
	var headers map[string][]string
	if len(c.Headers) > 0 {
		headers = make(map[string][]string, len(c.Headers))
		for k, vs := range c.Headers {
			out := make([]string, len(vs))
			for i, v := range vs {
				out[i] = Substitute(v, lookup)
			}
			headers[k] = out
		}
	}
	var body []byte
	switch {
	case c.Content != "":
		body = []byte(Substitute(c.Content, lookup))
	case c.ContentB64 != "":
		if body, err = base64.StdEncoding.DecodeString(c.ContentB64); err != nil {
			return HTTPCommand{}, nil, nil, fmt.Errorf("cacao: content_b64: %w", err)
		}
	}
	return hc, headers, body, nil
}

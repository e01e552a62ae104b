// Package httptemplate runs HTTP requests that a configuration describes
// as Go text/templates, for services socflow has no client for (a
// firewall, a mail gateway): each request is compiled and tried when the
// configuration loads, every value is escaped for where it goes, and the
// URL stays on the service's host, so that a value from an alert cannot
// rewrite the request or send the credential elsewhere. A package that
// uses it supplies its data type (the fields a template sees) and
// samples of it.
package httptemplate

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
)

// Request is one call to the service's API, as the configuration writes
// it: every text but the method is a text/template over the using
// package's data type (see [Fields]). Each value must be escaped for
// where it goes: {{urlpath .X}} in a URL's path, {{urlquery .X}} in its
// query, {{json .X}} in a JSON body (json writes the quotes), {{xml .X}}
// in an XML one. A header takes values as they are; a line break in one
// is refused when the request is built.
type Request struct {
	// Method defaults to the one Compile is given (POST for a block,
	// DELETE for an unblock, GET for a state read).
	Method string
	// URL is resolved against the service's URL and must stay on its
	// scheme and host, where the credential is meant to go.
	URL    string
	Header map[string]string
	Body   string
	// Status are the codes that mean success; empty accepts any 2xx.
	Status []int
	// Absent are the codes that mean the thing asked about is not there
	// (a state read's 404); empty: none does.
	Absent []int
	// Ref is a JSON pointer (RFC 6901, "/data/id") into the answer whose
	// value is the reference (a block's, handed to the unblock as
	// {{.Ref}}).
	Ref string
}

// Fields describes the data type a package's templates see: Sample is a
// value whose every field needs escaping everywhere, so that a template
// that would let one break out fails at compile time rather than at the
// service; Plain is one without such characters; Names lists the fields
// for error messages (".IP, .Comment, .Ref and .Token"). A field Token,
// when the type has one, is the service's API token: a template that
// places it makes the client send no Authorization header of its own.
type Fields struct {
	Sample, Plain any
	Names         string
}

// FieldError is a problem with one field of a [Request]: "url", "method",
// "body", "headers.X-Api-Key", "expect.ref", "expect.status" or
// "expect.absent".
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

// escapers are the template functions, each escaping for one context.
var escapers = template.FuncMap{
	"urlquery": url.QueryEscape,
	"urlpath":  url.PathEscape,
	"json": func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	},
	"xml": func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	},
}

func sameKeys(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}

// Template is a Request ready to run.
type Template struct {
	method  string
	url     *template.Template
	headers []header
	body    *template.Template
	status  []int
	absent  []int
	ref     string
	usesRef bool
	// usesToken says a template places the token itself, so that the
	// client sends no Authorization header of its own.
	usesToken bool
}

// Method is the request's method.
func (t *Template) Method() string { return t.method }

// UsesRef reports whether a template names .Ref: the request needs the
// reference an earlier answer gave.
func (t *Template) UsesRef() bool { return t.usesRef }

// HasRef reports whether the answer's reference is read (Request.Ref).
func (t *Template) HasRef() bool { return t.ref != "" }

type header struct {
	name string
	t    *template.Template
}

type bodyKind int

const (
	bodyJSON bodyKind = iota
	bodyForm
	bodyXML
	bodyOther
)

// Compile parses and checks a request: each template parses, names only
// fields of f's data type, escapes every value it writes into the URL and
// the body, and renders, with values that need escaping, a URL on base's
// host and a body of its content type. method is the default method.
// Every problem is a *FieldError, joined.
func Compile(r Request, base, method string, f Fields) (*Template, error) {
	b, err := url.Parse(base)
	if err != nil || b.Host == "" {
		return nil, &FieldError{"url", fmt.Errorf("base URL %q is not absolute", base)}
	}
	var errs []error
	fail := func(field string, format string, args ...any) {
		errs = append(errs, &FieldError{field, fmt.Errorf(format, args...)})
	}
	sample, plainSample := f.Sample, f.Plain
	c := &Template{method: strings.ToUpper(strings.TrimSpace(r.Method)), status: r.Status, absent: r.Absent, ref: r.Ref}
	if c.method == "" {
		c.method = method
	}
	if !slices.Contains([]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}, c.method) {
		fail("method", "%q is not GET, POST, PUT, PATCH or DELETE", r.Method)
	}
	parseOne := func(field, text string) *template.Template {
		t, err := template.New(field).Funcs(escapers).Option("missingkey=error").Parse(text)
		if err != nil {
			fail(field, "%v", err)
			return nil
		}
		if len(t.Templates()) > 1 {
			fail(field, "defines templates: only one template per field")
			return nil
		}
		if _, err := run(t, sample); err != nil {
			if strings.Contains(err.Error(), "can't evaluate field") {
				fail(field, "%v (the fields are %s)", err, f.Names)
			} else {
				fail(field, "%v", err)
			}
			return nil
		}
		c.usesRef = c.usesRef || names(t.Tree.Root, "Ref")
		c.usesToken = c.usesToken || names(t.Tree.Root, "Token")
		return t
	}

	if strings.TrimSpace(r.URL) == "" {
		fail("url", "is required")
	} else if c.url = parseOne("url", r.URL); c.url != nil {
		if err := escaped(c.url.Tree.Root, "urlquery", "urlpath"); err != nil {
			fail("url", "%v", err)
		} else if u, err := c.target(b, sample); err != nil {
			fail("url", "%v", err)
		} else if plain, err := c.target(b, plainSample); err == nil && !sameKeys(plain.Query(), u.Query()) {
			// urlpath leaves & and = alone: a value escaped for the path
			// but placed in the query adds parameters.
			fail("url", "a value in the query adds parameters: escape it with urlquery")
		}
	}

	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	contentType := ""
	for _, k := range names {
		field := "headers." + k
		if !validHeaderName(k) {
			fail(field, "%q is not a header name", k)
			continue
		}
		if t := parseOne(field, r.Header[k]); t != nil {
			c.headers = append(c.headers, header{http.CanonicalHeaderKey(k), t})
			if strings.EqualFold(k, "Content-Type") {
				contentType, _ = run(t, sample)
			}
		}
	}

	if r.Body != "" {
		if c.body = parseOne("body", r.Body); c.body != nil {
			kind := kindOf(contentType)
			var err error
			switch kind {
			case bodyJSON:
				err = escaped(c.body.Tree.Root, "json")
			case bodyForm:
				err = escaped(c.body.Tree.Root, "urlquery")
			case bodyXML:
				err = escaped(c.body.Tree.Root, "xml")
			default:
				err = escaped(c.body.Tree.Root, "json", "urlquery", "xml")
			}
			if err != nil {
				fail("body", "%v", err)
			} else if kind == bodyJSON {
				if out, _ := run(c.body, sample); !json.Valid([]byte(out)) {
					fail("body", "does not render JSON (json writes the quotes: {\"ip\": {{json .IP}}}): %s", out)
				}
			}
			if contentType == "" && kind == bodyJSON {
				c.headers = append(c.headers, header{"Content-Type", template.Must(template.New("ct").Parse("application/json"))})
			}
		}
	}

	for _, code := range r.Status {
		if code < 100 || code > 599 {
			fail("expect.status", "%d is not an HTTP status code", code)
		}
	}
	for _, code := range r.Absent {
		switch {
		case code < 100 || code > 599:
			fail("expect.absent", "%d is not an HTTP status code", code)
		case slices.Contains(r.Status, code):
			fail("expect.absent", "%d is also in expect.status: one answer cannot mean both there and not there", code)
		}
	}
	if r.Ref != "" && !strings.HasPrefix(r.Ref, "/") {
		fail("expect.ref", "%q is not a JSON pointer such as /data/id", r.Ref)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func kindOf(contentType string) bodyKind {
	ct := strings.ToLower(contentType)
	switch {
	case ct == "" || strings.Contains(ct, "json"):
		return bodyJSON
	case strings.Contains(ct, "x-www-form-urlencoded"):
		return bodyForm
	case strings.Contains(ct, "xml"):
		return bodyXML
	}
	return bodyOther
}

// target renders the URL and resolves it against base; it must stay on
// base's scheme and host.
func (c *Template) target(base *url.URL, d any) (*url.URL, error) {
	s, err := run(c.url, d)
	if err != nil {
		return nil, err
	}
	u, err := base.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("renders %q, not a URL: %v", s, err)
	}
	if u.Scheme != base.Scheme || u.Host != base.Host {
		return nil, fmt.Errorf("renders %s, off the service's %s://%s", u.Redacted(), base.Scheme, base.Host)
	}
	return u, nil
}

func run(t *template.Template, d any) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

// escaped checks that every action that writes a value ends in one of the
// escapers, so that no value reaches the output as it is.
func escaped(n parse.Node, fns ...string) error {
	var bad []string
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, m := range n.Nodes {
				walk(m)
			}
		case *parse.ActionNode:
			if len(n.Pipe.Decl) > 0 {
				return // {{$x := ...}} writes nothing
			}
			cmds := n.Pipe.Cmds
			last := cmds[len(cmds)-1]
			if id, ok := last.Args[0].(*parse.IdentifierNode); !ok || !slices.Contains(fns, id.Ident) {
				bad = append(bad, n.String())
			}
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			bad = append(bad, n.String())
		}
	}
	walk(n)
	if len(bad) > 0 {
		return fmt.Errorf("%s not escaped: end each in %s, as in {{%s .IP}}", strings.Join(bad, ", "), strings.Join(fns, " or "), fns[0])
	}
	return nil
}

// names reports whether a template refers to the field .name.
func names(n parse.Node, name string) bool {
	found := false
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		if found || n == nil {
			return
		}
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, m := range n.Nodes {
				walk(m)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			found = len(n.Ident) > 0 && n.Ident[0] == name
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		}
	}
	walk(n)
	return found
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

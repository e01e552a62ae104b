package cacao

import (
	"errors"
	"strings"
	"testing"
)

func str(s string) *string { return &s }

func TestEnvScopes(t *testing.T) {
	env := Env{
		Global: Variables{
			"__host__":  {Type: "string", Value: str("ws-1")},
			"__owner__": {Type: "string"},
			"__case__":  {Type: "string", Value: str("C-1"), Constant: true},
		},
		Local: Variables{
			"__host__": {Type: "string", Value: str("srv-2")},
		},
	}
	if v, _ := env.Lookup("__host__"); v != "srv-2" {
		t.Errorf("local variable does not override: %q", v)
	}
	if v, ok := env.Lookup("__owner__"); !ok || v != "" {
		t.Errorf("null variable = %q, %t; want empty and found", v, ok)
	}
	if _, ok := env.Lookup("__nope__"); ok {
		t.Error("undeclared variable found")
	}

	// Assigning a name both scopes declare changes only the local one.
	if err := env.Assign("__host__", "srv-3"); err != nil {
		t.Fatal(err)
	}
	if *env.Global["__host__"].Value != "ws-1" || *env.Local["__host__"].Value != "srv-3" {
		t.Errorf("assign: global %q local %q", *env.Global["__host__"].Value, *env.Local["__host__"].Value)
	}
	if err := env.Assign("__owner__", "alice"); err != nil {
		t.Fatal(err)
	}
	if *env.Global["__owner__"].Value != "alice" {
		t.Error("global not assigned")
	}
	if err := env.Assign("__case__", "C-2"); !errors.Is(err, ErrConstant) {
		t.Errorf("assign constant = %v, want ErrConstant", err)
	}
	if *env.Global["__case__"].Value != "C-1" {
		t.Error("constant changed")
	}
	if err := env.Assign("__typo__", "x"); !errors.Is(err, ErrUndeclared) {
		t.Errorf("assign undeclared = %v, want ErrUndeclared", err)
	}
}

func TestSubstitute(t *testing.T) {
	vars := map[string]string{"__ip__": "10.0.0.1", "__a-b__": "x", "__ref__": "__ip__:value"}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	for _, c := range []struct{ in, want string }{
		{"block __ip__:value now", "block 10.0.0.1 now"},
		{"__ip__:value/__ip__:value", "10.0.0.1/10.0.0.1"},
		{"__a-b__:value", "x"},
		{"__unknown__:value stays", "__unknown__:value stays"},
		{"__ip__ without suffix stays", "__ip__ without suffix stays"},
		{"no recursion: __ref__:value", "no recursion: __ip__:value"},
		{"", ""},
	} {
		if got := Substitute(c.in, lookup); got != c.want {
			t.Errorf("Substitute(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := strings.Join(References("__a__:value __b__:value __a__:value __c__"), ","); got != "__a__,__b__" {
		t.Errorf("References = %s", got)
	}
}

func TestValidVariableName(t *testing.T) {
	for name, want := range map[string]bool{
		"__ip__": true, "__ip_addr-2__": true, "__A__": true,
		"ip": false, "__ip": false, "__1ip__": false, "___ip__": false, "__ip__:value": false,
		"__" + strings.Repeat("a", 246) + "__": true, "__" + strings.Repeat("a", 247) + "__": false,
	} {
		if got := ValidVariableName(name); got != want {
			t.Errorf("ValidVariableName(%q) = %t", name, got)
		}
	}
}

func TestNewGlobals(t *testing.T) {
	p := &Playbook{ID: "playbook--x", PlaybookVariables: Variables{
		"__in__":    {Type: "string", External: true},
		"__fixed__": {Type: "string", Value: str("a")},
	}}
	g, err := NewGlobals(p, map[string]string{"__in__": "v"})
	if err != nil {
		t.Fatal(err)
	}
	if *g["__in__"].Value != "v" || p.PlaybookVariables["__in__"].Value != nil {
		t.Error("input not set on a copy")
	}
	_, err = NewGlobals(p, map[string]string{"__fixed__": "b", "__nope__": "c"})
	if err == nil || !strings.Contains(err.Error(), "input __fixed__: the variable is not declared external") ||
		!strings.Contains(err.Error(), "input __nope__: playbook playbook--x declares no such variable") {
		t.Errorf("NewGlobals = %v", err)
	}
}

func TestParseHTTPCommand(t *testing.T) {
	for _, c := range []struct {
		in   string
		want HTTPCommand
		err  string
	}{
		{in: "GET /api1/getObject?id=1234 HTTP/1.1", want: HTTPCommand{"GET", "/api1/getObject?id=1234", "HTTP/1.1"}},
		{in: "POST https://x.example.net/a HTTP/2", want: HTTPCommand{"POST", "https://x.example.net/a", "HTTP/2"}},
		{in: "GET http://__imc_address__/by/__cve__", want: HTTPCommand{"GET", "http://__imc_address__/by/__cve__", ""}},
		{in: "GET get HTTP1.1", want: HTTPCommand{"GET", "get", "HTTP1.1"}}, // SOARCA's example
		{in: "GET", err: "want \"METHOD target HTTP/1.1\""},
		{in: "get /x", err: "must be upper-case letters"},
		{in: "GET /x 1.1", err: "the third word must be the HTTP version"},
		{in: "GET /x HTTP/1.1 extra", err: "want \"METHOD target HTTP/1.1\""},
	} {
		got, err := ParseHTTPCommand(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseHTTPCommand(%q) = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseHTTPCommand(%q) = %+v, %v", c.in, got, err)
		}
	}
}

func TestResolveHTTP(t *testing.T) {
	lookup := func(n string) (string, bool) {
		v, ok := map[string]string{"__ip__": "10.0.0.1", "__tok__": "secret", "__evil__": "x HTTP/1.1"}[n]
		return v, ok
	}
	c := Command{
		Type: CommandHTTPAPI, Command: "POST /block/__ip__:value?x=__evil__:value HTTP/1.1",
		Headers: map[string][]string{"Authorization": {"Bearer __tok__:value"}},
		Content: `{"ip":"__ip__:value"}`,
	}
	hc, h, body, err := ResolveHTTP(c, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if hc.Method != "POST" || hc.Target != "/block/10.0.0.1?x=x HTTP/1.1" || hc.Version != "HTTP/1.1" {
		t.Errorf("start line %+v: a value must stay inside the target", hc)
	}
	if h["Authorization"][0] != "Bearer secret" || string(body) != `{"ip":"10.0.0.1"}` {
		t.Errorf("headers %v body %s", h, body)
	}
	if c.Headers["Authorization"][0] != "Bearer __tok__:value" {
		t.Error("the command's headers were changed in place")
	}
	_, _, body, err = ResolveHTTP(Command{Command: "PUT /x", ContentB64: "AAEC"}, lookup)
	if err != nil || string(body) != "\x00\x01\x02" {
		t.Errorf("content_b64 = %q, %v", body, err)
	}
}

func TestManualText(t *testing.T) {
	if s, _ := ManualText(Command{CommandB64: "SXNvbGF0ZSBfX2hvc3RfXzp2YWx1ZQ=="}); s != "Isolate __host__:value" {
		t.Errorf("ManualText = %q", s)
	}
	if _, err := ManualText(Command{CommandB64: "!!"}); err == nil {
		t.Error("bad base64 accepted")
	}
}

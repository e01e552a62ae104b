package cacao

import (
	"strings"
	"testing"
)

func TestConditionEval(t *testing.T) {
	vars := map[string]string{
		"__s__":     "high",
		"__n__":     "42",
		"__f__":     "2.5",
		"__ip__":    "10.1.2.3",
		"__ip6__":   "2001:db8::1",
		"__b__":     "True",
		"__empty__": "",
		"__q__":     "it's",
		"__other__": "high",
	}
	lookup := func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
	cases := []struct {
		cond string
		want bool
	}{
		// SOARCA's bare form
		{"__s__:value = high", true},
		{"__s__:value = low", false},
		{"__s__:value != low", true},
		// STIX form, brackets and quotes
		{"[__s__:value = 'high']", true},
		{"[__s__:value = 'High']", false},
		{`__q__:value = 'it\'s'`, true},
		{"__empty__:value = ''", true},
		// numbers compare as numbers, not strings
		{"__n__:value > 9", true},
		{"__n__:value < 100", true},
		{"__n__:value >= 42", true},
		{"__n__:value <= 41", false},
		{"__n__:value = 42.0", true},
		{"__f__:value > 2.25", true},
		// strings order byte by byte
		{"__s__:value > 'abc'", true},
		{"__s__:value < 'hig'", false},
		// booleans ignore case
		{"__b__:value = true", true},
		{"__b__:value != false", true},
		// addresses
		{"__ip__:value IN 10.0.0.0/8", true},
		{"__ip__:value IN 192.168.0.0/16", false},
		{"__ip6__:value = 2001:0db8:0:0:0:0:0:1", true},
		{"__ip6__:value IN 2001:db8::/32", true},
		// IN list
		{"__s__:value IN ('low', 'high')", true},
		{"__s__:value IN ('low', 'medium')", false},
		{"__n__:value IN (1, 42)", true},
		{"__s__:value NOT IN ('low')", true},
		// LIKE and MATCHES
		{"__s__:value LIKE 'h%'", true},
		{"__s__:value LIKE 'h_gh'", true},
		{"__s__:value LIKE 'x%'", false},
		{"__ip__:value MATCHES '^10\\.'", true},
		{"__s__:value NOT LIKE '%i%'", false},
		// variables on both sides
		{"__s__:value = __other__:value", true},
		{"'high' = __s__:value", true},
		// boolean operators, precedence (AND before OR), NOT, grouping
		{"__s__:value = high AND __n__:value > 50", false},
		{"__s__:value = low OR __n__:value > 50 OR __b__:value = true", true},
		{"__s__:value = low AND __n__:value > 50 OR __b__:value = true", true},
		{"__s__:value = low AND (__n__:value > 50 OR __b__:value = true)", false},
		{"NOT __s__:value = low", true},
		{"NOT [__s__:value = high]", false},
		{"[__s__:value = high] AND [__ip__:value IN 10.0.0.0/8]", true},
		{"__s__:value NOT = high", false},
	}
	for _, c := range cases {
		cond, err := ParseCondition(c.cond)
		if err != nil {
			t.Errorf("ParseCondition(%q): %v", c.cond, err)
			continue
		}
		got, err := cond.Eval(lookup)
		if err != nil {
			t.Errorf("Eval(%q): %v", c.cond, err)
			continue
		}
		if got != c.want {
			t.Errorf("Eval(%q) = %t, want %t", c.cond, got, c.want)
		}
	}
}

func TestConditionParseErrors(t *testing.T) {
	cases := []struct{ cond, reason string }{
		{"", "expected a variable"},
		{"__s__ = high", "write __s__:value"},
		{"__s__:val = high", "is not a variable reference"},
		{"__s__:value == high", "use = to compare, not =="},
		{"__s__:value ! high", "'!' must be followed by '='"},
		{"__s__:value high", "expected a comparison operator"},
		{"__s__:value = 'high", "the quoted string is not closed"},
		{"[__s__:value = high", `expected "]" to close the "["`},
		{"(__s__:value = high]", `expected ")" to close the "("`},
		{"__s__:value IN ('a' 'b')", `expected "," or ")" in the IN list`},
		{"'a' = 'b'", "no variable on either side"},
		{"__s__:value = a b", "after a complete condition"},
		{"__s__:value ISSUBSET '10.0.0.0/8'", "ISSUBSET is STIX patterning that socflow does not support"},
		{"[__s__:value = a] WITHIN 5 SECONDS", "WITHIN is STIX patterning"},
		{"EXISTS __s__:value", "EXISTS is STIX patterning"},
		{"__s__:value MATCHES '(['", "MATCHES needs a regular expression"},
		{"__s__:value = high and __n__:value = 1", "after a complete condition"},
	}
	for _, c := range cases {
		_, err := ParseCondition(c.cond)
		if err == nil || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("ParseCondition(%q) = %v, want an error with %q", c.cond, err, c.reason)
		}
	}
}

func TestConditionEvalErrors(t *testing.T) {
	c, err := ParseCondition("__missing__:value = 1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Eval(func(string) (string, bool) { return "", false })
	if err == nil || !strings.Contains(err.Error(), "variable __missing__ is not defined") {
		t.Errorf("Eval = %v", err)
	}
	c, err = ParseCondition("__s__:value MATCHES __re__:value")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Eval(func(n string) (string, bool) { return map[string]string{"__s__": "x", "__re__": "("}[n], true })
	if err == nil || !strings.Contains(err.Error(), "MATCHES") {
		t.Errorf("Eval = %v", err)
	}
}

func TestConditionVariables(t *testing.T) {
	c, err := ParseCondition("[__b__:value = 1 AND __a__:value IN (__c__:value, 'x')] OR __a__:value = 2")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Variables(), ","); got != "__a__,__b__,__c__" {
		t.Errorf("Variables = %s", got)
	}
	if c.String() != "[__b__:value = 1 AND __a__:value IN (__c__:value, 'x')] OR __a__:value = 2" {
		t.Errorf("String = %s", c)
	}
}

package policy

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/socflow/socflow/alert"
)

// Detection is the subset of a Sigma rule's detection section socflow
// evaluates against alerts: named selections (maps of field matches, AND
// within a map, OR across a list of maps) combined by a condition with
// and, or, not, parentheses, "1 of sel*" and "all of sel*" (or "them").
// Field values support the * and ? wildcards and the contains, startswith,
// endswith and all modifiers; fields resolve as CorrelationField does.
type Detection struct {
	Selections map[string][][]FieldMatch `json:"selections"`
	Condition  string                    `json:"condition"`
}

// FieldMatch is one "field|modifiers: values" entry.
type FieldMatch struct {
	Field     string   `json:"field"`
	Modifiers []string `json:"modifiers,omitempty"`
	Values    []string `json:"values"`
}

// Supported detection modifiers.
var detectionModifiers = map[string]bool{"contains": true, "startswith": true, "endswith": true, "all": true}

// Validate checks the condition parses and names existing selections, and
// that modifiers are supported.
func (d *Detection) Validate() error {
	for name, maps := range d.Selections {
		for _, m := range maps {
			for _, fm := range m {
				for _, mod := range fm.Modifiers {
					if !detectionModifiers[mod] {
						return fmt.Errorf("selection %s: field %s: modifier %q is not supported (contains, startswith, endswith, all)", name, fm.Field, mod)
					}
				}
			}
		}
	}
	_, err := d.eval(nil, true)
	return err
}

// Matches reports whether the detection matches the alert. A detection
// that does not parse matches nothing (Validate refuses it at load).
func (d *Detection) Matches(a *alert.Alert) bool {
	ok, err := d.eval(a, false)
	return err == nil && ok
}

func (d *Detection) selection(name string, a *alert.Alert) bool {
	for _, m := range d.Selections[name] {
		all := true
		for _, fm := range m {
			if !fm.matches(a) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func (fm FieldMatch) matches(a *alert.Alert) bool {
	var vals []string
	if strings.EqualFold(fm.Field, "rule") || strings.EqualFold(fm.Field, "title") || strings.EqualFold(fm.Field, "category") ||
		strings.EqualFold(fm.Field, "source") || strings.EqualFold(fm.Field, "severity") {
		vals = Fields(a, strings.ToLower(fm.Field))
	} else {
		vals = CorrelationField(a, fm.Field)
	}
	all := false
	for _, m := range fm.Modifiers {
		if m == "all" {
			all = true
		}
	}
	hit := func(want string) bool {
		want = strings.ToLower(want)
		for _, v := range vals {
			v = strings.ToLower(v)
			ok := false
			switch {
			case has(fm.Modifiers, "contains"):
				ok = Glob("*"+want+"*", v)
			case has(fm.Modifiers, "startswith"):
				ok = Glob(want+"*", v)
			case has(fm.Modifiers, "endswith"):
				ok = Glob("*"+want, v)
			default:
				ok = Glob(want, v)
			}
			if ok {
				return true
			}
		}
		return false
	}
	if len(fm.Values) == 0 {
		return len(vals) == 0 // "field: null" means absent
	}
	for _, w := range fm.Values {
		if hit(w) {
			if !all {
				return true
			}
		} else if all {
			return false
		}
	}
	return all
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// eval parses and evaluates the condition. With dry set it only checks
// the syntax and the selection names.
func (d *Detection) eval(a *alert.Alert, dry bool) (bool, error) {
	p := &condParser{toks: tokenize(d.Condition), d: d, a: a, dry: dry}
	if len(p.toks) == 0 {
		return false, fmt.Errorf("condition is empty")
	}
	v, err := p.or()
	if err != nil {
		return false, err
	}
	if p.pos != len(p.toks) {
		return false, fmt.Errorf("condition %q: unexpected %q", d.Condition, p.toks[p.pos])
	}
	return v, nil
}

func tokenize(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			toks = append(toks, string(r))
		case unicode.IsSpace(r):
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

type condParser struct {
	toks []string
	pos  int
	d    *Detection
	a    *alert.Alert
	dry  bool
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return strings.ToLower(p.toks[p.pos])
	}
	return ""
}

func (p *condParser) or() (bool, error) {
	v, err := p.and()
	if err != nil {
		return false, err
	}
	for p.peek() == "or" {
		p.pos++
		r, err := p.and()
		if err != nil {
			return false, err
		}
		v = v || r
	}
	return v, nil
}

func (p *condParser) and() (bool, error) {
	v, err := p.not()
	if err != nil {
		return false, err
	}
	for p.peek() == "and" {
		p.pos++
		r, err := p.not()
		if err != nil {
			return false, err
		}
		v = v && r
	}
	return v, nil
}

func (p *condParser) not() (bool, error) {
	if p.peek() == "not" {
		p.pos++
		v, err := p.not()
		return !v, err
	}
	return p.atom()
}

func (p *condParser) atom() (bool, error) {
	t := p.peek()
	switch {
	case t == "":
		return false, fmt.Errorf("condition %q ends early", p.d.Condition)
	case t == "(":
		p.pos++
		v, err := p.or()
		if err != nil {
			return false, err
		}
		if p.peek() != ")" {
			return false, fmt.Errorf("condition %q: missing )", p.d.Condition)
		}
		p.pos++
		return v, nil
	case t == "1" || t == "all":
		p.pos++
		if p.peek() != "of" {
			return false, fmt.Errorf("condition %q: %q must be followed by of", p.d.Condition, t)
		}
		p.pos++
		pattern := p.peek()
		if pattern == "" {
			return false, fmt.Errorf("condition %q: of what?", p.d.Condition)
		}
		p.pos++
		var names []string
		for name := range p.d.Selections {
			if pattern == "them" || Glob(pattern, strings.ToLower(name)) {
				names = append(names, name)
			}
		}
		if len(names) == 0 {
			return false, fmt.Errorf("condition %q: no selection matches %q", p.d.Condition, pattern)
		}
		if p.dry {
			return false, nil
		}
		for _, n := range names {
			m := p.d.selection(n, p.a)
			if t == "1" && m {
				return true, nil
			}
			if t == "all" && !m {
				return false, nil
			}
		}
		return t == "all", nil
	}
	name := p.toks[p.pos]
	p.pos++
	if _, ok := p.d.Selections[name]; !ok {
		return false, fmt.Errorf("condition %q names %q, which is not a selection", p.d.Condition, name)
	}
	if p.dry {
		return false, nil
	}
	return p.d.selection(name, p.a), nil
}

package cacao

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Condition is a parsed if-condition or while-condition expression.
//
// CACAO v2 (sections 4.6 and 4.7) says a condition is "a boolean expression as
// defined in the STIX Patterning Grammar". STIX patterns test properties of
// observed objects ("[file:name = 'x']"); in a playbook the only objects are
// variables, and a variable reference "__name__:value" already has the shape
// of a STIX object path. So this package reads STIX comparison expressions
// whose object paths are variable references, the subset a playbook can use:
//
//	condition  = or
//	or         = and { "OR" and }
//	and        = unary { "AND" unary }
//	unary      = "NOT" unary | "(" condition ")" | "[" condition "]" | comparison
//	comparison = operand [ "NOT" ] operator operand
//	           | operand [ "NOT" ] "IN" "(" operand { "," operand } ")"
//	operator   = "=" | "!=" | "<" | ">" | "<=" | ">=" | "IN" | "LIKE" | "MATCHES"
//	operand    = "__name__:value" | 'quoted string' | number | true | false | bare word
//
// Keywords are upper case, as in STIX. Square brackets group like parentheses
// (a STIX observation expression over one set of variables). A bare word is
// SOARCA's form ("__ip__:value IN 10.0.0.0/8"); quoting with single quotes,
// with \' and \\ as escapes, is the STIX form. One side of every comparison
// must be a variable.
//
// Comparison: two numbers compare as numbers; two booleans as booleans; two IP
// addresses as addresses (so 2001:db8::1 equals 2001:0db8::1); anything else
// as strings, byte by byte for < and >. IN with a list is true when the left
// side equals an element; IN with a single CIDR prefix is true when the left
// side is an address inside it. LIKE is the SQL pattern STIX uses (% any run,
// _ one character); MATCHES is a Go (RE2) regular expression, where STIX asks
// for PCRE. A variable whose value is null compares as the empty string.
//
// Left out of STIX patterning: observation operators FOLLOWEDBY, qualifiers
// (WITHIN, REPEATS, START/STOP), ISSUBSET/ISSUPERSET, EXISTS, and object paths
// other than variables; ParseCondition refuses them.
type Condition struct {
	src  string
	root condNode
}

// Lookup returns a variable's value by name ("__name__"); ok is false when no
// variable of that name is in scope.
type Lookup func(name string) (value string, ok bool)

// ParseCondition parses a condition; the error says where it stopped reading.
func ParseCondition(s string) (*Condition, error) {
	toks, err := lexCondition(s)
	if err != nil {
		return nil, fmt.Errorf("cacao: condition %q: %w", s, err)
	}
	p := &condParser{toks: toks}
	root, err := p.or()
	if err == nil && p.peek().kind != tokEOF {
		if t := p.peek(); t.kind == tokKeyword {
			err = p.errorf("%s is STIX patterning that socflow does not support in conditions", t.text)
		} else {
			err = p.errorf("unexpected %s after a complete condition (join comparisons with AND or OR)", t)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cacao: condition %q: %w", s, err)
	}
	return &Condition{src: s, root: root}, nil
}

// String returns the condition as written.
func (c *Condition) String() string { return c.src }

// Variables returns the names of the variables the condition reads, sorted.
func (c *Condition) Variables() []string {
	seen := map[string]bool{}
	c.root.vars(seen)
	return sortedKeys(seen)
}

// Eval evaluates the condition with the variables lookup finds.
func (c *Condition) Eval(lookup Lookup) (bool, error) {
	v, err := c.root.eval(lookup)
	if err != nil {
		return false, fmt.Errorf("cacao: condition %q: %w", c.src, err)
	}
	return v, nil
}

type condNode interface {
	eval(Lookup) (bool, error)
	vars(map[string]bool)
}

type andNode struct{ l, r condNode }
type orNode struct{ l, r condNode }
type notNode struct{ x condNode }

func (n andNode) eval(lk Lookup) (bool, error) {
	l, err := n.l.eval(lk)
	if err != nil || !l {
		return false, err
	}
	return n.r.eval(lk)
}

func (n orNode) eval(lk Lookup) (bool, error) {
	l, err := n.l.eval(lk)
	if err != nil || l {
		return l, err
	}
	return n.r.eval(lk)
}

func (n notNode) eval(lk Lookup) (bool, error) {
	v, err := n.x.eval(lk)
	return !v, err
}

func (n andNode) vars(m map[string]bool) { n.l.vars(m); n.r.vars(m) }
func (n orNode) vars(m map[string]bool)  { n.l.vars(m); n.r.vars(m) }
func (n notNode) vars(m map[string]bool) { n.x.vars(m) }

// operand is a variable reference or a literal.
type operand struct {
	variable string // "__name__", empty for a literal
	literal  string
}

func (o operand) value(lk Lookup) (string, error) {
	if o.variable == "" {
		return o.literal, nil
	}
	v, ok := lk(o.variable)
	if !ok {
		return "", fmt.Errorf("variable %s is not defined", o.variable)
	}
	return v, nil
}

type cmpNode struct {
	lhs operand
	op  string
	neg bool
	rhs []operand      // one operand, or the list of IN (...)
	re  *regexp.Regexp // LIKE and MATCHES against a literal, compiled once
}

func (n cmpNode) vars(m map[string]bool) {
	for _, o := range append([]operand{n.lhs}, n.rhs...) {
		if o.variable != "" {
			m[o.variable] = true
		}
	}
}

func (n cmpNode) eval(lk Lookup) (bool, error) {
	a, err := n.lhs.value(lk)
	if err != nil {
		return false, err
	}
	rhs := make([]string, len(n.rhs))
	for i, o := range n.rhs {
		if rhs[i], err = o.value(lk); err != nil {
			return false, err
		}
	}
	v, err := compare(n.op, a, rhs, n.re)
	if err != nil {
		return false, err
	}
	return v != n.neg, nil
}

func compare(op, a string, rhs []string, re *regexp.Regexp) (bool, error) {
	if op == "IN" {
		if len(rhs) == 1 {
			if pfx, err := netip.ParsePrefix(rhs[0]); err == nil {
				addr, err := netip.ParseAddr(a)
				return err == nil && pfx.Contains(addr.Unmap()), nil
			}
		}
		for _, b := range rhs {
			if equalValues(a, b) {
				return true, nil
			}
		}
		return false, nil
	}
	b := rhs[0]
	switch op {
	case "=":
		return equalValues(a, b), nil
	case "!=":
		return !equalValues(a, b), nil
	case "LIKE", "MATCHES":
		if re == nil {
			var err error
			if op == "LIKE" {
				re = likeRegexp(b)
			} else if re, err = regexp.Compile(b); err != nil {
				return false, fmt.Errorf("MATCHES %q: %w", b, err)
			}
		}
		return re.MatchString(a), nil
	}
	c := orderValues(a, b)
	switch op {
	case "<":
		return c < 0, nil
	case ">":
		return c > 0, nil
	case "<=":
		return c <= 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, fmt.Errorf("operator %s is not supported", op)
}

func equalValues(a, b string) bool {
	if x, y, ok := numbers(a, b); ok {
		return x == y
	}
	if x, y, ok := bools(a, b); ok {
		return x == y
	}
	if x, errX := netip.ParseAddr(a); errX == nil {
		if y, errY := netip.ParseAddr(b); errY == nil {
			return x.Unmap() == y.Unmap()
		}
	}
	return a == b
}

func orderValues(a, b string) int {
	if x, y, ok := numbers(a, b); ok {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return strings.Compare(a, b)
}

func numbers(a, b string) (float64, float64, bool) {
	x, errX := strconv.ParseFloat(strings.TrimSpace(a), 64)
	y, errY := strconv.ParseFloat(strings.TrimSpace(b), 64)
	return x, y, errX == nil && errY == nil
}

func bools(a, b string) (bool, bool, bool) {
	parse := func(s string) (bool, bool) {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return false, false
	}
	x, okX := parse(a)
	y, okY := parse(b)
	return x, y, okX && okY
}

// likeRegexp turns a SQL LIKE pattern into an anchored regular expression.
func likeRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?s)^")
	for _, r := range p {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// --- lexer

type tokKind int

const (
	tokEOF tokKind = iota
	tokLParen
	tokRParen
	tokLBrack
	tokRBrack
	tokComma
	tokOp      // = != < > <= >=
	tokKeyword // AND OR NOT IN LIKE MATCHES and refused STIX keywords
	tokVar     // __name__:value
	tokString  // 'quoted'
	tokWord    // bare literal
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset, for messages
}

// String shows a token in an error message.
func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of condition"
	case tokString:
		return fmt.Sprintf("'%s'", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// isCondKeyword reports STIX keywords. Those outside the subset are lexed as
// keywords too, so that the parser names them instead of reading them as bare
// words.
func isCondKeyword(w string) bool {
	switch w {
	case "AND", "OR", "NOT", "IN", "LIKE", "MATCHES",
		"FOLLOWEDBY", "WITHIN", "REPEATS", "START", "STOP",
		"ISSUBSET", "ISSUPERSET", "EXISTS", "TIMES", "SECONDS":
		return true
	}
	return false
}

// varRef matches a variable name at the start of a word. Package-level
// because a compiled regexp is immutable and safe to share.
var varRef = regexp.MustCompile(`^__[A-Za-z][A-Za-z0-9_-]*__`)

func lexCondition(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '[' || c == ']' || c == ',':
			k := map[byte]tokKind{'(': tokLParen, ')': tokRParen, '[': tokLBrack, ']': tokRBrack, ',': tokComma}[c]
			toks = append(toks, token{k, string(c), i})
			i++
		case c == '=' || c == '<' || c == '>' || c == '!':
			op := string(c)
			if i+1 < len(s) && s[i+1] == '=' {
				op += "="
			}
			if op == "!" {
				return nil, fmt.Errorf("at character %d: '!' must be followed by '=' (use NOT to negate)", i+1)
			}
			if op == "==" {
				return nil, fmt.Errorf("at character %d: use = to compare, not ==", i+1)
			}
			toks = append(toks, token{tokOp, op, i})
			i += len(op)
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '\''; j++ {
				if s[j] == '\\' && j+1 < len(s) && (s[j+1] == '\'' || s[j+1] == '\\') {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("at character %d: the quoted string is not closed", i+1)
			}
			toks = append(toks, token{tokString, b.String(), i})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n()[],'=<>!", rune(s[j])) {
				j++
			}
			w := s[i:j]
			switch {
			case isCondKeyword(w):
				toks = append(toks, token{tokKeyword, w, i})
			case varRef.MatchString(w):
				name := varRef.FindString(w)
				if rest := w[len(name):]; rest != ":value" {
					if rest == "" {
						return nil, fmt.Errorf("at character %d: write %s:value to use the variable's value", i+1, name)
					}
					return nil, fmt.Errorf("at character %d: %q is not a variable reference (the form is %s:value)", i+1, w, name)
				}
				toks = append(toks, token{tokVar, name, i})
			default:
				if !unicode.IsPrint(rune(w[0])) {
					return nil, fmt.Errorf("at character %d: unexpected character %q", i+1, w[0])
				}
				toks = append(toks, token{tokWord, w, i})
			}
			i = j
		}
	}
	return append(toks, token{tokEOF, "", len(s)}), nil
}

// --- parser

type condParser struct {
	toks []token
	i    int
}

func (p *condParser) peek() token { return p.toks[p.i] }
func (p *condParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *condParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at character %d: %s", p.peek().pos+1, fmt.Sprintf(format, args...))
}

func (p *condParser) isKeyword(k string) bool {
	t := p.peek()
	return t.kind == tokKeyword && t.text == k
}

func (p *condParser) or() (condNode, error) {
	l, err := p.and()
	for err == nil && p.isKeyword("OR") {
		p.next()
		var r condNode
		if r, err = p.and(); err == nil {
			l = orNode{l, r}
		}
	}
	return l, err
}

func (p *condParser) and() (condNode, error) {
	l, err := p.unary()
	for err == nil && p.isKeyword("AND") {
		p.next()
		var r condNode
		if r, err = p.unary(); err == nil {
			l = andNode{l, r}
		}
	}
	return l, err
}

func (p *condParser) unary() (condNode, error) {
	t := p.peek()
	switch {
	case t.kind == tokKeyword && t.text == "NOT":
		p.next()
		x, err := p.unary()
		return notNode{x}, err
	case t.kind == tokLParen || t.kind == tokLBrack:
		p.next()
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		closer := map[tokKind]tokKind{tokLParen: tokRParen, tokLBrack: tokRBrack}[t.kind]
		if p.peek().kind != closer {
			return nil, p.errorf("expected %q to close the %q at character %d, got %s", map[tokKind]string{tokRParen: ")", tokRBrack: "]"}[closer], t.text, t.pos+1, p.peek())
		}
		p.next()
		return x, nil
	case t.kind == tokKeyword:
		return nil, p.errorf("%s is STIX patterning that socflow does not support in conditions", t.text)
	}
	return p.comparison()
}

func (p *condParser) operand() (operand, error) {
	t := p.peek()
	switch t.kind {
	case tokVar:
		p.next()
		return operand{variable: t.text}, nil
	case tokString, tokWord:
		p.next()
		return operand{literal: t.text}, nil
	}
	return operand{}, p.errorf("expected a variable (__name__:value) or a value, got %s", t)
}

func (p *condParser) comparison() (condNode, error) {
	lhs, err := p.operand()
	if err != nil {
		return nil, err
	}
	n := cmpNode{lhs: lhs}
	if p.isKeyword("NOT") {
		p.next()
		n.neg = true
	}
	t := p.next()
	switch {
	case t.kind == tokOp:
		n.op = t.text
	case t.kind == tokKeyword && (t.text == "IN" || t.text == "LIKE" || t.text == "MATCHES"):
		n.op = t.text
	case t.kind == tokKeyword:
		p.i--
		return nil, p.errorf("%s is STIX patterning that socflow does not support in conditions", t.text)
	default:
		p.i--
		return nil, p.errorf("expected a comparison operator (=, !=, <, >, <=, >=, IN, LIKE, MATCHES), got %s", t)
	}
	if n.op == "IN" && p.peek().kind == tokLParen {
		p.next()
		for {
			o, err := p.operand()
			if err != nil {
				return nil, err
			}
			n.rhs = append(n.rhs, o)
			if p.peek().kind == tokComma {
				p.next()
				continue
			}
			if p.peek().kind != tokRParen {
				return nil, p.errorf("expected \",\" or \")\" in the IN list, got %s", p.peek())
			}
			p.next()
			break
		}
	} else {
		o, err := p.operand()
		if err != nil {
			return nil, err
		}
		n.rhs = []operand{o}
	}
	hasVar := n.lhs.variable != ""
	for _, o := range n.rhs {
		hasVar = hasVar || o.variable != ""
	}
	if !hasVar {
		return nil, fmt.Errorf("at character %d: the comparison has no variable on either side, so it never changes", t.pos+1)
	}
	if (n.op == "LIKE" || n.op == "MATCHES") && n.rhs[0].variable == "" {
		if n.op == "LIKE" {
			n.re = likeRegexp(n.rhs[0].literal)
		} else if n.re, err = regexp.Compile(n.rhs[0].literal); err != nil {
			return nil, fmt.Errorf("at character %d: MATCHES needs a regular expression: %w", t.pos+1, err)
		}
	}
	return n, nil
}

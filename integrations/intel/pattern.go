package intel

import (
	"fmt"
	"strings"
)

// A STIX pattern is reduced to the single values an observable may equal
// for the pattern to match. That is exact for a disjunction of equality
// tests (`[a = 'x' OR b = 'y'] OR [c = 'z']`, `a IN ('x', 'y')`), which is
// what almost every feed publishes. Anything that needs more than one
// value at once (AND, FOLLOWEDBY) or a count or time window (WITHIN,
// REPEATS, START/STOP) cannot be decided by looking up one indicator, so
// those parts are skipped and reported; the other sides of an OR are still
// loaded, because each of them alone makes the pattern match.
//
// The grammar follows the STIX 2.1 pattern grammar (STIXPattern.g4):
//
//	pattern      = obsFollowed EOF
//	obsFollowed  = obsOr { FOLLOWEDBY obsOr }
//	obsOr        = obsAnd { OR obsAnd }
//	obsAnd       = obsExpr { AND obsExpr }
//	obsExpr      = ( "[" cmpOr "]" | "(" obsFollowed ")" ) { qualifier }
//	cmpOr        = cmpAnd { OR cmpAnd }
//	cmpAnd       = propTest { AND propTest }
//	propTest     = "(" cmpOr ")" | EXISTS path | path [NOT] op literal

// patternValue is one usable comparison: the observable at path equals
// value.
type patternValue struct {
	// kind is what the value must be; 0 means "an IP, range or domain,
	// whichever it is" (network-traffic references).
	kind  kind
	path  string
	value string
}

// patternSkip is one part of a pattern that could not be used.
type patternSkip struct {
	reason string
	detail string
}

// reduction is what a part of a pattern reduces to.
type reduction struct {
	values []patternValue
	skips  []patternSkip
}

func (r reduction) or(o reduction) reduction {
	r.values = append(r.values, o.values...)
	r.skips = append(r.skips, o.skips...)
	return r
}

func unusable(reason, detail string) reduction {
	return reduction{skips: []patternSkip{{reason: reason, detail: detail}}}
}

// reducePattern parses a STIX pattern and reduces it.
func reducePattern(s string) (reduction, error) {
	p := &patternParser{s: s}
	r, err := p.obsFollowed()
	if err != nil {
		return reduction{}, err
	}
	p.space()
	if p.i < len(p.s) {
		return reduction{}, p.errorf("unexpected %q", p.rest())
	}
	return r, nil
}

type patternParser struct {
	s     string
	i     int
	depth int
}

// maxDepth bounds nesting, so that a hostile pattern cannot exhaust the
// stack.
const maxDepth = 64

func (p *patternParser) errorf(format string, args ...any) error {
	return fmt.Errorf("at offset %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *patternParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *patternParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// punct consumes c after optional space.
func (p *patternParser) punct(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// keyword consumes the keyword kw (any case) when it stands alone.
func (p *patternParser) keyword(kw string) bool {
	p.space()
	end := p.i + len(kw)
	if end > len(p.s) || !strings.EqualFold(p.s[p.i:end], kw) {
		return false
	}
	if end < len(p.s) && isWordByte(p.s[end]) {
		return false
	}
	p.i = end
	return true
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == ':'
}

func (p *patternParser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("nested more than %d deep", maxDepth)
	}
	return nil
}

func (p *patternParser) obsFollowed() (reduction, error) {
	r, err := p.obsOr()
	if err != nil {
		return r, err
	}
	followed := false
	for p.keyword("FOLLOWEDBY") {
		if _, err := p.obsOr(); err != nil {
			return r, err
		}
		followed = true
	}
	if followed {
		return unusable(SkipFollowedBy, "observations joined by FOLLOWEDBY"), nil
	}
	return r, nil
}

func (p *patternParser) obsOr() (reduction, error) {
	r, err := p.obsAnd()
	if err != nil {
		return r, err
	}
	for p.keyword("OR") {
		o, err := p.obsAnd()
		if err != nil {
			return r, err
		}
		r = r.or(o)
	}
	return r, nil
}

func (p *patternParser) obsAnd() (reduction, error) {
	r, err := p.obsExpr()
	if err != nil {
		return r, err
	}
	and := false
	for p.keyword("AND") {
		if _, err := p.obsExpr(); err != nil {
			return r, err
		}
		and = true
	}
	if and {
		return unusable(SkipAND, "observations joined by AND"), nil
	}
	return r, nil
}

func (p *patternParser) obsExpr() (reduction, error) {
	if err := p.enter(); err != nil {
		return reduction{}, err
	}
	defer func() { p.depth-- }()
	var r reduction
	var err error
	switch {
	case p.punct('['):
		if r, err = p.cmpOr(); err != nil {
			return r, err
		}
		if !p.punct(']') {
			return r, p.errorf("want ] to close the observation, found %q", p.rest())
		}
	case p.punct('('):
		if r, err = p.obsFollowed(); err != nil {
			return r, err
		}
		if !p.punct(')') {
			return r, p.errorf("want ) to close the group, found %q", p.rest())
		}
	default:
		return r, p.errorf("want [ or ( to start an observation, found %q", p.rest())
	}
	for {
		var q string
		switch {
		case p.keyword("WITHIN"):
			q = "WITHIN"
			if err := p.number(); err != nil {
				return r, err
			}
			if !p.keyword("SECONDS") {
				return r, p.errorf("want SECONDS after WITHIN n")
			}
		case p.keyword("REPEATS"):
			q = "REPEATS"
			if err := p.number(); err != nil {
				return r, err
			}
			if !p.keyword("TIMES") {
				return r, p.errorf("want TIMES after REPEATS n")
			}
		case p.keyword("START"):
			q = "START/STOP"
			if _, err := p.literal(); err != nil {
				return r, err
			}
			if !p.keyword("STOP") {
				return r, p.errorf("want STOP after START t'...'")
			}
			if _, err := p.literal(); err != nil {
				return r, err
			}
		default:
			return r, nil
		}
		r = unusable(SkipQualifier, q+" qualifier")
	}
}

func (p *patternParser) cmpOr() (reduction, error) {
	r, err := p.cmpAnd()
	if err != nil {
		return r, err
	}
	for p.keyword("OR") {
		o, err := p.cmpAnd()
		if err != nil {
			return r, err
		}
		r = r.or(o)
	}
	return r, nil
}

func (p *patternParser) cmpAnd() (reduction, error) {
	r, err := p.propTest()
	if err != nil {
		return r, err
	}
	and := false
	for p.keyword("AND") {
		if _, err := p.propTest(); err != nil {
			return r, err
		}
		and = true
	}
	if and {
		return unusable(SkipAND, "comparisons joined by AND"), nil
	}
	return r, nil
}

func (p *patternParser) propTest() (reduction, error) {
	if err := p.enter(); err != nil {
		return reduction{}, err
	}
	defer func() { p.depth-- }()
	if p.punct('(') {
		r, err := p.cmpOr()
		if err != nil {
			return r, err
		}
		if !p.punct(')') {
			return r, p.errorf("want ) to close the comparison group, found %q", p.rest())
		}
		return r, nil
	}
	if p.keyword("EXISTS") {
		path, err := p.objectPath()
		if err != nil {
			return reduction{}, err
		}
		return unusable(SkipOperator, "EXISTS "+path), nil
	}
	path, err := p.objectPath()
	if err != nil {
		return reduction{}, err
	}
	not := p.keyword("NOT")
	op, err := p.operator()
	if err != nil {
		return reduction{}, err
	}
	var lits []literal
	if op == "IN" {
		if lits, err = p.set(); err != nil {
			return reduction{}, err
		}
	} else {
		lit, err := p.literal()
		if err != nil {
			return reduction{}, err
		}
		lits = []literal{lit}
	}
	if not {
		return unusable(SkipOperator, "NOT "+op+" on "+path), nil
	}
	switch op {
	case "=", "IN", "ISSUBSET":
	default:
		return unusable(SkipOperator, op+" on "+path), nil
	}
	k, ok := pathKind(path, op)
	if !ok {
		return unusable(SkipObjectPath, path+" is not a property the index holds"), nil
	}
	var r reduction
	for _, lit := range lits {
		if !lit.isString {
			r = r.or(unusable(SkipInvalidValue, fmt.Sprintf("%s %s %s: want a quoted string", path, op, lit.text)))
			continue
		}
		r.values = append(r.values, patternValue{kind: k, path: path, value: lit.text})
	}
	return r, nil
}

// pathKind maps an object path to the kind of value it holds, for the
// paths the index can match. ipv4-addr and ipv6-addr values may be ranges;
// the caller decides by the value.
func pathKind(path, op string) (kind, bool) {
	typ, prop, _ := strings.Cut(path, ":")
	if op == "ISSUBSET" {
		return kindCIDR, (typ == "ipv4-addr" || typ == "ipv6-addr") && prop == "value"
	}
	switch typ + ":" + prop {
	case "ipv4-addr:value":
		return kindIPv4, true
	case "ipv6-addr:value":
		return kindIPv6, true
	case "domain-name:value":
		return kindDomain, true
	case "url:value":
		return kindURL, true
	case "network-traffic:dst_ref.value", "network-traffic:src_ref.value":
		return 0, true
	}
	if (typ == "file" || typ == "artifact") && strings.HasPrefix(prop, "hashes.") {
		switch strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(prop, "hashes."), "-", "")) {
		case "md5":
			return kindMD5, true
		case "sha1":
			return kindSHA1, true
		case "sha256":
			return kindSHA256, true
		}
	}
	return 0, false
}

// objectPath reads type:property[.component|['quoted']|[n]]... and returns
// it with quotes removed from quoted components, so that
// file:hashes.'SHA-256' becomes file:hashes.SHA-256.
func (p *patternParser) objectPath() (string, error) {
	p.space()
	start := p.i
	for p.i < len(p.s) && (isIdentByte(p.s[p.i]) || p.s[p.i] == '-') {
		p.i++
	}
	if p.i == start || p.i >= len(p.s) || p.s[p.i] != ':' {
		p.i = start
		return "", p.errorf("want an object path such as ipv4-addr:value, found %q", p.rest())
	}
	var b strings.Builder
	b.WriteString(strings.ToLower(p.s[start:p.i]))
	b.WriteByte(':')
	p.i++
	first := true
	for {
		switch {
		case p.i < len(p.s) && p.s[p.i] == '\'':
			lit, err := p.quoted()
			if err != nil {
				return "", err
			}
			b.WriteString(lit)
		case p.i < len(p.s) && isIdentByte(p.s[p.i]):
			st := p.i
			for p.i < len(p.s) && isIdentByte(p.s[p.i]) {
				p.i++
			}
			b.WriteString(p.s[st:p.i])
		default:
			if first {
				return "", p.errorf("want a property after ':', found %q", p.rest())
			}
			return "", p.errorf("want a property after '.', found %q", p.rest())
		}
		first = false
		for p.i < len(p.s) && p.s[p.i] == '[' {
			end := strings.IndexByte(p.s[p.i:], ']')
			if end < 0 {
				return "", p.errorf("unclosed [ in object path")
			}
			b.WriteString(p.s[p.i : p.i+end+1])
			p.i += end + 1
		}
		if p.i < len(p.s) && p.s[p.i] == '.' {
			b.WriteByte('.')
			p.i++
			continue
		}
		return b.String(), nil
	}
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func (p *patternParser) operator() (string, error) {
	p.space()
	for _, op := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(p.s[p.i:], op) {
			p.i += len(op)
			return op, nil
		}
	}
	for _, op := range []string{"IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"} {
		if p.keyword(op) {
			return op, nil
		}
	}
	return "", p.errorf("want a comparison operator, found %q", p.rest())
}

// literal is a constant in a pattern; text is a string's content, or the
// source text of anything else.
type literal struct {
	text     string
	isString bool
}

func (p *patternParser) literal() (literal, error) {
	p.space()
	if p.i >= len(p.s) {
		return literal{}, p.errorf("want a value, found the end")
	}
	c := p.s[p.i]
	switch {
	case c == '\'':
		s, err := p.quoted()
		return literal{text: s, isString: true}, err
	case (c == 't' || c == 'h' || c == 'b') && p.i+1 < len(p.s) && p.s[p.i+1] == '\'':
		start := p.i
		p.i++
		if _, err := p.quoted(); err != nil {
			return literal{}, err
		}
		return literal{text: p.s[start:p.i]}, nil
	case c == '-' || c == '+' || c >= '0' && c <= '9':
		start := p.i
		if err := p.number(); err != nil {
			return literal{}, err
		}
		return literal{text: p.s[start:p.i]}, nil
	case p.keyword("true"):
		return literal{text: "true"}, nil
	case p.keyword("false"):
		return literal{text: "false"}, nil
	}
	return literal{}, p.errorf("want a value, found %q", p.rest())
}

func (p *patternParser) set() ([]literal, error) {
	if !p.punct('(') {
		return nil, p.errorf("want ( to start the IN set, found %q", p.rest())
	}
	var out []literal
	if p.punct(')') {
		return out, nil
	}
	for {
		lit, err := p.literal()
		if err != nil {
			return nil, err
		}
		out = append(out, lit)
		if p.punct(')') {
			return out, nil
		}
		if !p.punct(',') {
			return nil, p.errorf("want , or ) in the IN set, found %q", p.rest())
		}
	}
}

func (p *patternParser) number() error {
	p.space()
	start := p.i
	if p.i < len(p.s) && (p.s[p.i] == '-' || p.s[p.i] == '+') {
		p.i++
	}
	digits := 0
	for p.i < len(p.s) && (p.s[p.i] >= '0' && p.s[p.i] <= '9' || p.s[p.i] == '.') {
		p.i++
		digits++
	}
	if digits == 0 {
		p.i = start
		return p.errorf("want a number, found %q", p.rest())
	}
	return nil
}

// quoted reads a '...' string with \' and \\ escapes, starting at the
// opening quote.
func (p *patternParser) quoted() (string, error) {
	open := p.i
	p.i++
	var b strings.Builder
	start := p.i
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '\\' && p.i+1 < len(p.s):
			b.WriteString(p.s[start:p.i])
			b.WriteByte(p.s[p.i+1])
			p.i += 2
			start = p.i
		case c == '\'':
			tail := p.s[start:p.i]
			p.i++
			if b.Len() == 0 {
				// No escapes: the common case, without a copy.
				return tail, nil
			}
			b.WriteString(tail)
			return b.String(), nil
		default:
			p.i++
		}
	}
	return "", fmt.Errorf("at offset %d: unterminated string", open)
}

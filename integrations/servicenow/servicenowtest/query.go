package servicenowtest

import "strings"

// condition is one field-operator-value triple of an encoded query.
type condition struct {
	field, op, value string
}

// An encoded query is groups separated by ^NQ, any of which may match;
// a group is clauses joined by ^, all of which must match; a clause is
// conditions joined by ^OR, one of which must. An empty query matches
// everything.
type (
	clause []condition
	group  []clause
	filter []group
)

// operators lists the operators the fake knows, longer before shorter
// where one starts another.
func operators() []string {
	return []string{"!=", "=", "NOT IN", "IN", "NOTLIKE", "LIKE", "STARTSWITH", "ENDSWITH", "ISNOTEMPTY", "ISEMPTY"}
}

// parseQuery reads an encoded query. Ordering (ORDERBY, ORDERBYDESC) and
// the ^EQ terminator are ignored.
func parseQuery(q string) filter {
	var f filter
	var g group
	for _, tok := range strings.Split(q, "^") {
		switch {
		case tok == "" || tok == "EQ" || strings.HasPrefix(tok, "ORDERBY"):
			continue
		case strings.HasPrefix(tok, "NQ"):
			if len(g) > 0 {
				f = append(f, g)
			}
			g = nil
			tok = strings.TrimPrefix(tok, "NQ")
			if tok == "" {
				continue
			}
			g = append(g, clause{parseCondition(tok)})
		case strings.HasPrefix(tok, "OR") && len(g) > 0:
			last := len(g) - 1
			g[last] = append(g[last], parseCondition(strings.TrimPrefix(tok, "OR")))
		default:
			g = append(g, clause{parseCondition(tok)})
		}
	}
	if len(g) > 0 {
		f = append(f, g)
	}
	return f
}

// parseCondition splits "nameINa,b" into field, operator and value. Field
// names are lower case (letters, digits, '_' and '.' for dot-walking), so
// the operator starts at the first other character. An unknown operator
// is kept as "" and matches nothing.
func parseCondition(tok string) condition {
	i := strings.IndexFunc(tok, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '.'
	})
	if i < 0 {
		return condition{field: tok}
	}
	field, rest := tok[:i], tok[i:]
	for _, op := range operators() {
		if v, ok := strings.CutPrefix(rest, op); ok {
			return condition{field: field, op: op, value: v}
		}
	}
	return condition{field: field}
}

func (f filter) match(rec *Record, present map[string]bool) bool {
	if len(f) == 0 {
		return true
	}
	for _, g := range f {
		if g.match(rec, present) {
			return true
		}
	}
	return false
}

func (g group) match(rec *Record, present map[string]bool) bool {
	for _, c := range g {
		if !c.match(rec, present) {
			return false
		}
	}
	return true
}

func (c clause) match(rec *Record, present map[string]bool) bool {
	for _, cond := range c {
		if cond.match(rec, present) {
			return true
		}
	}
	return false
}

// match compares the field's stored value (a reference's sys_id, a
// class's table name), ignoring case.
func (c condition) match(rec *Record, present map[string]bool) bool {
	if !present[c.field] {
		return false
	}
	stored, _, _ := value(rec, c.field)
	v, want := strings.ToLower(stored), strings.ToLower(c.value)
	switch c.op {
	case "=":
		return v == want
	case "!=":
		return v != want
	case "IN":
		return inList(v, want)
	case "NOT IN":
		return !inList(v, want)
	case "STARTSWITH":
		return strings.HasPrefix(v, want)
	case "ENDSWITH":
		return strings.HasSuffix(v, want)
	case "LIKE":
		return strings.Contains(v, want)
	case "NOTLIKE":
		return !strings.Contains(v, want)
	case "ISEMPTY":
		return v == ""
	case "ISNOTEMPTY":
		return v != ""
	}
	return false
}

func inList(v, list string) bool {
	for _, item := range strings.Split(list, ",") {
		if item == v {
			return true
		}
	}
	return false
}

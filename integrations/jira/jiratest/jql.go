package jiratest

import (
	"fmt"
	"strings"
	"unicode"
)

// The fake understands the part of JQL a tracker needs: clauses joined by
// AND, each a field compared with =, != or IN (or ~ on text fields), and an
// optional ORDER BY. Anything else is refused with a 400, as Jira refuses
// JQL it cannot parse, so that a client relying on more fails loudly here
// instead of silently matching nothing.

// jqlError is a JQL problem, answered as a 400 with the message.
type jqlError struct{ msg string }

func (e *jqlError) Error() string { return e.msg }

func syntaxError(format string, args ...any) error {
	return &jqlError{"Error in the JQL Query: " + fmt.Sprintf(format, args...)}
}

// query is parsed JQL.
type query struct {
	clauses []clause
	desc    bool
}

type clause struct {
	field  string // canonical name: project, labels, key, status, summary, issuetype, priority
	op     string // "=", "!=", "~" or "in"
	values []string
}

type token struct {
	text   string
	quoted bool
	pos    int
}

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, syntaxError("The quoted string starting at character %d has not been completed.", i+1)
			}
			out = append(out, token{text: b.String(), quoted: true, pos: i + 1})
			i = j + 1
		case c == '!' && i+1 < len(s) && s[i+1] == '=':
			out = append(out, token{text: "!=", pos: i + 1})
			i += 2
		case strings.IndexByte("=~(),", c) >= 0:
			out = append(out, token{text: string(c), pos: i + 1})
			i++
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && strings.IndexByte("=!~(),\"'", s[j]) < 0 {
				j++
			}
			if j == i {
				return nil, syntaxError("The character '%c' at character %d is a reserved JQL character.", c, i+1)
			}
			out = append(out, token{text: s[i:j], pos: i + 1})
			i = j
		}
	}
	return out, nil
}

// fieldName maps what JQL accepts to the fake's canonical field names.
func fieldName(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "project":
		return "project", true
	case "labels", "label":
		return "labels", true
	case "key", "issuekey", "id":
		return "key", true
	case "status":
		return "status", true
	case "summary", "text":
		return "summary", true
	case "issuetype", "type":
		return "issuetype", true
	case "priority":
		return "priority", true
	}
	return "", false
}

func isKeyword(t token, kw string) bool { return !t.quoted && strings.EqualFold(t.text, kw) }

// parseJQL parses the supported subset.
func parseJQL(s string) (query, error) {
	toks, err := tokenize(s)
	if err != nil {
		return query{}, err
	}
	var q query
	i := 0
	next := func() (token, bool) {
		if i >= len(toks) {
			return token{}, false
		}
		i++
		return toks[i-1], true
	}
	for i < len(toks) && !isKeyword(toks[i], "order") {
		if len(q.clauses) > 0 {
			t, _ := next()
			switch {
			case isKeyword(t, "and"):
			case isKeyword(t, "or"):
				return query{}, syntaxError("jiratest supports clauses joined by AND only (OR at character %d).", t.pos)
			default:
				return query{}, syntaxError("Expecting either 'OR' or 'AND' but got '%s'. (line 1, character %d)", t.text, t.pos)
			}
		}
		f, ok := next()
		if !ok {
			return query{}, syntaxError("Expecting a field name at the end of the query.")
		}
		name, known := fieldName(f.text)
		if !known {
			return query{}, &jqlError{fmt.Sprintf("Field '%s' does not exist or you do not have permission to view it.", f.text)}
		}
		op, ok := next()
		if !ok {
			return query{}, syntaxError("Expecting operator before the end of the query. The valid operators are '=', '!=', '~' and 'IN'.")
		}
		c := clause{field: name}
		switch {
		case op.text == "=" || op.text == "!=" || op.text == "~":
			c.op = op.text
			v, ok := next()
			if !ok || (!v.quoted && strings.ContainsAny(v.text, "(),")) {
				return query{}, syntaxError("Expecting either a value, list or function but got the end of the query.")
			}
			c.values = []string{v.text}
		case isKeyword(op, "in"):
			c.op = "in"
			if t, ok := next(); !ok || t.text != "(" || t.quoted {
				return query{}, syntaxError("Expecting '(' after IN. (line 1, character %d)", op.pos)
			}
			for {
				v, ok := next()
				if !ok {
					return query{}, syntaxError("The list started at character %d has not been completed.", op.pos)
				}
				c.values = append(c.values, v.text)
				sep, ok := next()
				if !ok {
					return query{}, syntaxError("The list started at character %d has not been completed.", op.pos)
				}
				if sep.text == ")" && !sep.quoted {
					break
				}
				if sep.text != "," || sep.quoted {
					return query{}, syntaxError("Expecting ',' or ')' but got '%s'. (line 1, character %d)", sep.text, sep.pos)
				}
			}
		default:
			return query{}, syntaxError("Expecting operator but got '%s'. The valid operators are '=', '!=', '~' and 'IN'. (line 1, character %d)", op.text, op.pos)
		}
		if c.op == "~" && name != "summary" {
			return query{}, &jqlError{fmt.Sprintf("The operator '~' is not supported by the '%s' field.", f.text)}
		}
		q.clauses = append(q.clauses, c)
	}
	if i < len(toks) {
		next() // ORDER
		if t, ok := next(); !ok || !isKeyword(t, "by") {
			return query{}, syntaxError("Expecting 'BY' after 'ORDER'.")
		}
		f, ok := next()
		if !ok {
			return query{}, syntaxError("Expecting a field name after 'ORDER BY'.")
		}
		switch strings.ToLower(f.text) {
		case "created", "key", "id", "issuekey", "updated":
		default:
			return query{}, syntaxError("jiratest orders by created, updated, key or id only, not '%s'.", f.text)
		}
		if t, ok := next(); ok {
			switch {
			case isKeyword(t, "desc"):
				q.desc = true
			case isKeyword(t, "asc"):
			default:
				return query{}, syntaxError("Expecting 'ASC' or 'DESC' but got '%s'.", t.text)
			}
		}
		if t, ok := next(); ok {
			return query{}, syntaxError("jiratest orders by one field only; unexpected '%s'.", t.text)
		}
	}
	return q, nil
}

// match reports whether the issue satisfies every clause.
func (q query) match(is *issue) bool {
	for _, c := range q.clauses {
		if !c.match(is) {
			return false
		}
	}
	return true
}

func (c clause) match(is *issue) bool {
	var have []string
	fold := true
	switch c.field {
	case "project":
		have = []string{is.project.Key, is.project.ID}
	case "labels":
		have, fold = is.labels, false
	case "key":
		have = []string{is.key, itoa(is.id)}
	case "status":
		have = []string{is.status}
	case "issuetype":
		have = []string{is.issueType}
	case "priority":
		have = []string{is.priority}
	case "summary":
		have = []string{is.summary}
	}
	eq := func(a, b string) bool {
		if fold {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	found := false
	for _, want := range c.values {
		for _, h := range have {
			if c.op == "~" {
				found = found || strings.Contains(strings.ToLower(h), strings.ToLower(want))
			} else {
				found = found || eq(h, want)
			}
		}
	}
	if c.op == "!=" {
		return !found
	}
	return found
}

package cacao

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// The CACAO v2 JSON schemas, as SOARCA ships them; schemas/NOTICE names the
// source. The embed has to be a package variable; it is read-only.
//
//go:embed schemas
var schemaFiles embed.FS

// schemaBase is where the embedded files are registered. The scheme is one no
// loader fetches, so a $ref that names a file outside the set fails to compile
// instead of reaching out to the network.
const schemaBase = "mem:///schemas/"

// Schema is the compiled CACAO v2 playbook schema, and the command schemas the
// playbook schema does not apply by itself (its command-data items never
// dispatch on the command type).
type Schema struct {
	playbook *jsonschema.Schema
	commands map[string]*jsonschema.Schema
}

// NewSchema compiles the embedded schemas. Compiling takes milliseconds, so a
// caller that validates many playbooks keeps one Schema.
func NewSchema() (*Schema, error) {
	c := jsonschema.NewCompiler()
	var commandTypes []string
	err := fs.WalkDir(schemaFiles, "schemas", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".json" {
			return nil
		}
		b, err := schemaFiles.ReadFile(p)
		if err != nil {
			return err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if dir, file := path.Split(p); dir == "schemas/commands/" && file != "command-data.json" {
			commandTypes = append(commandTypes, strings.TrimSuffix(file, ".json"))
		}
		return c.AddResource("mem:///"+p, doc)
	})
	if err != nil {
		return nil, fmt.Errorf("cacao: load schemas: %w", err)
	}
	s := &Schema{commands: make(map[string]*jsonschema.Schema, len(commandTypes))}
	if s.playbook, err = c.Compile(schemaBase + "playbook.json"); err != nil {
		return nil, fmt.Errorf("cacao: compile playbook schema: %w", err)
	}
	for _, t := range commandTypes {
		sch, err := c.Compile(schemaBase + "commands/" + t + ".json")
		if err != nil {
			return nil, fmt.Errorf("cacao: compile %s command schema: %w", t, err)
		}
		s.commands[t] = sch
	}
	return s, nil
}

// check validates a decoded JSON document against the playbook schema and each
// command against the schema of its type, returning the problems found.
func (s *Schema) check(doc any) []Problem {
	var probs []Problem
	if err := s.playbook.Validate(doc); err != nil {
		probs = append(probs, schemaProblems(err)...)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return probs
	}
	wf, _ := root["workflow"].(map[string]any)
	for _, id := range sortedKeys(wf) {
		step, _ := wf[id].(map[string]any)
		cmds, _ := step["commands"].([]any)
		for i, c := range cmds {
			cm, _ := c.(map[string]any)
			t, _ := cm["type"].(string)
			sch, ok := s.commands[t]
			if !ok {
				continue
			}
			if err := sch.Validate(c); err != nil {
				prefix := []string{"workflow", id, "commands", fmt.Sprint(i)}
				for _, p := range schemaProblems(err) {
					// The command was validated on its own, so its locations
					// are relative to it; put them back under the playbook.
					p.Path = pointer(prefix) + p.Path
					probs = append(probs, p)
				}
			}
		}
	}
	return probs
}

// schemaProblems flattens a schema error to its leaves: the inner nodes
// ("allOf failed", a $ref) say only that something below failed.
func schemaProblems(err error) []Problem {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Problem{{Reason: err.Error()}}
	}
	var probs []Problem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			probs = append(probs, Problem{Path: pointer(e.InstanceLocation), Reason: reason(e)})
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Path < probs[j].Path })
	return dedupe(probs)
}

// reason puts a schema failure in words a SOC engineer reads, naming the
// CACAO rule rather than the JSON Schema keyword where the two differ.
func reason(e *jsonschema.ValidationError) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		return "missing required " + plural(len(k.Missing), "property", "properties") + " " + quoteList(k.Missing)
	case *kind.Type:
		return fmt.Sprintf("is %s, but must be %s", article(k.Got), strings.Join(articles(k.Want), " or "))
	case *kind.Enum:
		return fmt.Sprintf("is %s, but must be %s", show(k.Got), showList(k.Want))
	case *kind.Const:
		return fmt.Sprintf("is %s, but must be %s", show(k.Got), show(k.Want))
	case *kind.Pattern:
		return patternReason(k)
	case *kind.MinItems:
		return fmt.Sprintf("has %d %s, but needs at least %d", k.Got, plural(k.Got, "entry", "entries"), k.Want)
	case *kind.MinProperties:
		return fmt.Sprintf("has %d %s, but needs at least %d (leave it out instead of leaving it empty)", k.Got, plural(k.Got, "entry", "entries"), k.Want)
	case *kind.Minimum:
		return fmt.Sprintf("is %s, but must be at least %s", k.Got.RatString(), k.Want.RatString())
	case *kind.Maximum:
		return fmt.Sprintf("is %s, but must be at most %s", k.Got.RatString(), k.Want.RatString())
	case *kind.Not:
		switch {
		case strings.Contains(e.SchemaURL, "workflows/start.json"):
			return "a start step must not have on_success or on_failure (use on_completion)"
		case strings.Contains(e.SchemaURL, "workflows/end.json"):
			return "an end step must not name a next step (on_completion, on_success or on_failure)"
		case strings.Contains(e.SchemaURL, "workflows/workflow-step.json"):
			return "a step must not have on_completion together with on_success or on_failure"
		}
	}
	return libraryReason(e)
}

// libraryReason is the schema library's own wording, without the location it
// prefixes (the Problem carries that).
func libraryReason(e *jsonschema.ValidationError) string {
	leaf := *e
	leaf.Causes = nil
	msg := leaf.Error()
	if _, after, ok := strings.Cut(msg, "': "); ok {
		return after
	}
	return msg
}

func patternReason(k *kind.Pattern) string {
	switch {
	case strings.Contains(k.Want, "--[0-9a-fA-F]{8}"):
		return fmt.Sprintf("%q is not a CACAO identifier: it must be the object type, two dashes and an RFC 4122 UUID (e.g. action--6b23c237-ade8-4d00-9aa1-75999738d557)", k.Got)
	case strings.Contains(k.Want, "T([01][0-9]"):
		return fmt.Sprintf("%q is not a CACAO timestamp: it must be RFC 3339 in UTC, e.g. 2024-01-31T09:30:00.000Z", k.Got)
	}
	return fmt.Sprintf("%q does not have the required form %s", k.Got, k.Want)
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapePointer(t))
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func article(t string) string {
	switch t {
	case "array", "object", "integer", "action", "if-condition", "end":
		return "an " + t
	}
	return "a " + t
}

func articles(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = article(t)
	}
	return out
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

func showList(vs []any) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = show(v)
	}
	if len(s) == 1 {
		return s[0]
	}
	return "one of " + strings.Join(s, ", ")
}

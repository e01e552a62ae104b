package config

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file maps field paths ("tiers[1].timeout") to positions in the
// parsed YAML tree, so that a problem found in the decoded struct can be
// reported at the line a person would edit.

var yamlLine = regexp.MustCompile(`^\s*(?:yaml: )?line (\d+): (.*)$`)

// yamlErrors rewrites yaml.v3's "line N: ..." messages as file:line errors.
func yamlErrors(path string, err error) error {
	var te *yaml.TypeError
	var msgs []string
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out []error
	for _, m := range msgs {
		e := &Error{File: path, Msg: strings.TrimPrefix(m, "yaml: ")}
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			e.Line, _ = strconv.Atoi(g[1])
			e.Msg = g[2]
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// nodeAt finds the node at a field path such as "tiers[1].timeout", or nil.
func nodeAt(root *yaml.Node, path string) *yaml.Node {
	n, exact := walk(root, path)
	if !exact {
		return nil
	}
	return n
}

// lineOf returns the line of the node at path, or of its deepest ancestor
// present in the file (a missing field is reported where its parent is),
// or 0 when the file does not mention it at all.
func lineOf(root *yaml.Node, path string) int {
	n, _ := walk(root, path)
	if n == nil {
		return 0
	}
	return n.Line
}

var (
	segment = regexp.MustCompile(`^([^\[\]]*)((?:\[\d+\])*)$`)
	digits  = regexp.MustCompile(`\d+`)
)

func walk(root *yaml.Node, path string) (*yaml.Node, bool) {
	if root == nil || root.Kind == 0 {
		return nil, false
	}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	var deepest *yaml.Node
	parts := strings.Split(path, ".")
	for i := 0; i < len(parts); i++ {
		g := segment.FindStringSubmatch(parts[i])
		if g == nil {
			return deepest, false
		}
		key, idx := g[1], g[2]
		if key != "" {
			next := mapValue(n, key)
			if next == nil {
				// A key may itself contain dots ("labels.team").
				next = mapValue(n, strings.Join(parts[i:], "."))
				if next == nil {
					return deepest, false
				}
				i = len(parts)
			}
			n, deepest = next, next
		}
		for _, m := range digits.FindAllString(idx, -1) {
			j, _ := strconv.Atoi(m)
			if n.Kind != yaml.SequenceNode || j >= len(n.Content) {
				return deepest, false
			}
			n = n.Content[j]
			deepest = n
		}
	}
	return n, true
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

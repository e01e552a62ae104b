package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/socflow/socflow/policy"
)

// sigmaTopLevel are the keys a Sigma rule document may carry; anything
// else is a typo worth reporting.
var sigmaTopLevel = map[string]bool{
	"title": true, "id": true, "name": true, "status": true, "description": true, "author": true, "references": true,
	"date": true, "modified": true, "taxonomy": true, "falsepositives": true, "level": true, "generate": true,
	"tags": true, "logsource": true, "detection": true, "fields": true, "related": true, "license": true,
	"correlation": true, "scope": true,
}

var sigmaCorrelationKeys = map[string]bool{
	"type": true, "rules": true, "group-by": true, "timespan": true, "condition": true, "aliases": true, "generate": true,
}

var sigmaTimespan = regexp.MustCompile(`^(\d+)([smhd])$`)

// LoadSigmaDir reads every .yml and .yaml file of a folder (multi-document
// files included) and compiles the Sigma correlation rules and the
// detection rules defined next to them. Every problem is reported with its
// file and line.
func LoadSigmaDir(dir string) (policy.Correlations, error) {
	var files []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		return policy.Correlations{}, fmt.Errorf("correlation rules: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yml") || strings.HasSuffix(e.Name(), ".yaml")) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	cs := policy.Correlations{Bases: map[string]policy.BaseRule{}}
	var errs []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, parseSigma(f, data, &cs)...)
	}
	names := map[string]string{}
	for _, r := range cs.Rules {
		if prev, ok := names[r.Key()]; ok {
			errs = append(errs, &Error{File: r.File, Line: r.Line, Field: "name", Msg: fmt.Sprintf("correlation %q is also defined in %s", r.Key(), prev)})
		}
		names[r.Key()] = fmt.Sprintf("%s:%d", r.File, r.Line)
	}
	return cs, errors.Join(errs...)
}

// ParseSigma compiles the documents of one file; exported for tests and
// `config check` of single files.
func ParseSigma(file string, data []byte) (policy.Correlations, error) {
	cs := policy.Correlations{Bases: map[string]policy.BaseRule{}}
	return cs, errors.Join(parseSigma(file, data, &cs)...)
}

func parseSigma(file string, data []byte, cs *policy.Correlations) []error {
	var errs []error
	bad := func(line int, field, format string, args ...any) {
		errs = append(errs, &Error{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, yamlErrors(file, err))
			break
		}
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := doc.Content[0]
		for i := 0; i+1 < len(root.Content); i += 2 {
			if k := root.Content[i]; !sigmaTopLevel[k.Value] {
				bad(k.Line, k.Value, "not a Sigma rule field")
			}
		}
		str := func(key string) string {
			if n := mapValue(root, key); n != nil {
				return n.Value
			}
			return ""
		}
		title, id, name := str("title"), str("id"), str("name")
		if title == "" {
			bad(root.Line, "title", "is required")
		}
		if corr := mapValue(root, "correlation"); corr != nil {
			r := policy.Correlation{ID: id, Name: name, Title: title, Description: str("description"), Level: str("level"), File: file, Line: root.Line}
			if n := mapValue(root, "tags"); n != nil {
				_ = n.Decode(&r.Tags)
			}
			errs = append(errs, compileCorrelation(file, corr, root, &r)...)
			cs.Rules = append(cs.Rules, r)
			continue
		}
		det := mapValue(root, "detection")
		if det == nil {
			bad(root.Line, "", "a rule needs a correlation or a detection section")
			continue
		}
		d, derrs := compileDetection(file, det)
		errs = append(errs, derrs...)
		b := policy.BaseRule{ID: id, Name: name, Title: title, Detection: d}
		for _, k := range []string{id, name} {
			if k != "" {
				cs.Bases[k] = b
			}
		}
	}
	return errs
}

func compileCorrelation(file string, corr, root *yaml.Node, r *policy.Correlation) []error {
	var errs []error
	bad := func(n *yaml.Node, field, format string, args ...any) {
		errs = append(errs, &Error{File: file, Line: n.Line, Field: "correlation." + field, Msg: fmt.Sprintf(format, args...)})
	}
	if corr.Kind != yaml.MappingNode {
		bad(corr, "", "must be a mapping")
		return errs
	}
	for i := 0; i+1 < len(corr.Content); i += 2 {
		if k := corr.Content[i]; !sigmaCorrelationKeys[k.Value] {
			bad(k, k.Value, "unknown key (type, rules, group-by, timespan, condition, aliases, generate)")
		}
	}
	if n := mapValue(corr, "type"); n == nil {
		bad(corr, "type", "is required")
	} else {
		r.Type = n.Value
		switch r.Type {
		case policy.EventCount, policy.ValueCount, policy.Temporal, policy.TemporalOrdered:
		case "value_sum", "value_avg", "value_percentile":
			bad(n, "type", "%s is not supported yet (event_count, value_count, temporal, temporal_ordered)", r.Type)
		default:
			bad(n, "type", "unknown type %q", r.Type)
		}
	}
	if n := mapValue(corr, "rules"); n == nil || n.Decode(&r.Rules) != nil || len(r.Rules) == 0 {
		bad(corr, "rules", "must list at least one rule name or id")
	}
	if (r.Type == policy.Temporal || r.Type == policy.TemporalOrdered) && len(r.Rules) < 2 {
		bad(corr, "rules", "%s needs at least two rules", r.Type)
	}
	if n := mapValue(corr, "group-by"); n == nil || n.Decode(&r.GroupBy) != nil || len(r.GroupBy) == 0 {
		bad(corr, "group-by", "must list at least one field")
	}
	if n := mapValue(corr, "timespan"); n == nil {
		bad(corr, "timespan", "is required, as in 10m")
	} else if g := sigmaTimespan.FindStringSubmatch(n.Value); g == nil {
		bad(n, "timespan", "%q is not a number followed by s, m, h or d", n.Value)
	} else {
		v, _ := strconv.Atoi(g[1])
		unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[g[2]]
		r.Timespan = time.Duration(v) * unit
		if r.Timespan <= 0 {
			bad(n, "timespan", "must be positive")
		}
	}
	if n := mapValue(corr, "condition"); n != nil {
		var raw map[string]any
		if err := n.Decode(&raw); err != nil {
			bad(n, "condition", "must be a mapping such as {gte: 10}")
		} else {
			c := &policy.Condition{}
			for k, v := range raw {
				if k == "field" {
					c.Field, _ = v.(string)
					continue
				}
				iv, ok := v.(int)
				if !ok {
					bad(n, "condition."+k, "must be an integer, got %v", v)
					continue
				}
				switch k {
				case "gt":
					c.GT = &iv
				case "gte":
					c.GTE = &iv
				case "lt":
					c.LT = &iv
				case "lte":
					c.LTE = &iv
				case "eq":
					c.EQ = &iv
				case "neq":
					c.NEQ = &iv
				default:
					bad(n, "condition."+k, "unknown operator (gt, gte, lt, lte, eq, neq, field)")
				}
			}
			r.Condition = c
		}
	} else if r.Type == policy.EventCount || r.Type == policy.ValueCount {
		bad(corr, "condition", "is required for %s", r.Type)
	}
	if r.Type == policy.ValueCount && (r.Condition == nil || r.Condition.Field == "") {
		bad(corr, "condition.field", "is required for value_count")
	}
	if n := mapValue(corr, "aliases"); n != nil {
		if err := n.Decode(&r.Aliases); err != nil {
			bad(n, "aliases", "must map alias -> rule -> field")
		}
	}
	if n := mapValue(corr, "generate"); n != nil {
		_ = n.Decode(&r.Generate)
	} else if n := mapValue(root, "generate"); n != nil {
		_ = n.Decode(&r.Generate)
	}
	switch strings.ToLower(r.Level) {
	case "", "informational", "low", "medium", "high", "critical":
	default:
		errs = append(errs, &Error{File: file, Line: root.Line, Field: "level", Msg: fmt.Sprintf("%q is not a Sigma level", r.Level)})
	}
	return errs
}

func compileDetection(file string, det *yaml.Node) (*policy.Detection, []error) {
	var errs []error
	d := &policy.Detection{Selections: map[string][][]policy.FieldMatch{}}
	if det.Kind != yaml.MappingNode {
		return nil, []error{&Error{File: file, Line: det.Line, Field: "detection", Msg: "must be a mapping"}}
	}
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i], det.Content[i+1]
		if k.Value == "condition" {
			d.Condition = v.Value
			continue
		}
		var maps []*yaml.Node
		switch v.Kind {
		case yaml.MappingNode:
			maps = []*yaml.Node{v}
		case yaml.SequenceNode:
			maps = v.Content
		default:
			errs = append(errs, &Error{File: file, Line: v.Line, Field: "detection." + k.Value, Msg: "must be a mapping or a list of mappings"})
			continue
		}
		for _, m := range maps {
			if m.Kind != yaml.MappingNode {
				errs = append(errs, &Error{File: file, Line: m.Line, Field: "detection." + k.Value, Msg: "keyword lists are not supported; name the field"})
				continue
			}
			var sel []policy.FieldMatch
			for j := 0; j+1 < len(m.Content); j += 2 {
				parts := strings.Split(m.Content[j].Value, "|")
				fm := policy.FieldMatch{Field: parts[0], Modifiers: parts[1:]}
				val := m.Content[j+1]
				switch val.Kind {
				case yaml.SequenceNode:
					for _, x := range val.Content {
						fm.Values = append(fm.Values, x.Value)
					}
				case yaml.ScalarNode:
					if val.Tag != "!!null" {
						fm.Values = []string{val.Value}
					}
				}
				sel = append(sel, fm)
			}
			d.Selections[k.Value] = append(d.Selections[k.Value], sel)
		}
	}
	if err := d.Validate(); err != nil {
		errs = append(errs, &Error{File: file, Line: det.Line, Field: "detection", Msg: err.Error()})
	}
	return d, errs
}

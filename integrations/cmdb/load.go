package cmdb

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxErrors bounds how many problems one file reports.
const maxErrors = 20

// LineError is a problem at one line of an inventory file.
type LineError struct {
	File string
	// Line is 1-based, or 0 when the parser could not tell.
	Line int
	// Field names the field at fault as the file spells it
	// ("assets[2].tier" in YAML, "tier" or "ips[1]" in CSV), or is empty.
	Field string
	Msg   string
}

// Error formats the problem as "file:line: field: message".
func (e *LineError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// LoadFile builds an inventory from one file; see AddFile.
func LoadFile(path string) (*Inventory, error) {
	return LoadFiles(path)
}

// LoadFiles builds an inventory from several files; names must be unique
// across all of them. See AddFile.
func LoadFiles(paths ...string) (*Inventory, error) {
	inv := New()
	for _, p := range paths {
		if err := inv.AddFile(p); err != nil {
			return nil, err
		}
	}
	return inv, nil
}

// AddFile loads an inventory file, choosing the format by extension:
//
//   - .yaml or .yml: a mapping with one key, assets, listing records with
//     the fields name, ips, cidrs, owner, role, tier and tags. Unknown
//     fields are errors, because a misspelt "teir" would otherwise leave a
//     domain controller at the default criticality.
//   - .csv: a header row naming any of the columns name, ips, cidrs, owner,
//     role, tier and tags (name and tier are required), then one record a
//     row; ips, cidrs and tags separate their items with ';'. Lines
//     starting with '#' are comments.
//
// Every record is validated (a name, unique ignoring case; tier 1 to 4;
// addresses and ranges that parse, belonging to one asset only). Any
// problem fails the whole file with *LineError values naming file, line
// and field, and leaves the inventory unchanged.
func (inv *Inventory) AddFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cmdb: %w", err)
	}
	var recs []located
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".yaml", ".yml":
		recs, err = parseYAML(path, data)
	case ".csv":
		recs, err = parseCSV(path, data)
	default:
		return fmt.Errorf("cmdb: %s: unsupported file type %q: want .yaml, .yml or .csv", path, ext)
	}
	if err != nil {
		return fmt.Errorf("cmdb: %w", err)
	}

	next := inv.clone()
	var errs []error
	for _, lr := range recs {
		r := lr.rec
		probs := lr.parsed
		for _, p := range next.check(&r) {
			// A cell that did not parse is reported once, as such.
			if !slices.ContainsFunc(lr.parsed, func(q problem) bool { return q.field == p.field }) {
				probs = append(probs, p)
			}
		}
		for _, p := range probs {
			errs = append(errs, &LineError{File: path, Line: lr.line(p), Field: lr.prefix + p.name(), Msg: p.msg})
		}
		next.insert(r)
	}
	if len(errs) > 0 {
		return fmt.Errorf("cmdb: %w", capErrors(path, errs))
	}
	*inv = *next
	return nil
}

// located is a record with what is needed to point at its lines.
type located struct {
	rec Record
	// prefix is prepended to field names: "assets[2]." in YAML.
	prefix string
	// node is the record's YAML mapping, or nil for a CSV row.
	node *yaml.Node
	// row is the CSV row's line.
	row int
	// parsed are problems found while reading the record, such as a CSV
	// tier that is not a number.
	parsed []problem
}

// line returns the line of the field a problem is about: the list element,
// else the key, else the record.
func (l located) line(p problem) int {
	if l.node == nil {
		return l.row
	}
	for i := 0; i+1 < len(l.node.Content); i += 2 {
		k, v := l.node.Content[i], l.node.Content[i+1]
		if k.Value != p.field {
			continue
		}
		if p.index >= 0 && v.Kind == yaml.SequenceNode && p.index < len(v.Content) {
			return v.Content[p.index].Line
		}
		return k.Line
	}
	return l.node.Line
}

func capErrors(path string, errs []error) error {
	if len(errs) > maxErrors {
		n := len(errs) - maxErrors
		errs = append(errs[:maxErrors], fmt.Errorf("%s: %d more problems not shown", path, n))
	}
	return errors.Join(errs...)
}

// fileFormat is the YAML inventory file.
type fileFormat struct {
	Assets []Record `yaml:"assets"`
}

func parseYAML(path string, data []byte) ([]located, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErrors(path, err, nil)
	}
	paths := map[int]string{}
	walkPaths(&root, "", paths)

	var f fileFormat
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, yamlErrors(path, err, paths)
	}

	items := assetNodes(&root)
	out := make([]located, len(f.Assets))
	for i, r := range f.Assets {
		out[i] = located{rec: r, prefix: fmt.Sprintf("assets[%d].", i)}
		if i < len(items) && items[i].Kind == yaml.MappingNode {
			out[i].node = items[i]
		}
	}
	return out, nil
}

// assetNodes returns the items of the top-level assets sequence.
func assetNodes(root *yaml.Node) []*yaml.Node {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "assets" && n.Content[i+1].Kind == yaml.SequenceNode {
			return n.Content[i+1].Content
		}
	}
	return nil
}

// walkPaths records, for each line, the path of the field written there
// ("assets[1].tier"), so that yaml.v3's "line N" errors can name it. A
// line holding several fields (flow style) gets their common parent.
func walkPaths(n *yaml.Node, path string, out map[int]string) {
	mark := func(line int, p string) {
		if old, ok := out[line]; ok && !strings.HasPrefix(p, old) {
			p = commonPath(old, p)
		}
		out[line] = p
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walkPaths(c, path, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := k.Value
			if path != "" {
				p = path + "." + k.Value
			}
			mark(k.Line, p)
			walkPaths(v, p, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			mark(c.Line, p)
			walkPaths(c, p, out)
		}
	}
}

// commonPath returns the longest common parent of two field paths.
func commonPath(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	boundary := func(s string, i int) bool { return i == len(s) || s[i] == '.' || s[i] == '[' }
	for n > 0 && !(boundary(a, n) && boundary(b, n)) {
		n--
	}
	return a[:n]
}

// yamlErrors turns yaml.v3's errors ("yaml: line 7: ...") into LineErrors
// naming the field at that line when paths knows it.
func yamlErrors(path string, err error, paths map[int]string) error {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	var out []error
	for _, m := range msgs {
		line, msg := splitLine(strings.TrimPrefix(m, "yaml: "))
		field := paths[line]
		if name, _, ok := strings.Cut(strings.TrimPrefix(msg, "field "), " not found in type "); ok && strings.HasPrefix(msg, "field ") {
			want := "assets"
			if strings.Contains(field, "[") {
				want = "name, ips, cidrs, owner, role, tier, tags"
			}
			msg = fmt.Sprintf("unknown field %q: want one of %s", name, want)
		}
		out = append(out, &LineError{File: path, Line: line, Field: field, Msg: msg})
	}
	return capErrors(path, out)
}

// splitLine separates "line 7: message" into 7 and "message".
func splitLine(m string) (int, string) {
	rest, ok := strings.CutPrefix(m, "line ")
	if !ok {
		return 0, m
	}
	num, msg, ok := strings.Cut(rest, ": ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, m
	}
	return n, msg
}

// csvColumns lists the columns a CSV inventory may have.
func csvColumns() []string {
	return []string{"name", "ips", "cidrs", "owner", "role", "tier", "tags"}
}

func parseCSV(path string, data []byte) ([]located, error) {
	var errs []error
	bad := func(line int, field, format string, args ...any) {
		errs = append(errs, &LineError{File: path, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.Comment = '#'
	r.TrimLeadingSpace = true

	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		bad(1, "", "empty file: want a header row such as %s", strings.Join(csvColumns(), ","))
		return nil, capErrors(path, errs)
	}
	if err != nil {
		line, msg := csvProblem(err, 1)
		bad(line, "", "%s", msg)
		return nil, capErrors(path, errs)
	}
	headerLine, _ := r.FieldPos(0)
	col := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		if _, dup := col[name]; dup {
			bad(headerLine, "", "column %q appears twice", name)
			continue
		}
		if !slices.Contains(csvColumns(), name) {
			bad(headerLine, "", "unknown column %q: the first row must be a header of %s", header[i], strings.Join(csvColumns(), ","))
			continue
		}
		col[name] = i
	}
	for _, req := range []string{"name", "tier"} {
		if _, ok := col[req]; !ok && len(errs) == 0 {
			bad(headerLine, "", "no %s column: the header must name it", req)
		}
	}
	if len(errs) > 0 {
		return nil, capErrors(path, errs)
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}

	var out []located
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, msg := csvProblem(err, headerLine)
			bad(line, "", "%s", msg)
			if errors.Is(err, csv.ErrFieldCount) {
				continue
			}
			// After a quoting error the reader's position is unreliable.
			break
		}
		line, _ := r.FieldPos(0)
		rr := Record{
			Name:  field(rec, "name"),
			IPs:   splitList(field(rec, "ips")),
			CIDRs: splitList(field(rec, "cidrs")),
			Owner: field(rec, "owner"),
			Role:  field(rec, "role"),
			Tags:  splitList(field(rec, "tags")),
		}
		lr := located{rec: rr, row: line}
		if t := field(rec, "tier"); t != "" {
			n, err := strconv.Atoi(t)
			if err != nil {
				lr.parsed = append(lr.parsed, problem{field: "tier", index: -1, msg: fmt.Sprintf("%q is not a number 1-4", t)})
			}
			lr.rec.Tier = n
		}
		out = append(out, lr)
	}
	if len(errs) > 0 {
		return nil, capErrors(path, errs)
	}
	return out, nil
}

// csvProblem returns the line and reason of a csv error, without the
// position csv.ParseError repeats.
func csvProblem(err error, fallback int) (int, string) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fallback, err.Error()
	}
	line := pe.Line
	if line == 0 {
		line = fallback
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return line, "wrong number of fields: every row needs as many as the header"
	}
	return line, pe.Err.Error()
}

// splitList splits a ';'-separated cell, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ";") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

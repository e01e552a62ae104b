package intel

import (
	"bufio"
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
	"time"

	"github.com/socflow/socflow/alert"
)

// maxErrors bounds how many bad lines one file reports: enough to fix a
// batch of mistakes at once, not a wall of text for a file in the wrong
// format.
const maxErrors = 20

// csvColumns lists the columns a CSV watchlist may have, in the documented
// order. Only "indicator" is required.
func csvColumns() []string {
	return []string{"indicator", "type", "source", "confidence", "labels", "description"}
}

// utf8BOM starts files saved by spreadsheet programs; it is not part of
// the first column's name.
const utf8BOM = "\ufeff"

// LineError is a problem with one line of a watchlist file.
type LineError struct {
	File string
	Line int
	// Column names the CSV column at fault, or is empty.
	Column string
	Msg    string
}

// Error formats the problem as "file:line: column: message".
func (e *LineError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// LoadFile builds an index from one watchlist file or folder; see AddPath.
func LoadFile(path string) (*Index, error) {
	return LoadFiles(path)
}

// LoadFiles builds an index from several watchlist files or folders; see
// AddPath.
func LoadFiles(paths ...string) (*Index, error) {
	ix := New()
	for _, p := range paths {
		if err := ix.AddFile(p); err != nil {
			return nil, err
		}
	}
	return ix, nil
}

// AddFile is AddPath without the report.
func (ix *Index) AddFile(path string) error {
	_, err := ix.AddPath(path)
	return err
}

// AddPath loads a watchlist file or folder into the index, choosing the
// format by extension:
//
//   - .csv has a header row naming its columns, any of indicator, type,
//     source, confidence, labels (separated by ';') and description; only
//     indicator is required. An empty type is inferred from the indicator,
//     an empty source is the file's base name, an empty confidence is
//     DefaultConfidence. Lines starting with '#' are comments.
//   - .txt lists one indicator per line, of any type, inferred; '#' starts
//     a comment and blank lines are ignored. The source is the file's base
//     name and the confidence DefaultConfidence.
//   - .json is a STIX 2.x bundle ("type": "bundle"; see AddSTIX), or a
//     MISP event ({"Event": {...}}, a bare event, or a {"response": [...]}
//     search result; see the MISP feed folder below). The source is the
//     file's base name.
//   - a folder with a manifest.json is a MISP feed: see mispFeed in
//     misp.go for what is read. The source is the folder's base name.
//   - any other folder is read file by file (.csv, .txt, .json; not
//     recursively); other files are skipped and reported.
//
// Any bad line of a CSV or text file, and any file that is not valid JSON,
// fails the whole load, with *LineError values naming file:line and the
// problem, and leaves the index unchanged: a watchlist that silently lost
// entries would let listed indicators through unseen. STIX patterns and
// MISP attributes the index cannot hold are different: feeds are full of
// them by design (file names, registry keys, AND patterns), so they are
// skipped and counted in the report.
func (ix *Index) AddPath(path string) (Report, error) {
	l := &loader{now: ix.now()}
	rep, err := l.path(path)
	if err != nil {
		return Report{}, fmt.Errorf("intel: %w", err)
	}
	ix.commit(&l.b)
	return rep, nil
}

// loader reads files into a batch. It takes the time once, so that every
// validity window in one load is judged against the same instant.
type loader struct {
	b   batch
	now time.Time
}

func (l *loader) path(path string) (Report, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Report{}, err
	}
	if !fi.IsDir() {
		return l.file(path)
	}
	if _, err := os.Stat(filepath.Join(path, mispManifest)); err == nil {
		return l.mispFeed(path)
	}
	return l.dir(path)
}

// dir loads the files of a folder that is not a MISP feed.
func (l *loader) dir(path string) (Report, error) {
	ents, err := os.ReadDir(path)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Source: path}
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") {
			continue
		}
		if !supportedFile(name) {
			rep.skip(SkipUnsupportedFile, fmt.Sprintf("%s: not .csv, .txt or .json", filepath.Join(path, name)))
			continue
		}
		r, err := l.file(filepath.Join(path, name))
		if err != nil {
			return Report{}, err
		}
		rep.merge(r)
	}
	return rep, nil
}

func supportedFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt", ".json":
		return true
	}
	return false
}

func (l *loader) file(path string) (Report, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if !supportedFile(path) {
		return Report{}, fmt.Errorf("%s: unsupported file type %q: want .csv, .txt, .json or a folder", path, ext)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Source: path}
	switch ext {
	case ".csv":
		rep.Loaded, err = parseCSV(&l.b, path, data)
	case ".txt":
		rep.Loaded, err = parseList(&l.b, path, data)
	default:
		return l.json(path, data)
	}
	return rep, err
}

// problems collects a file's line errors up to maxErrors.
type problems struct {
	file    string
	errs    []error
	dropped int
}

func (p *problems) add(line int, column, format string, args ...any) {
	if len(p.errs) >= maxErrors {
		p.dropped++
		return
	}
	p.errs = append(p.errs, &LineError{File: p.file, Line: line, Column: column, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if p.dropped > 0 {
		p.errs = append(p.errs, fmt.Errorf("%s: %d more bad lines not shown", p.file, p.dropped))
	}
	return errors.Join(p.errs...)
}

// parseCSV queues a CSV watchlist's rows and returns how many there were.
func parseCSV(b *batch, path string, data []byte) (int, error) {
	bad := &problems{file: path}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte(utf8BOM))))
	r.Comment = '#'
	r.TrimLeadingSpace = true

	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		bad.add(1, "", "empty file: want a header row such as %s", strings.Join(csvColumns(), ","))
		return 0, bad.err()
	}
	if err != nil {
		bad.add(csvLine(err, 1), "", "%v", csvReason(err))
		return 0, bad.err()
	}
	headerLine, _ := r.FieldPos(0)
	col := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		if _, dup := col[name]; dup {
			bad.add(headerLine, "", "column %q appears twice", name)
			continue
		}
		if !slices.Contains(csvColumns(), name) {
			bad.add(headerLine, "", "unknown column %q: the first row must be a header of %s", header[i], strings.Join(csvColumns(), ","))
			continue
		}
		col[name] = i
	}
	if _, ok := col["indicator"]; !ok && len(bad.errs) == 0 {
		bad.add(headerLine, "", "no indicator column: the header must name it")
	}
	if len(bad.errs) > 0 {
		return 0, bad.err()
	}
	// The file name is the source of every row without one; rows that
	// name theirs mostly name the same few.
	defaultSource := filepath.Base(path)
	b.pend = slices.Grow(b.pend, bytes.Count(data, []byte("\n")))
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}

	n := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bad.add(csvLine(err, headerLine), "", "%v", csvReason(err))
			if errors.Is(err, csv.ErrFieldCount) {
				continue
			}
			// After a quoting error the reader's position is unreliable:
			// anything further would be noise.
			break
		}
		line, _ := r.FieldPos(0)
		h := alert.IntelHit{
			Indicator:   field(rec, "indicator"),
			Type:        field(rec, "type"),
			Source:      field(rec, "source"),
			Confidence:  DefaultConfidence,
			Labels:      splitList(field(rec, "labels")),
			Description: field(rec, "description"),
		}
		if h.Source == "" {
			h.Source = defaultSource
		}
		if c := field(rec, "confidence"); c != "" {
			n, err := strconv.Atoi(c)
			if err != nil || n < 0 || n > 100 {
				bad.add(line, "confidence", "%q is not a whole number 0-100", c)
				continue
			}
			h.Confidence = n
		}
		v, err := parseHit(h)
		if err != nil {
			column := "indicator"
			if h.Type != "" && !slices.Contains(Types(), strings.ToLower(h.Type)) {
				column = "type"
			}
			bad.add(line, column, "%v", err)
			continue
		}
		if len(bad.errs) == 0 {
			b.add(v.val, uint8(v.conf), meta{source: v.src, labels: h.Labels, description: h.Description})
		}
		n++
	}
	if len(bad.errs) > 0 {
		return 0, bad.err()
	}
	return n, nil
}

// csvLine returns the line a csv error points at, or fallback.
func csvLine(err error, fallback int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) && pe.Line > 0 {
		return pe.Line
	}
	return fallback
}

// csvReason strips the position csv.ParseError already carries, because
// LineError states it.
func csvReason(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return errors.New("wrong number of fields: every row needs as many as the header")
		}
		return pe.Err
	}
	return err
}

// parseList queues a plain-text list's indicators and returns how many
// there were.
func parseList(b *batch, path string, data []byte) (int, error) {
	bad := &problems{file: path}
	m := meta{source: filepath.Base(path)}
	n := 0
	b.pend = slices.Grow(b.pend, bytes.Count(data, []byte("\n"))+1)
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(data, []byte(utf8BOM))))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := stripComment(sc.Text())
		if text == "" {
			continue
		}
		if strings.ContainsAny(text, " \t") {
			bad.add(line, "", "%q: want one indicator per line", text)
			continue
		}
		v, err := parseValue(0, text)
		if err != nil {
			bad.add(line, "", "%v", err)
			continue
		}
		if len(bad.errs) == 0 {
			b.add(v, DefaultConfidence, m)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if len(bad.errs) > 0 {
		return 0, bad.err()
	}
	return n, nil
}

// stripComment drops a '#' comment that starts the line or follows
// whitespace; a '#' inside a token is a URL fragment and stays.
func stripComment(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "#") {
		return ""
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		if j := strings.Index(s[i:], "#"); j >= 0 && strings.TrimSpace(s[i:i+j]) == "" {
			return strings.TrimSpace(s[:i])
		}
	}
	return s
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

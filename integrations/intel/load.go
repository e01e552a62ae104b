package intel

import (
	"bufio"
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
// the first column's name (or the first indicator).
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
	if ext == ".json" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Report{}, err
		}
		return l.json(path, data)
	}
	// Lists are streamed (see csv.go): a million lines need not sit in
	// memory as one buffer next to the index they become.
	f, err := os.Open(path)
	if err != nil {
		return Report{}, err
	}
	defer f.Close()
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	rep := Report{Source: path}
	if ext == ".csv" {
		rep.Loaded, err = parseCSV(&l.b, path, newLineReader(f, size))
	} else {
		rep.Loaded, err = parseList(&l.b, path, newLineReader(f, size))
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
func parseCSV(b *batch, path string, lr *lineReader) (int, error) {
	bad := &problems{file: path}
	r := newCSVReader(lr)

	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		bad.add(1, "", "empty file: want a header row such as %s", strings.Join(csvColumns(), ","))
		return 0, bad.err()
	}
	var pe *csv.ParseError
	if err != nil && !errors.As(err, &pe) {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if err != nil {
		bad.add(csvLine(err, 1), "", "%v", csvReason(err))
		return 0, bad.err()
	}
	headerLine := r.Line()
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
	// Column positions, -1 when absent, so that a row costs no map
	// lookups.
	at := func(name string) int {
		if i, ok := col[name]; ok {
			return i
		}
		return -1
	}
	cInd, cType, cSrc, cConf, cLabels, cDesc := at("indicator"), at("type"), at("source"), at("confidence"), at("labels"), at("description")
	field := func(rec []string, i int) string {
		if i >= 0 && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	// The file name is the source of every row without one; rows that
	// name theirs mostly name the same few. Metas are looked up by the
	// raw cells, so that a row neither splits its labels nor builds a
	// meta key; see csvMetas.
	metas := csvMetas{b: b, defaultSource: filepath.Base(path)}

	n := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !errors.As(err, &pe) {
				return 0, fmt.Errorf("%s: %w", path, err)
			}
			bad.add(csvLine(err, headerLine), "", "%v", csvReason(err))
			if errors.Is(err, csv.ErrFieldCount) {
				continue
			}
			// After a quoting error the reader's position is unreliable:
			// anything further would be noise.
			break
		}
		line := r.Line()
		h := alert.IntelHit{
			Indicator:  field(rec, cInd),
			Type:       field(rec, cType),
			Confidence: DefaultConfidence,
		}
		if c := field(rec, cConf); c != "" {
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
			b.addID(v.val, uint8(v.conf), metas.id(field(rec, cSrc), field(rec, cLabels), field(rec, cDesc)))
		}
		n++
	}
	if len(bad.errs) > 0 {
		return 0, bad.err()
	}
	return n, nil
}

// csvMetas interns the metas of one CSV file by the raw source, labels and
// description cells. Splitting the labels and joining them into a meta
// key for every row was a fifth of a load; a feed has a handful of
// distinct combinations. A file whose every row has its own description
// would fill the cache for nothing, so it stops growing at maxCSVMetas
// and further combinations go through batch.meta directly.
type csvMetas struct {
	b             *batch
	defaultSource string
	ids           map[csvMetaKey]uint32
}

type csvMetaKey struct{ source, labels, description string }

const maxCSVMetas = 4096

func (c *csvMetas) id(source, labels, description string) uint32 {
	k := csvMetaKey{source, labels, description}
	if id, ok := c.ids[k]; ok {
		return id
	}
	src := source
	if src == "" {
		src = c.defaultSource
	}
	id := c.b.meta(meta{source: src, labels: splitList(labels), description: description})
	if c.ids == nil {
		c.ids = map[csvMetaKey]uint32{}
	}
	if len(c.ids) < maxCSVMetas {
		// Cloned, so that the cache does not pin the blocks of the file
		// the cells are slices of.
		c.ids[csvMetaKey{strings.Clone(source), strings.Clone(labels), strings.Clone(description)}] = id
	}
	return id
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

// maxListLine is the longest line a text list may have; a longer one
// is not a list of indicators. (bufio.Scanner's limit, which the reader
// used to be.)
const maxListLine = 1 << 20

// parseList queues a plain-text list's indicators and returns how many
// there were.
func parseList(b *batch, path string, lr *lineReader) (int, error) {
	bad := &problems{file: path}
	id := b.meta(meta{source: filepath.Base(path)})
	n := 0
	for line := 1; ; line++ {
		raw, ok := lr.next()
		if !ok {
			break
		}
		raw = strings.TrimSuffix(raw, "\n")
		if len(raw) >= maxListLine {
			return 0, fmt.Errorf("%s: %w", path, bufio.ErrTooLong)
		}
		text := stripComment(raw)
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
			b.addID(v, DefaultConfidence, id)
		}
		n++
	}
	if err := lr.Err(); err != nil {
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

package intel

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"unicode"
)

// This file reads watchlists as a stream of lines and CSV records without
// a copy or an allocation per line. A million-line feed used to be read
// whole, then cut into a string per line (text) or per record plus a
// []string per record (encoding/csv); that was most of the garbage of a
// load. Here a file is read in blocks, each block's complete lines become
// one string, and lines and fields are substrings of it. Whatever the
// index keeps is copied out (metas are cloned, names go to the batch's
// arena, addresses and hashes are parsed into bytes), so a block is
// garbage as soon as the parser moves past it.

// readBlock is how much of a file is read at a time.
const readBlock = 256 << 10

// lineReader yields a file's lines as substrings of block strings.
type lineReader struct {
	r     io.Reader
	block int

	buf  []byte // read buffer, reused
	part []byte // the start of a line the last block cut off
	rest string // lines of the current block not yet returned
	eof  bool
	err  error
	// started is set after the first line, whose byte order mark (from
	// spreadsheet programs) is dropped.
	started bool
}

// newLineReader reads r, whose size is size bytes if known (else 0 or
// less): a small file gets a buffer of its size, not of readBlock.
func newLineReader(r io.Reader, size int64) *lineReader {
	block := readBlock
	if size > 0 && size < readBlock {
		// One byte more, so that the read that reports the end fits.
		block = int(size) + 1
	}
	return &lineReader{r: r, block: block}
}

// next returns the next line with its '\n' (the last line of a file may
// lack one), or false at the end of the input or on a read error (Err).
func (lr *lineReader) next() (string, bool) {
	for lr.rest == "" {
		if !lr.fill() {
			return "", false
		}
	}
	line := lr.rest
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line, lr.rest = line[:i+1], line[i+1:]
	} else {
		lr.rest = ""
	}
	if !lr.started {
		lr.started = true
		line = strings.TrimPrefix(line, utf8BOM)
	}
	return line, true
}

// Err returns the read error that ended the input, if any.
func (lr *lineReader) Err() error { return lr.err }

// fill reads until it has at least one complete line (or the end of the
// input) and makes the complete lines the next block.
func (lr *lineReader) fill() bool {
	if lr.err != nil {
		return false
	}
	if lr.buf == nil {
		lr.buf = make([]byte, lr.block)
	}
	for !lr.eof {
		n, err := lr.r.Read(lr.buf)
		data := lr.buf[:n]
		if err == io.EOF {
			lr.eof = true
		} else if err != nil {
			lr.err = err
			return false
		}
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			// One allocation and one copy for the whole block.
			var sb strings.Builder
			sb.Grow(len(lr.part) + i + 1)
			sb.Write(lr.part)
			sb.Write(data[:i+1])
			lr.rest = sb.String()
			lr.part = append(lr.part[:0], data[i+1:]...)
			return true
		}
		// No line ends in this read: a long line, or the last one.
		lr.part = append(lr.part, data...)
	}
	if len(lr.part) == 0 {
		return false
	}
	lr.rest, lr.part = string(lr.part), lr.part[:0]
	return true
}

// csvReader reads CSV records exactly as encoding/csv's Reader does with
// Comment '#', TrimLeadingSpace, FieldsPerRecord 0 and strict quotes (same
// records, same errors, same line numbers: csv_internal_test.go compares
// the two), but returns fields that are substrings of the input lines
// instead of one new string and one new slice per record. A field is
// copied only when it must be rebuilt: a quoted field with "" escapes or
// line breaks.
type csvReader struct {
	lr *lineReader
	// numLine counts the lines read, as encoding/csv's does.
	numLine int
	// recLine is the line the last record started on.
	recLine int
	// nfields is the number of fields of the first record, which every
	// other must have.
	nfields int
	fields  []string
	scratch []byte
}

func newCSVReader(lr *lineReader) *csvReader {
	return &csvReader{lr: lr}
}

// readLine returns the next line without its line end, and whether it
// had one. Like encoding/csv it treats "\r\n" as "\n" and drops a lone
// '\r' that ends the input.
func (r *csvReader) readLine() (line string, nl, ok bool) {
	line, ok = r.lr.next()
	if !ok {
		return "", false, false
	}
	r.numLine++
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line, nl = line[:n-1], true
	}
	return strings.TrimSuffix(line, "\r"), nl, true
}

// Line returns the line the last record started on (encoding/csv's
// FieldPos(0)).
func (r *csvReader) Line() int { return r.recLine }

// Read returns the next record, io.EOF at the end, or a *csv.ParseError.
// The record and its fields are valid until the next call only in the
// sense that the slice is reused; the strings themselves never change.
// As with encoding/csv, a record with the wrong number of fields is
// returned along with its csv.ErrFieldCount error.
func (r *csvReader) Read() ([]string, error) {
	var line string
	var nl bool
	for {
		var ok bool
		if line, nl, ok = r.readLine(); !ok {
			if err := r.lr.Err(); err != nil {
				return nil, err
			}
			return nil, io.EOF
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue // comment or empty line
		}
		break
	}
	r.recLine = r.numLine
	r.fields = r.fields[:0]
	var err error
	if strings.IndexByte(line, '"') < 0 {
		// The common case: no quotes, so fields are what lies between
		// commas.
		for {
			i := strings.IndexByte(line, ',')
			if i < 0 {
				r.fields = append(r.fields, trimLeadingSpace(line))
				break
			}
			r.fields = append(r.fields, trimLeadingSpace(line[:i]))
			line = line[i+1:]
		}
	} else {
		err = r.quoted(line, nl)
	}
	if err == nil {
		if r.nfields == 0 {
			r.nfields = len(r.fields)
		} else if len(r.fields) != r.nfields {
			err = &csv.ParseError{StartLine: r.recLine, Line: r.recLine, Column: 1, Err: csv.ErrFieldCount}
		}
	}
	return r.fields, err
}

// quoted parses a record that has a quote somewhere, field by field, the
// way encoding/csv's readRecord does.
func (r *csvReader) quoted(line string, nl bool) error {
	col := 1 // 1-based byte column, for errors
	lineNo := r.numLine
fields:
	for {
		if t := trimLeadingSpace(line); len(t) != len(line) {
			col += len(line) - len(t)
			line = t
		}
		if line == "" || line[0] != '"' {
			field := line
			i := strings.IndexByte(line, ',')
			if i >= 0 {
				field = line[:i]
			}
			if j := strings.IndexByte(field, '"'); j >= 0 {
				return &csv.ParseError{StartLine: r.recLine, Line: r.numLine, Column: col + j, Err: csv.ErrBareQuote}
			}
			r.fields = append(r.fields, field)
			if i < 0 {
				return nil
			}
			line = line[i+1:]
			col += i + 1
			continue
		}
		// A quoted field. While it stays on one line without "" it is a
		// substring; otherwise it is rebuilt in scratch.
		line = line[1:]
		col++
		start := line
		copied := false
		r.scratch = r.scratch[:0]
		for {
			i := strings.IndexByte(line, '"')
			if i < 0 {
				// The field goes on past the end of the line (or the
				// input ends inside it).
				if !copied {
					r.scratch = append(r.scratch, start[:len(start)-len(line)]...)
					copied = true
				}
				r.scratch = append(r.scratch, line...)
				if !nl {
					return &csv.ParseError{StartLine: r.recLine, Line: lineNo, Column: col + len(line), Err: csv.ErrQuote}
				}
				r.scratch = append(r.scratch, '\n')
				col += len(line) + 1
				var ok bool
				if line, nl, ok = r.readLine(); !ok {
					if err := r.lr.Err(); err != nil {
						return err
					}
					return &csv.ParseError{StartLine: r.recLine, Line: lineNo, Column: col, Err: csv.ErrQuote}
				}
				if line != "" || nl {
					lineNo = r.numLine
					col = 1
				}
				continue
			}
			if copied {
				r.scratch = append(r.scratch, line[:i]...)
			}
			line = line[i+1:]
			col += i + 1
			switch {
			case strings.HasPrefix(line, `"`):
				// "" is an escaped quote.
				if !copied {
					r.scratch = append(r.scratch, start[:len(start)-len(line)]...)
					copied = true
				} else {
					r.scratch = append(r.scratch, '"')
				}
				line = line[1:]
				col++
			case line == "" || line[0] == ',':
				if copied {
					r.fields = append(r.fields, string(r.scratch))
				} else {
					r.fields = append(r.fields, start[:len(start)-len(line)-1])
				}
				if line == "" {
					return nil
				}
				line = line[1:]
				col++
				continue fields
			default:
				return &csv.ParseError{StartLine: r.recLine, Line: r.numLine, Column: col - 1, Err: csv.ErrQuote}
			}
		}
	}
}

// trimLeadingSpace drops leading Unicode white space, as encoding/csv's
// TrimLeadingSpace does; the ASCII test first keeps the common case cheap.
func trimLeadingSpace(s string) string {
	if s == "" || s[0] > ' ' && s[0] < 0x80 {
		return s
	}
	return strings.TrimLeftFunc(s, unicode.IsSpace)
}

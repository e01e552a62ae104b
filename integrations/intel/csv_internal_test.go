package intel

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// csvCases are inputs where a hand-written CSV reader is most likely to
// part from encoding/csv: quotes, escapes, line ends, comments, white
// space, and every way a quoted field can end badly.
var csvCases = []string{
	"",
	"a",
	"a,b\n",
	"a,b\r\n1,2\r\n",
	"a,b\n1,2",
	"a,b\n1,2\r",
	"a\n\n\n#c\nb\n",
	"#only a comment\n",
	" # not a comment\n",
	"a,b\n1\n1,2,3\n1,2\n",
	"a\n\"q\"\n",
	"a,b\n\"x, y\",z\n",
	"a,b\n\"x \"\"y\"\" z\",w\n",
	"a,b\n\"multi\nline\",x\n",
	"a,b\n\"multi\r\nline\r\n\",x\r\n",
	"a\n\"open\n",
	"a\n\"open",
	"a\n\"open\r",
	"a\n\"open\n\r",
	"a\n\"open\n\n",
	"a\nab\"c\n",
	"a\n\"ab\"c\n",
	"a,b\n  \"lead space\",x\n",
	"a,b\n\t\u00a0\"nbsp\",x\n",
	"a,b\n\u0085x,\u2028y\n",
	"a,b\n x , y \n",
	"a,b\n   \n",
	"a,b\n,\n",
	"a,b\n\"\",\"\"\n",
	"a,b\n\"a\"\"\",\"\"\"\"\n",
	"a,b\n\"\n\",\"\n\n\"\n",
	"a,b\n\"x\",\"y\n",
	"a,b\n\"x\"  ,y\n",
	"a\n\xff\xfe,\n",
	"a,b\n\"\xff\",\"\xfe\"\n",
	"a\r\rb\r\n",
	"a\n\"x\r\ny\"\n",
	"\ufeffa,b\n1,2\n",
	"\ufeff",
	"\ufeff\n",
	"\ufeff\"a\"\n",
}

// refRecord is one Read of either reader, as the test compares it.
type refRecord struct {
	fields []string
	line   int
	err    string
}

func readAllRef(in string) []refRecord {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(in, utf8BOM)))
	r.Comment = '#'
	r.TrimLeadingSpace = true
	var out []refRecord
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		line := 0
		if rec != nil && len(rec) > 0 {
			line, _ = r.FieldPos(0)
		}
		out = append(out, refRecord{fields: slices.Clone(rec), line: line, err: errString(err)})
		if err != nil && !errors.Is(err, csv.ErrFieldCount) {
			return out
		}
	}
}

func readAllOurs(in string, block int) []refRecord {
	lr := newLineReader(iotest.OneByteReader(strings.NewReader(in)), 0)
	if block > 0 {
		lr = newLineReader(strings.NewReader(in), 0)
		lr.block = block
	}
	r := newCSVReader(lr)
	var out []refRecord
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		rr := refRecord{err: errString(err)}
		if err == nil || errors.Is(err, csv.ErrFieldCount) {
			// encoding/csv also returns the fields of a record it
			// failed in; the loader never reads them, so only these
			// two cases are compared.
			rr.fields, rr.line = slices.Clone(rec), r.Line()
		}
		out = append(out, rr)
		if err != nil && !errors.Is(err, csv.ErrFieldCount) {
			return out
		}
	}
}

// String shows a record so that two compare equal exactly when they are.
func (r refRecord) String() string {
	return fmt.Sprintf("{%q line %d err %q}", r.fields, r.line, r.err)
}

func errString(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d (record %d) column %d: %v", pe.Line, pe.StartLine, pe.Column, pe.Err)
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func checkCSV(t *testing.T, in string) {
	t.Helper()
	want := readAllRef(in)
	for i, w := range want {
		if w.err != "" && !strings.Contains(w.err, csv.ErrFieldCount.Error()) {
			want[i].fields, want[i].line = nil, 0
		}
	}
	for _, block := range []int{0, 1, 3, 7, 4096} {
		got := readAllOurs(in, block)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("input %q (block %d):\n got %v\nwant %v", in, block, got, want)
		}
	}
}

func TestCSVReaderMatchesEncodingCSV(t *testing.T) {
	for _, in := range csvCases {
		checkCSV(t, in)
	}
}

// TestCSVReaderRandom compares the readers on random inputs made of the
// characters that matter to CSV.
func TestCSVReaderRandom(t *testing.T) {
	alphabet := []string{"a", "b", ",", ",", "\"", "\"", "\n", "\r\n", "\r", " ", "\t", "#", "\u00a0", "\xff", "é"}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 5000
	if testing.Short() {
		n = 500
	}
	for range n {
		var sb strings.Builder
		for range rng.IntN(40) {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		checkCSV(t, sb.String())
	}
}

func FuzzCSVReader(f *testing.F) {
	for _, in := range csvCases {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkCSV(t, in)
	})
}

// TestParseListLines checks the text list reader at block boundaries and
// keeps bufio.Scanner's limit, which it replaced: a line of 1 MiB or more
// fails the file.
func TestParseListLines(t *testing.T) {
	in := "\ufeff# list\r\n203.0.113.7\r\n\n  evil.example # note\nhttp://evil.example/a#frag"
	for _, block := range []int{1, 2, 5, 4096} {
		var b batch
		lr := newLineReader(strings.NewReader(in), 0)
		lr.block = block
		n, err := parseList(&b, "l.txt", lr)
		if err != nil || n != 3 {
			t.Errorf("block %d: parseList = %d, %v; want 3 entries", block, n, err)
		}
	}
	for _, tt := range []struct {
		line    int
		wantErr bool
	}{{maxListLine - 1, false}, {maxListLine, true}} {
		var b batch
		in := "203.0.113.7\n" + strings.Repeat("a", tt.line) + "\n"
		_, err := parseList(&b, "l.txt", newLineReader(strings.NewReader(in), int64(len(in))))
		if got := err != nil && strings.Contains(err.Error(), "token too long"); got != tt.wantErr {
			t.Errorf("line of %d bytes: err = %v, want too long: %v", tt.line, err, tt.wantErr)
		}
	}
}

package decode

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/socflow/socflow/alert"
)

// stdNative is the native decoding by encoding/json alone, as it was
// before the fast path.
func stdNative(raw []byte) (alert.Alert, bool) {
	var a alert.Alert
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil || dec.More() {
		return alert.Alert{}, false
	}
	return a, true
}

// FuzzNativeFastPath: wherever the fast decoder accepts an entry,
// encoding/json accepts it too and decodes the same alert. (Where it
// refuses, encoding/json decides, so refusing more is harmless.)
func FuzzNativeFastPath(f *testing.F) {
	for _, fx := range fixtures(f, "native") {
		f.Add(fx.raw)
	}
	for _, s := range []string{
		`{"SOURCE":"x","Rule":"r","title":"t"}`,              // keys match case-insensitively
		`{"source":"a","source":"b","rule":"r","title":"t"}`, // the last repeated key wins
		`{"source":"\xff\ud800","rule":"r","title":"t\u0000"}`,
		`{"source":"x","rule":"r","title":"t","severity":null,"entities":null,"labels":{"a":null}}`,
		`{"source":"x","rule":"r","title":"t","severity":"HIGH","time":"2026-12-07T01:02:03.123456789+05:30"}`,
		`{"source":"x","rule":"r","title":"t","entities":{"hosts":[{"name":"h","bogus":1}]}}`,
		`{"source":"x","rule":"r","title":"t","drill":1}`,
		`{"source":"x","rule":"r","title":"t"} {"source":"y"}`,
		`{"source":"x","rule":"r","title":"t"}]`,
		`{"source":"x","rule":"r","title":"t","techniques":["T1059",null]}`,
		`{"source":"x","rule":"r","title":"t","raw_truncated":"true"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fast, ok := decodeNativeFast(raw)
		if !ok {
			return
		}
		std, stdOK := stdNative(raw)
		if !stdOK {
			t.Fatalf("fast path accepted what encoding/json refuses: %q", raw)
		}
		if !reflect.DeepEqual(fast, std) {
			t.Fatalf("fast path decoded %q as\n%+v\nencoding/json as\n%+v", raw, fast, std)
		}
	})
}

// BenchmarkNativeDecode: a storm's alert through the native decoder, and
// through encoding/json as the decoder did before the fast path.
func BenchmarkNativeDecode(b *testing.B) {
	raw := []byte(`{"id":"storm-000123","source":"suricata","rule":"ET SCAN rule 3","title":"Scan 3 against srv-1","category":"network","severity":"low","time":"2026-01-01T00:00:00.123Z","entities":{"hosts":[{"name":"srv-1"}],"ips":[{"addr":"198.51.100.77","direction":"source"}]}}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeNativeFast(raw); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := stdNative(raw); !ok {
				b.Fatal("refused")
			}
		}
	})
}

// FuzzPlainString: for a valid JSON string, the shortcut reads what
// json.Unmarshal does, or leaves it to it.
func FuzzPlainString(f *testing.F) {
	for _, s := range []string{`"aws.guardduty"`, `"a\u0062"`, "\"\xff\"", `""`, `"\""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want string
		if json.Unmarshal(b, &want) != nil {
			return
		}
		if got, ok := plainString(b); ok && got != want {
			t.Fatalf("%q: %q, json.Unmarshal %q", b, got, want)
		}
	})
}

// FuzzSplitArray: SplitArray accepts exactly the arrays json.Unmarshal
// accepts, with the same elements, below encoding/json's nesting limit of
// 10,000 levels (TestDeepNesting covers what is deeper).
func FuzzSplitArray(f *testing.F) {
	for _, s := range []string{`[]`, ` [ {"a":"]"} , 1,"x\"]", [[]] ] `, `[1,]`, `[`, `[{"a":1}]x`, `{"a":1}`, "[\"\xff\"]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := SplitArray(raw)
		var want []json.RawMessage
		werr := json.Unmarshal(raw, &want)
		trimmed := bytes.TrimSpace(raw)
		isArray := len(trimmed) > 0 && trimmed[0] == '['
		if ok != (werr == nil && isArray) {
			t.Fatalf("%q: split %v, json.Unmarshal %v", raw, ok, werr)
		}
		if !ok {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d elements, json finds %d", raw, len(got), len(want))
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("%q: element %d = %s, json says %s", raw, i, got[i], want[i])
			}
		}
	})
}

// BenchmarkSplitArray: a batch of 1,000 storm alerts split by SplitArray,
// and by json.Unmarshal into []json.RawMessage as intake did before.
func BenchmarkSplitArray(b *testing.B) {
	one := `{"id":"storm-000123","source":"suricata","rule":"ET SCAN rule 3","title":"Scan 3 against srv-1","category":"network","severity":"low","time":"2026-01-01T00:00:00.123Z","entities":{"hosts":[{"name":"srv-1"}],"ips":[{"addr":"198.51.100.77","direction":"source"}]}}`
	body := []byte("[" + strings.Repeat(one+",", 999) + one + "]")
	b.Run("SplitArray", func(b *testing.B) {
		for b.Loop() {
			if _, ok := SplitArray(body); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var v []json.RawMessage
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestDeepNesting: segmentio's Valid, unlike encoding/json's, sets no
// nesting limit. An entry nested deeper than encoding/json allows is
// split and detected, then refused by the decoder with an error; nothing
// panics or exhausts the stack.
func TestDeepNesting(t *testing.T) {
	const depth = 200_000
	arr := []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
	if parts, ok := SplitArray(arr); !ok || len(parts) != 1 {
		t.Fatalf("SplitArray of a %d-deep array: %d parts, %v", depth, len(parts), ok)
	}
	obj := []byte(strings.Repeat(`{"source":`, depth/10) + `"x"` + strings.Repeat("}", depth/10))
	if _, err := Builtin().Decode(obj, ""); err == nil {
		t.Fatal("a deeply nested object decoded as an alert")
	}
}

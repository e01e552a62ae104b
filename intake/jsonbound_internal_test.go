package intake

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/codec"
)

// hostile is what encoding/json escapes most: HTML characters, a control
// byte, an invalid UTF-8 byte and a line separator.
const hostile = "<>&\x01\xff\u2028\"\\"

// fill sets every string in v to s, every slice to two elements and every
// map to two entries, so that no field of the alert escapes the test.
func fill(v reflect.Value, s string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Type() != reflect.TypeFor[time.Duration]() {
			v.SetInt(-1 << 40)
		}
	case reflect.Float32, reflect.Float64:
		v.SetFloat(-1.2345678901234567e-300)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), s)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), s)
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 2 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, s+strings.Repeat("k", i))
			fill(e, s)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 7, 1, 2, 3, 456789, time.FixedZone("x", -(9*3600+30*60)))))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), s)
			}
		}
	}
}

func encodedLen(t *testing.T, v any) int {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// TestJSONBoundCoversEveryField: with every field of an alert set (a field
// added later included), the bound is at least the encoding, and not so
// loose that ordinary alerts would all take the exact path.
func TestJSONBoundCoversEveryField(t *testing.T) {
	for _, s := range []string{"", "a", hostile, strings.Repeat(hostile, 50), strings.Repeat("plain text ", 40)} {
		var a alert.Alert
		fill(reflect.ValueOf(&a).Elem(), s)
		a.Severity = alert.SeverityHigh
		got, want := jsonBound(reflect.ValueOf(&a)), encodedLen(t, &a)
		if got < want {
			t.Errorf("strings %q: bound %d under the encoding's %d bytes", s, got, want)
		}
	}
	a := alert.Alert{ID: "a1", Source: "suricata", Rule: "ET SCAN", Title: "Scan against srv-1", Severity: alert.SeverityLow,
		Time: time.Now(), Entities: alert.Entities{Hosts: []alert.Host{{Name: "srv-1"}}, IPs: []alert.IP{{Addr: "198.51.100.7"}}}}
	if got, want := jsonBound(reflect.ValueOf(&a)), encodedLen(t, &a); got < want || got > 20*want {
		t.Errorf("ordinary alert: bound %d for %d bytes encoded, want between 1x and 20x", got, want)
	}
}

// TestJSONBoundOfKinds checks the bound against encoding/json on values of
// every kind the walk handles on its own.
func TestJSONBoundOfKinds(t *testing.T) {
	type inner struct {
		N     int     `json:"n,string"`
		F     float64 `json:"f"`
		B     []byte  `json:"b"`
		A     [3]byte `json:"a"`
		Skip  string  `json:"-"`
		Dash  string  `json:"-,"`
		plain string
	}
	type outer struct {
		inner
		P   *inner            `json:"p"`
		Nil *inner            `json:"nil"`
		I   any               `json:"i"`
		M   map[string]any    `json:"m"`
		IM  map[int]string    `json:"im"`
		T   time.Time         `json:"t"`
		S   []string          `json:"s"`
		E   map[string]string `json:"e,omitempty"`
	}
	v := outer{
		inner: inner{N: -42, F: -1.2345678901234567e-300, B: []byte(hostile), A: [3]byte{255, 255, 255}, Skip: hostile, Dash: hostile, plain: hostile},
		P:     &inner{B: []byte{}},
		I:     map[string]any{hostile: []any{1.5, hostile, nil, true}},
		M:     map[string]any{hostile: hostile},
		IM:    map[int]string{-1 << 62: hostile},
		T:     time.Now(),
		S:     []string{hostile, ""},
	}
	if got, want := jsonBound(reflect.ValueOf(&v)), encodedLen(t, &v); got < want {
		t.Errorf("bound %d under the encoding's %d bytes", got, want)
	}
}

// FuzzJSONBound: for any alert intake parses, the bound is at least what
// the default converter encodes.
func FuzzJSONBound(f *testing.F) {
	f.Add([]byte(`{"source":"suricata","rule":"r","title":"t<>&\u2028","severity":"high","labels":{"a":"\u0001"}}`))
	f.Add([]byte(`{"source":"x","rule":"` + strings.Repeat(`\u003c`, 100) + `","title":"t","raw":"\ud800"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := Parse(body)
		if err != nil {
			return
		}
		for _, it := range items {
			if it.Alert == nil {
				continue
			}
			p, err := converter.GetDefaultDataConverter().ToPayload(it.Alert)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := jsonBound(reflect.ValueOf(it.Alert)), len(p.GetData()); got < want {
				t.Fatalf("bound %d under the encoding's %d bytes for %s", got, want, body)
			}
		}
	})
}

// TestCheckEncodedAtTheLimit: the bound only skips the encoding; an alert
// it cannot clear is still judged by its exact size, either way.
func TestCheckEncodedAtTheLimit(t *testing.T) {
	dc := converter.GetDefaultDataConverter()
	// '<' is escaped to six bytes, so both descriptions have a bound far
	// over the limit; only the second is over it encoded.
	under := alert.Alert{Source: "x", Rule: "r", Title: "t", Description: strings.Repeat("<", alert.MaxEncodedBytes/6-30)}
	over := alert.Alert{Source: "x", Rule: "r", Title: "t", Description: strings.Repeat("<", alert.MaxEncodedBytes/6+10)}
	if jsonBound(reflect.ValueOf(&under))+payloadOverhead <= alert.MaxEncodedBytes {
		t.Fatal("the test needs an alert the bound cannot clear")
	}
	if err := checkEncoded(dc, 0, &under); err != nil {
		t.Errorf("alert under the limit encoded refused: %v", err)
	}
	if err := checkEncoded(dc, 0, &over); !errors.Is(err, ErrTooLarge) {
		t.Errorf("alert over the limit encoded: %v, want ErrTooLarge", err)
	}
}

// TestJSONBoundRecursiveAndConcurrent: a type that contains itself, asked
// for by many goroutines at once (run with -race).
func TestJSONBoundRecursiveAndConcurrent(t *testing.T) {
	type node struct {
		Name string  `json:"name"`
		Kids []*node `json:"kids"`
	}
	v := &node{Name: hostile, Kids: []*node{{Name: "a"}, {Name: hostile, Kids: []*node{{}}}}}
	want := encodedLen(t, v)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if got := jsonBound(reflect.ValueOf(v)); got < want {
				t.Errorf("bound %d under the encoding's %d bytes", got, want)
			}
		})
	}
	wg.Wait()
}

// BenchmarkCheckEncoded: a storm alert checked by its bound, against the
// encoding that checkEncoded did for every alert before.
func BenchmarkCheckEncoded(b *testing.B) {
	raw := `{"id":"storm-000123","source":"suricata","rule":"ET SCAN rule 3","title":"Scan 3 against srv-1","category":"network","severity":"low","time":"2026-01-01T00:00:00.123Z","entities":{"hosts":[{"name":"srv-1"}],"ips":[{"addr":"198.51.100.77","direction":"source"}]}}`
	items, err := Parse([]byte(raw))
	if err != nil || len(items) != 1 || items[0].Alert == nil {
		b.Fatalf("storm alert: %v %v", items, err)
	}
	a := items[0].Alert
	dc := converter.GetDefaultDataConverter()
	b.Run("bound", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := checkEncoded(dc, 0, a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dc.ToPayload(a); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestCheckEncodedWithACodec: an alert just under the limit in clear is
// over it once encrypted, and the fast path must not wave it through.
func TestCheckEncodedWithACodec(t *testing.T) {
	c, err := codec.New([]codec.Key{{ID: "k1", Material: make([]byte, codec.KeySize)}})
	if err != nil {
		t.Fatal(err)
	}
	dc := codec.DataConverter(c)
	plain := converter.GetDefaultDataConverter()
	a := alert.Alert{Source: "x", Rule: "r", Title: "t"}
	size := func() int {
		p, err := plain.ToPayload(&a)
		if err != nil {
			t.Fatal(err)
		}
		return proto.Size(p)
	}
	a.Description = strings.Repeat("a", alert.MaxEncodedBytes-size())
	a.Description = a.Description[:len(a.Description)-(size()-alert.MaxEncodedBytes)-10]
	if n := size(); n > alert.MaxEncodedBytes || n < alert.MaxEncodedBytes-20 {
		t.Fatalf("the test needs an alert just under the limit in clear, got %d bytes", n)
	}
	if err := checkEncoded(plain, 0, &a); err != nil {
		t.Fatalf("in clear: %v", err)
	}
	if err := checkEncoded(dc, c.Overhead(), &a); !errors.Is(err, ErrTooLarge) {
		t.Errorf("encrypted it is over the limit, got %v", err)
	}
	small := alert.Alert{Source: "x", Rule: "r", Title: "t", Description: "short"}
	if err := checkEncoded(dc, c.Overhead(), &small); err != nil {
		t.Errorf("small alert: %v", err)
	}
}

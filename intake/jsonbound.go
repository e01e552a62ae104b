package intake

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"
)

// jsonBound returns a number of bytes that encoding/json's encoding of v
// cannot exceed, walking v without encoding it: each string byte becomes
// at most six (a control byte, an invalid UTF-8 byte or '<' is written as
// a \uXXXX escape), every key, quote, colon and comma is counted, and
// omitempty is ignored (it only shortens). Values with their own encoding
// (MarshalJSON, MarshalText) are encoded, exactly.
//
// Why: checkEncoded encoded every alert of a batch only to learn that it
// is far under alert.MaxEncodedBytes; in a storm that was an eighth of the
// process's CPU. The walk costs a fraction of the encoding (what to do for
// each type is worked out once, as encoding/json does), and the exact
// check still runs on the alerts the bound cannot clear.
func jsonBound(v reflect.Value) int {
	if !v.IsValid() {
		return len("null")
	}
	return boundFor(v.Type())(v)
}

// bounder bounds the encoding of one value of a given type.
type bounder func(reflect.Value) int

var bounders sync.Map // reflect.Type → bounder

func boundFor(t reflect.Type) bounder {
	if b, ok := bounders.Load(t); ok {
		return b.(bounder)
	}
	// A recursive type reaches itself while its bounder is being built,
	// and another request may ask for it meanwhile: both get a placeholder
	// that waits for the finished bounder (never called while building).
	var done bounder
	ready := make(chan struct{})
	placeholder, loaded := bounders.LoadOrStore(t, bounder(func(v reflect.Value) int {
		<-ready
		return done(v)
	}))
	if loaded {
		return placeholder.(bounder)
	}
	done = newBounder(t)
	close(ready)
	bounders.Store(t, done)
	return done
}

func newBounder(t reflect.Type) bounder {
	if t == timeType {
		return timeBound
	}
	if t.Implements(jsonMarshaler) || t.Implements(textMarshaler) {
		return exactBound
	}
	if p := reflect.PointerTo(t); p.Implements(jsonMarshaler) || p.Implements(textMarshaler) {
		// encoding/json calls a pointer method when it can take the
		// value's address.
		return func(v reflect.Value) int {
			if v.CanAddr() {
				return exactBound(v.Addr())
			}
			return exactBound(v)
		}
	}
	switch t.Kind() {
	case reflect.Bool:
		return constBound(len("false"))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return constBound(20) // -9223372036854775808
	case reflect.Float32, reflect.Float64:
		return constBound(32) // strconv's shortest form with an exponent is 24 at most
	case reflect.String:
		return func(v reflect.Value) int { return stringBound(v.Len()) }
	case reflect.Pointer:
		elem := boundFor(t.Elem())
		return func(v reflect.Value) int {
			if v.IsNil() {
				return len("null")
			}
			return elem(v.Elem())
		}
	case reflect.Interface:
		return func(v reflect.Value) int {
			if v.IsNil() {
				return len("null")
			}
			return jsonBound(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		e := t.Elem()
		if t.Kind() == reflect.Slice && e.Kind() == reflect.Uint8 &&
			!e.Implements(jsonMarshaler) && !e.Implements(textMarshaler) &&
			!reflect.PointerTo(e).Implements(jsonMarshaler) && !reflect.PointerTo(e).Implements(textMarshaler) {
			return func(v reflect.Value) int {
				if v.IsNil() {
					return len("null")
				}
				return 2 + 4*(v.Len()+2)/3 // base64
			}
		}
		elem := boundFor(e)
		return func(v reflect.Value) int {
			if t.Kind() == reflect.Slice && v.IsNil() {
				return len("null")
			}
			n := 2
			for i := range v.Len() {
				n += elem(v.Index(i)) + 1
			}
			return n
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return exactBound
		}
		elem := boundFor(t.Elem())
		return func(v reflect.Value) int {
			if v.IsNil() {
				return len("null")
			}
			n := 2
			it := v.MapRange()
			for it.Next() {
				n += stringBound(it.Key().Len()) + 1 + elem(it.Value()) + 1
			}
			return n
		}
	case reflect.Struct:
		return structBounder(t)
	}
	return exactBound // channels, functions, complex numbers: json refuses them
}

func structBounder(t reflect.Type) bounder {
	type field struct {
		index  int
		bound  bounder
		quoted bool // the ",string" option
	}
	fixed := 2
	var fields []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		// Promoted fields of an embedded struct are inlined; bounding it as
		// a nested object counts its braces and key on top, never less.
		fixed += stringBound(len(name)) + 2 // key, colon, comma
		fields = append(fields, field{index: i, bound: boundFor(f.Type), quoted: strings.Contains(","+opts+",", ",string,")})
	}
	return func(v reflect.Value) int {
		n := fixed
		for _, f := range fields {
			b := f.bound(v.Field(f.index))
			if f.quoted {
				b = stringBound(b)
			}
			n += b
		}
		return n
	}
}

// timeBound bounds a time.Time: RFC 3339 with nanoseconds and an offset,
// quoted, when its year has four digits; time refuses to encode others,
// which exactBound reports.
func timeBound(v reflect.Value) int {
	var t time.Time
	if v.CanAddr() {
		t = *v.Addr().Interface().(*time.Time)
	} else {
		t = v.Interface().(time.Time)
	}
	if y := t.Year(); y < 0 || y > 9999 {
		return exactBound(v)
	}
	return len(`"2006-01-02T15:04:05.999999999-07:00"`)
}

func constBound(n int) bounder { return func(reflect.Value) int { return n } }

// stringBound bounds a JSON string of n bytes: quotes and six bytes each.
func stringBound(n int) int { return 2 + 6*n }

func exactBound(v reflect.Value) int {
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return math.MaxInt / 4 // over any limit: the exact check reports it
	}
	return len(b)
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

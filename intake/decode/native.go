package decode

import (
	"bytes"
	"encoding/json"

	segjson "github.com/segmentio/encoding/json"

	"github.com/socflow/socflow/alert"
)

// nativeFormat is socflow's own format: the JSON encoding of alert.Alert,
// decoded strictly as intake has always done. An unknown field is a typo
// ("severty") that would otherwise silently lose data, so it is rejected.
type nativeFormat struct{}

func (nativeFormat) Name() string { return "native" }

func (nativeFormat) fallback() {}

// Detect claims an object with an entities field, or with source, rule and
// title, so that a native alert missing one required field still reaches
// the decoder that says which.
func (nativeFormat) Detect(o map[string]json.RawMessage) bool {
	if _, ok := o["entities"]; ok {
		return true
	}
	_, s := o["source"]
	_, r := o["rule"]
	_, t := o["title"]
	return s && r && t
}

// nativeKeys are the native format's top-level keys.
var nativeKeys = map[string]bool{
	"id": true, "source": true, "rule": true, "title": true, "description": true, "category": true,
	"severity": true, "time": true, "entities": true, "techniques": true, "cvss": true, "labels": true,
	"raw": true, "raw_truncated": true, "correlation": true, "related": true, "drill": true,
}

// looksNative reports whether an entry no format claimed uses only the
// native format's keys: it is then an incomplete native alert, better
// answered with the fields it lacks than with "no format matches".
func looksNative(o map[string]json.RawMessage) bool {
	for k := range o {
		if !nativeKeys[k] {
			return false
		}
	}
	return len(o) > 0
}

func (nativeFormat) Decode(raw []byte) (Result, error) {
	a, ok := decodeNativeFast(raw)
	if !ok {
		a = alert.Alert{}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a); err != nil {
			return Result{}, &FieldError{Format: "native", Reason: describe(raw, err)}
		}
		if dec.More() {
			return Result{}, &FieldError{Format: "native", Reason: "more than one JSON value in one entry"}
		}
	}
	if err := a.Validate(); err != nil {
		return Result{}, &invalidError{format: "native", err: err}
	}
	// A native host may carry only its ID too (alert.Alert.Validate allows
	// it); it is grouped and contained like a vendor's.
	nameHostsByID(&a)
	a.TruncateRaw(raw)
	if a.ID == "" {
		a.ID = rawID(raw)
	}
	return Result{Alerts: []alert.Alert{a}}, nil
}

// decodeNativeFast decodes an entry that is exactly one valid native alert
// with segmentio's decoder, a drop-in for encoding/json's that is three
// times as fast on a storm's alerts (BenchmarkNativeDecode); the
// standard library's was half of intake's decoding. Anything else (an
// error, trailing data) reports false and takes encoding/json's path,
// whose errors name the line and column. FuzzNativeFastPath holds the two
// to the same alert wherever this one succeeds.
func decodeNativeFast(raw []byte) (alert.Alert, bool) {
	var a alert.Alert
	rest, err := segjson.Parse(raw, &a, segjson.DisallowUnknownFields)
	return a, err == nil && len(rest) == 0
}

package alert

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
)

// oldSeverity is UnmarshalJSON as it was before its plain-string path.
func oldSeverity(b []byte) (Severity, error) {
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return "", err
	}
	var text string
	switch v := raw.(type) {
	case string:
		text = v
	case float64:
		text = strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return "", nil
	default:
		return "", errNotSeverity
	}
	if text == "" {
		return "", nil
	}
	return ParseSeverity(text)
}

var errNotSeverity = errors.New("not a severity")

// FuzzSeverityJSON: the plain-string path decodes what json.Unmarshal
// would, and refuses what it refuses.
func FuzzSeverityJSON(f *testing.F) {
	for _, s := range []string{`"high"`, `"HIGH"`, `" low "`, `"h\u0069gh"`, `"\xff"`, `"a"b"`, "\"\x01\"", `""`, `null`, `75`, `"75"`, `true`, `"`, `"critical\"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Severity
		err := got.UnmarshalJSON(b)
		want, werr := oldSeverity(b)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: error %v, before %v", b, err, werr)
		}
		if err == nil && got != want {
			t.Fatalf("%q: %q, before %q", b, got, want)
		}
	})
}

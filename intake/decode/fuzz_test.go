package decode

import (
	"encoding/json"
	"testing"

	"github.com/socflow/socflow/alert"
)

// checkResult states what every decoder guarantees, whatever the input:
// each alert it returns validates, can be encoded as JSON (Temporal stores
// it so), carries an ID and at most alert.MaxRawBytes of raw payload; an
// error has a message.
func checkResult(t *testing.T, res Result, err error) {
	t.Helper()
	if err != nil && err.Error() == "" {
		t.Fatal("error with an empty message")
	}
	if res.Skipped < 0 || (res.Skipped == 0 && res.SkipReason != "") {
		t.Fatalf("skipped %d with reason %q", res.Skipped, res.SkipReason)
	}
	for i, a := range res.Alerts {
		if verr := a.Validate(); verr != nil {
			t.Fatalf("alert %d returned but invalid: %v", i, verr)
		}
		if a.ID == "" {
			t.Fatalf("alert %d has no ID", i)
		}
		if len(a.Raw) > alert.MaxRawBytes {
			t.Fatalf("alert %d keeps %d raw bytes", i, len(a.Raw))
		}
		if _, merr := json.Marshal(a); merr != nil {
			t.Fatalf("alert %d cannot be encoded: %v", i, merr)
		}
	}
}

// fuzzFormat fuzzes one format's Detect and Decode, seeded with its
// fixtures.
func fuzzFormat(f *testing.F, dir, name string) {
	for _, fx := range fixtures(f, dir) {
		f.Add(fx.raw)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"value":null}`))
	f.Add([]byte(`null`))
	format, ok := testRegistry(f).Get(name)
	if !ok {
		f.Fatalf("no format %s", name)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if obj, err := topLevel(data); err == nil {
			_ = format.Detect(obj)
		}
		res, err := format.Decode(data)
		checkResult(t, res, err)
	})
}

func FuzzElastic(f *testing.F)   { fuzzFormat(f, "elastic", "elastic") }
func FuzzSplunk(f *testing.F)    { fuzzFormat(f, "splunk", "splunk") }
func FuzzSuricata(f *testing.F)  { fuzzFormat(f, "suricata", "suricata") }
func FuzzFalcon(f *testing.F)    { fuzzFormat(f, "falcon", "falcon") }
func FuzzDefender(f *testing.F)  { fuzzFormat(f, "defender", "defender") }
func FuzzGraph(f *testing.F)     { fuzzFormat(f, "graph", "graph") }
func FuzzGuardDuty(f *testing.F) { fuzzFormat(f, "guardduty", "guardduty") }
func FuzzWazuh(f *testing.F)     { fuzzFormat(f, "wazuh", "wazuh") }
func FuzzOCSF(f *testing.F)      { fuzzFormat(f, "ocsf", "ocsf") }
func FuzzNative(f *testing.F)    { fuzzFormat(f, "native", "native") }

// FuzzGeneric fuzzes a mapping's decoding and, with the second input, the
// path syntax: checkPath, lookup, and a mapping built on the path.
func FuzzGeneric(f *testing.F) {
	for _, fx := range fixtures(f, "generic") {
		f.Add(fx.raw, "asset.host.name")
	}
	f.Add([]byte(`{"a.b":{"c":[{"d":1}]}}`), "a.b.c[0].d")
	f.Add([]byte(`{"x":[[1]]}`), "x[0][0]")
	f.Add([]byte(`{}`), "]")
	format, ok := testRegistry(f).Get(acmeMapping().Name)
	if !ok {
		f.Fatal("no acme mapping")
	}
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		res, err := format.Decode(data)
		checkResult(t, res, err)

		if doc, err := parseObject("fuzz", data); err == nil {
			_ = get(doc, path)
			_ = strs(doc, path)
		}
		if checkPath(path) != nil {
			return
		}
		m := acmeMapping()
		m.Fields["user"] = path
		m.Detect[path] = "*"
		g, err := NewGeneric(m)
		if err != nil {
			t.Fatalf("a path checkPath accepts is refused: %v", err)
		}
		if obj, err := topLevel(data); err == nil {
			_ = g.Detect(obj)
		}
		res, err = g.Decode(data)
		checkResult(t, res, err)
	})
}

// FuzzDetect fuzzes the registry: detection and decoding by detection.
func FuzzDetect(f *testing.F) {
	for _, fx := range fixtures(f, "") {
		f.Add(fx.raw)
	}
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Add([]byte(`[{"event_type":"alert"}]`))
	r := testRegistry(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		format, derr := r.Detect(data)
		res, err := r.Decode(data, "")
		checkResult(t, res, err)
		if derr != nil && err == nil {
			t.Fatalf("Detect failed (%v) but Decode succeeded", derr)
		}
		if derr == nil && format == nil {
			t.Fatal("Detect returned neither a format nor an error")
		}
	})
}

// FuzzTopLevel checks detection's hand-written split of an object's top
// level against json.Unmarshal: the same keys with the same values for
// every object json accepts, an error for every one it refuses.
func FuzzTopLevel(f *testing.F) {
	for _, fx := range fixtures(f, "") {
		f.Add(fx.raw)
	}
	f.Add([]byte(`{"a":{"b":"}\""},"a":[1,"]"],"k\u00e9":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := topLevel(data)
		var want map[string]json.RawMessage
		werr := json.Unmarshal(trimEntry(data), &want)
		if werr != nil || len(trimEntry(data)) == 0 || trimEntry(data)[0] != '{' {
			if err == nil {
				t.Fatalf("accepted what json refuses (%v): %q", werr, data)
			}
			return
		}
		if err != nil {
			t.Fatalf("refused a valid object: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d keys, json finds %d", len(got), len(want))
		}
		for k, v := range want {
			if string(got[k]) != string(v) {
				t.Fatalf("key %q = %s, json says %s", k, got[k], v)
			}
		}
	})
}

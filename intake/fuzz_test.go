package intake_test

import (
	"errors"
	"maps"
	"reflect"
	"testing"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(alertJSON("dc01", "r1")))
	f.Add([]byte(prettyAlert))
	f.Add([]byte("[" + alertJSON("dc01", "r1") + `, {"source":"x"}, 7]`))
	f.Add([]byte(alertJSON("dc01", "r1") + "\n\n" + `{"rule": }` + "\n" + alertJSON("ws01", "r2") + "\n"))
	f.Add([]byte("\xef\xbb\xbf{\"severity\": 75}"))
	f.Add([]byte("{\n  \"source\": \"suricata\",\n"))
	f.Add([]byte(`{"title": "caf` + "\xe9" + `"}`))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := intake.Parse(body)
		if err != nil {
			if !errors.Is(err, intake.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if items != nil {
				t.Fatalf("%d items returned with an error", len(items))
			}
			return
		}
		for i, it := range items {
			if (it.Alert == nil) == (it.Err == nil) {
				t.Fatalf("item %d: want exactly one of Alert and Err, got %v and %v", i, it.Alert, it.Err)
			}
			if it.Index != i {
				t.Fatalf("item %d has index %d", i, it.Index)
			}
			if it.Alert != nil {
				if err := it.Alert.Validate(); err != nil {
					t.Fatalf("item %d accepted but invalid: %v", i, err)
				}
				if len(it.Alert.Raw) > alert.MaxRawBytes {
					t.Fatalf("item %d: raw is %d bytes", i, len(it.Alert.Raw))
				}
				// Accepted means bounded: bounding again changes nothing.
				before := *it.Alert
				before.Labels = maps.Clone(it.Alert.Labels)
				if err := it.Alert.Bound(); err != nil || !reflect.DeepEqual(before, *it.Alert) {
					t.Fatalf("item %d accepted but not within bounds: %v", i, err)
				}
				_ = intake.Fingerprint(it.Alert, nil)
			}
		}
	})
}

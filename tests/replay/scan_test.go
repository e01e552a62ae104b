package replay

import (
	"path/filepath"
	"testing"
)

// TestRecordedHistoriesHoldNoSecrets scans every recorded history for
// credentials. The histories recorded so far predate the payload codec, so
// their alert data is in clear by design (they are the test fixtures'
// alerts, and they must stay as recorded: old histories have to replay);
// only secrets are looked for here. They were recorded with the loopback
// fakes' one-letter tokens and no other secret configured, so what can be
// looked for is what any credential looks like on the wire. The scan of
// alert data and of configured secret values over encrypted histories is
// tests/integration's TestHistoryScan.
func TestRecordedHistoriesHoldNoSecrets(t *testing.T) {
	for _, e := range manifest(t) {
		t.Run(e.File, func(t *testing.T) {
			h, err := LoadFile(filepath.Join("testdata", e.File))
			if err != nil {
				t.Fatal(err)
			}
			if len(h.GetEvents()) == 0 {
				t.Fatal("no events")
			}
			for _, f := range ScanEvents(h, CredentialMarkers) {
				t.Errorf("%s", f)
			}
		})
	}
}

// TestScanFindsWhatItLooksFor proves the scan can fail: a recorded
// history's alert data, which is in clear, is found in its payloads.
func TestScanFindsWhatItLooksFor(t *testing.T) {
	var file string
	for _, e := range manifest(t) {
		if e.Scenario.WorkflowType == "RespondToAlert" && e.Scenario.Name == "new" {
			file = e.File
		}
	}
	if file == "" {
		t.Skip("no RespondToAlert/new history recorded")
	}
	h, err := LoadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	needle := []Needle{{Name: "the printer's host name", Value: []byte("prn-01")}}
	if got := ScanPayloads(h, needle); len(got) == 0 {
		t.Fatal("the clear alert data of a pre-codec history was not found")
	}
	if got := ScanEvents(h, needle); len(got) == 0 {
		t.Fatal("ScanEvents missed it")
	}
}

package intake

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/policy"
)

// DefaultFingerprintFields identify "the same alert" unless the policy says
// otherwise: the same rule from the same source about the same primary
// entities.
var DefaultFingerprintFields = []string{"source", "rule", "host", "user", "src_ip", "dst_ip"}

// Fingerprint returns a stable identifier for "this alert again": a hash of
// the chosen fields' values. The first policy rule whose match applies picks
// the fields. It depends on nothing but the alert and the rules, so it is
// the same across restarts and across API replicas. A drill's hash also
// covers the drill flag, so a drill is never a duplicate of a real alert;
// a real alert's hash is what it was before drills were fingerprinted, so
// open alert runs keep matching.
func Fingerprint(a *alert.Alert, rules []policy.FingerprintRule) string {
	fields := DefaultFingerprintFields
	for _, r := range rules {
		if r.Match.Matches(a) {
			fields = r.Fields
			break
		}
	}
	h := sha256.New()
	for _, f := range fields {
		vals := policy.Fields(a, f)
		norm := make([]string, len(vals))
		for i, v := range vals {
			norm[i] = strings.ToLower(strings.TrimSpace(v))
		}
		sort.Strings(norm)
		h.Write([]byte(f))
		h.Write([]byte{'='})
		h.Write([]byte(strings.Join(norm, ",")))
		h.Write([]byte{'\n'})
	}
	if a.Drill {
		h.Write([]byte("drill=true\n"))
	}
	// The source prefix makes workflow IDs readable in the Temporal UI.
	return policy.SanitizeKey(a.Source) + "-" + hex.EncodeToString(h.Sum(nil)[:16])
}

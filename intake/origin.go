package intake

import (
	"errors"
	"fmt"
)

// Origin is who submitted a body of alerts, as the API authenticated
// them. Intake writes it into every alert (alert.Alert.SubmittedBy and
// AutoContainTrusted), overwriting whatever the body claimed, so that the
// policy's automatic containment trusts credentials, never payloads.
type Origin struct {
	// Principal names the submitter.
	Principal string
	// AutoContain says the submitter is trusted for automatic
	// containment.
	AutoContain bool
	// MaySubmit, when set, reports whether the submitter may submit
	// alerts of a source; an alert it may not is rejected on its own.
	MaySubmit func(source string) bool
}

// ErrForbiddenSource rejects an alert of a source its submitter may not
// submit.
var ErrForbiddenSource = errors.New("source not allowed for this credential")

// Stamp marks items with the origin and rejects those of a source the
// origin may not submit.
func (o Origin) Stamp(items []Item) {
	for i := range items {
		a := items[i].Alert
		if items[i].Err != nil || a == nil {
			continue
		}
		if o.MaySubmit != nil && !o.MaySubmit(a.Source) {
			items[i].Err = fmt.Errorf("%w: %s may not submit alerts of source %q", ErrForbiddenSource, o.Principal, a.Source)
			continue
		}
		a.SubmittedBy, a.AutoContainTrusted = o.Principal, o.AutoContain
	}
}

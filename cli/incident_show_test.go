package cli

import (
	"testing"
)

// TestIncidentShowGolden: the whole case as text (score and why, context,
// alerts, proposed actions, decisions, containment, times, how to decide)
// and as JSON; an unknown incident is ExitNotFound.
func TestIncidentShowGolden(t *testing.T) {
	for _, c := range []goldenCase{
		{name: "text", args: []string{"incident", "show", "host:dc01"}},
		{name: "json", args: []string{"incident", "show", "incident/host:dc01", "-o", "json"}},
		{name: "not-found", args: []string{"incident", "show", "host:nope"}, code: ExitNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			fi := dc01()
			f, out, errOut := testFactory(nil)
			f.Incidents = fi.open
			runGolden(t, "incident-show", f, out, errOut, c)
			if len(fi.opened) != 1 || !fi.opened[0] || fi.closed != 1 {
				t.Errorf("opened %v, closed %d times; want opened once with the case files, then closed", fi.opened, fi.closed)
			}
		})
	}
}

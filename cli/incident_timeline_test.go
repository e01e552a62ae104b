package cli

import (
	"testing"
)

// TestIncidentTimelineGolden: a page says on stderr how to get the next
// one; --all follows the cursors; -o json prints the page.
func TestIncidentTimelineGolden(t *testing.T) {
	for _, c := range []goldenCase{
		{name: "text", args: []string{"incident", "timeline", "host:dc01"}},
		{name: "page", args: []string{"incident", "timeline", "host:dc01", "--limit", "2"}},
		{name: "next-page", args: []string{"incident", "timeline", "host:dc01", "--limit", "2", "--cursor", "2"}},
		{name: "all", args: []string{"incident", "timeline", "host:dc01", "--limit", "2", "--all"}},
		{name: "json", args: []string{"-o", "json", "incident", "timeline", "host:dc01"}},
		{name: "json-page", args: []string{"-o", "json", "incident", "timeline", "host:dc01", "--limit", "2"}},
		{name: "bad-cursor", args: []string{"incident", "timeline", "host:dc01", "--cursor", "x"}, code: ExitUsage},
	} {
		t.Run(c.name, func(t *testing.T) {
			fi := dc01()
			f, out, errOut := testFactory(nil)
			f.Incidents = fi.open
			runGolden(t, "incident-timeline", f, out, errOut, c)
			if len(fi.opened) != 1 || !fi.opened[0] || fi.closed != 1 {
				t.Errorf("opened %v, closed %d times; want opened once with the case files, then closed", fi.opened, fi.closed)
			}
		})
	}
}

package cli

import (
	"slices"
	"testing"
	"time"

	"github.com/socflow/socflow/incidents"
)

// TestIncidentListGolden: the table and the JSON of a list, and of an
// empty one; the flags reach the service, which is opened without the
// case files and closed.
func TestIncidentListGolden(t *testing.T) {
	for _, c := range []struct {
		goldenCase
		empty bool
		want  incidents.ListOptions
	}{
		{goldenCase: goldenCase{name: "text", args: []string{"incident", "list"}}, want: incidents.ListOptions{Limit: 50}},
		{goldenCase: goldenCase{name: "json", args: []string{"-o", "json", "incident", "list"}}, want: incidents.ListOptions{Limit: 50}},
		{
			goldenCase: goldenCase{name: "filtered", args: []string{"incident", "list", "--open", "--priority", "P1", "--status", "awaiting_decision", "--limit", "5"}},
			want:       incidents.ListOptions{OpenOnly: true, Priority: "P1", Status: "awaiting_decision", Limit: 5},
		},
		{
			goldenCase: goldenCase{name: "narrowed", args: []string{"incident", "list", "--tier", "IR", "--entity", "dc01", "--rule", "SOCFLOW-NET-0042",
				"--since", "2h", "--until", "2026-05-14T09:45:00Z", "--drill", "real"}},
			want: incidents.ListOptions{Limit: 50, Tier: "IR", Entity: "dc01", Rule: "SOCFLOW-NET-0042", Since: goldenNow.Add(-2 * time.Hour),
				Until: time.Date(2026, 5, 14, 9, 45, 0, 0, time.UTC), Drill: incidents.DrillReal},
		},
		{goldenCase: goldenCase{name: "empty-text", args: []string{"incident", "list"}}, empty: true, want: incidents.ListOptions{Limit: 50}},
		{goldenCase: goldenCase{name: "empty-json", args: []string{"incident", "list", "-o", "json"}}, empty: true, want: incidents.ListOptions{Limit: 50}},
	} {
		t.Run(c.name, func(t *testing.T) {
			fi := dc01()
			if c.empty {
				fi.list = nil
			}
			f, out, errOut := testFactory(nil)
			f.Incidents = fi.open
			runGolden(t, "incident-list", f, out, errOut, c.goldenCase)
			if !slices.Equal(fi.listed, []incidents.ListOptions{c.want}) {
				t.Errorf("listed with %+v, want %+v", fi.listed, c.want)
			}
			if !slices.Equal(fi.opened, []bool{false}) || fi.closed != 1 {
				t.Errorf("opened %v (case files?), closed %d times; want opened once without case files, then closed", fi.opened, fi.closed)
			}
		})
	}
}

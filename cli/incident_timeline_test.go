package cli

import (
	"strings"
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
		{name: "md", args: []string{"-o", "md", "incident", "timeline", "host:dc01"}},
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

// TestIncidentTimelineMarkdown: -o md reads the whole timeline, following
// the cursors (here pages of one line), and refuses the paging flags; the
// commands without a Markdown form refuse -o md by name.
func TestIncidentTimelineMarkdown(t *testing.T) {
	fi := dc01()
	f, out, errOut := testFactory(nil)
	f.Incidents = fi.open
	if code := Run(f, []string{"-o", "md", "incident", "timeline", "host:dc01", "--limit", "1"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"## Timeline (5)", "escalate: DC, IR's call", "## Alerts (2)", "| asset tier | x2 | dc01 is tier 1 |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	for _, args := range [][]string{
		{"-o", "md", "incident", "timeline", "host:dc01", "--cursor", "2"},
		{"-o", "md", "incident", "list"},
		{"-o", "md", "incident", "show", "host:dc01"},
		{"-o", "yaml", "incident", "timeline", "host:dc01"},
	} {
		f, out, errOut := testFactory(nil)
		f.Incidents = dc01().open
		code := Run(f, args)
		if code != ExitUsage || out.Len() > 0 {
			t.Errorf("%v: exit %d, stdout %q; want a usage error", args, code, out)
		}
		if want := map[string]string{"list": `-o md: "socflow incident list" prints text or json, not md`, "show": `-o md: "socflow incident show" prints text or json, not md`,
			"timeline": "--cursor and --case do not apply"}[args[3]]; args[1] == "md" && !strings.Contains(errOut.String(), want) {
			t.Errorf("%v: stderr %q, want %q", args, errOut, want)
		}
	}
}

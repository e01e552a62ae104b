package cli

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestUnknownCommand: a typo in a command or a flag is a usage error
// (exit 2) with cobra's message and suggestions on stderr, never the help
// and success, so that a script notices.
func TestUnknownCommand(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		errOut []string
	}{
		{
			name: "misspelt command", args: []string{"incdent", "list"},
			errOut: []string{`unknown command "incdent" for "socflow"`, "Did you mean this?\n\tincident\n", "Run 'socflow --help' for usage."},
		},
		{name: "command that does not exist", args: []string{"drill", "run"}, errOut: []string{`unknown command "drill" for "socflow"`}},
		{name: "misspelt command and a flag", args: []string{"incdent", "list", "--nope"}, errOut: []string{`unknown command "incdent"`, "\tincident\n"}},
		{
			name: "misspelt subcommand", args: []string{"incident", "lst"},
			errOut: []string{`unknown command "lst" for "socflow incident"`, "Did you mean this?\n\tlist\n", "Run 'socflow incident --help' for usage."},
		},
		{name: "misspelt subcommand of token", args: []string{"token", "craete"}, errOut: []string{`unknown command "craete" for "socflow token"`, "\tcreate\n"}},
		{name: "unknown flag", args: []string{"incident", "list", "--nope"}, errOut: []string{"unknown flag: --nope"}},
		{name: "unknown flag of a group", args: []string{"incident", "--nope"}, errOut: []string{"unknown flag: --nope"}},
		{name: "unknown shorthand flag", args: []string{"config", "check", "-z"}, errOut: []string{"unknown shorthand flag: 'z'"}},
		{name: "bare group", args: []string{"incident"}, errOut: []string{`"socflow incident" needs a subcommand: answer, decide, list, show, timeline`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := testFactory(nil)
			if code := Run(f, tt.args); code != ExitUsage {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitUsage, out, errOut)
			}
			for _, s := range tt.errOut {
				if !strings.Contains(errOut.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if !strings.HasPrefix(errOut.String(), "socflow: ") || strings.Count(errOut.String(), "Run '") > 1 {
				t.Errorf("stderr is not one socflow: error:\n%s", errOut)
			}
			if out.Len() != 0 {
				t.Errorf("stdout has the help or more:\n%s", out)
			}
		})
	}
}

// TestEveryGroupRefusesUnknownSubcommands walks the command tree: every
// command that holds subcommands refuses one it does not have, so that a
// group added later without group() fails here.
func TestEveryGroupRefusesUnknownSubcommands(t *testing.T) {
	f, _, _ := testFactory(nil)
	var groups [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		if c.HasSubCommands() {
			groups = append(groups, path)
		}
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string(nil), path...), sub.Name()))
		}
	}
	walk(NewRootCmd(f), nil)
	if len(groups) < 6 {
		t.Fatalf("found only the groups %v", groups)
	}
	for _, path := range groups {
		t.Run("socflow "+strings.Join(path, " "), func(t *testing.T) {
			f, out, errOut := testFactory(nil)
			code := Run(f, append(append([]string(nil), path...), "nope"))
			want := `unknown command "nope" for "` + strings.Join(append([]string{"socflow"}, path...), " ") + `"`
			if code != ExitUsage || !strings.Contains(errOut.String(), want) || out.Len() != 0 {
				t.Errorf("exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", code, ExitUsage, want, out, errOut)
			}
		})
	}
}

// TestBareRootPrintsHelp: socflow alone prints what it can do and succeeds.
func TestBareRootPrintsHelp(t *testing.T) {
	f, out, errOut := testFactory(nil)
	if code := Run(f, nil); code != ExitOK || !strings.Contains(out.String(), "Available Commands:") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

package intake_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/intake/decode"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/policy"
)

// proposalCase is a playbooks.Case that records what the playbook proposes
// and decides nothing, so nothing is contained. The steps it does not
// implement (the embedded nil Case) panic if a playbook calls them.
type proposalCase struct {
	playbooks.Case
	t        *testing.T
	view     playbooks.View
	proposed []alert.Action
}

func (c *proposalCase) View() playbooks.View          { return c.view }
func (c *proposalCase) Note(workflow.Context, string) {}
func (c *proposalCase) Decide(_ workflow.Context, p []alert.Action) (playbooks.Outcome, error) {
	c.proposed = append(c.proposed, p...)
	return playbooks.Outcome{}, nil
}
func (c *proposalCase) Enrich(workflow.Context, playbooks.EnrichRequest) (playbooks.Enrichment, error) {
	return playbooks.Enrichment{}, nil
}
func (c *proposalCase) Comment(workflow.Context, string) error { return nil }
func (c *proposalCase) Notify(workflow.Context, string) error  { return nil }
func (c *proposalCase) Contain(workflow.Context, []alert.Action) ([]alert.ActionResult, error) {
	c.t.Error("Contain called without an approval")
	return nil, nil
}

// TestHostIDOnlyIsContainable follows an EDR alert that names its machine
// only by the EDR's ID from intake through routing to the playbook: the
// incident is keyed by the machine, not by the alert, and the machine is
// proposed for isolation by that ID, which the EDR resolves as a device ID.
func TestHostIDOnlyIsContainable(t *testing.T) {
	pol := config.Default().Policy
	tests := []struct {
		file     string // under decode/testdata
		id       string
		key      string
		playbook string
	}{
		{"defender/machine_id_only.json", "cc33dd44ee55ff6677889900aabbccddeeff0011",
			"host:cc33dd44ee55ff6677889900aabbccddeeff0011", "malware-on-host"},
		{"falcon/epp_agent_id_only.json", "9a8b7c6d5e4f30211203f4e5d6c7b8a9",
			"host:9a8b7c6d5e4f30211203f4e5d6c7b8a9", "malware-on-host"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("decode", "testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			b, err := intake.ParseFormat(body, decode.Builtin(), "")
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Items) != 1 || b.Items[0].Err != nil {
				t.Fatalf("items = %+v, want one alert", b.Items)
			}
			a := b.Items[0].Alert
			if want := []alert.Host{{Name: tt.id, ID: tt.id}}; !reflect.DeepEqual(a.Entities.Hosts, want) {
				t.Fatalf("hosts = %+v, want %+v", a.Entities.Hosts, want)
			}

			rt := pol.Route(a, intake.Fingerprint(a, pol.Triage.Fingerprints))
			if rt.Key != tt.key || rt.GroupBy != "host" || rt.Playbook != tt.playbook {
				t.Fatalf("route = key %q, group by %q, playbook %q; want %q, host, %q",
					rt.Key, rt.GroupBy, rt.Playbook, tt.key, tt.playbook)
			}

			pb, ok := playbooks.Builtin().Get(rt.Playbook)
			if !ok {
				t.Fatalf("no playbook %q", rt.Playbook)
			}
			// The incident's hosts as workflows/merge.go (addEntities)
			// collects them: each host's name, lower-cased, as the "hosts"
			// field reads them. The built-in playbooks touch the workflow
			// context only through the Case, so none is needed here.
			c := &proposalCase{t: t, view: playbooks.View{Title: a.Title, Hosts: policy.Fields(a, "hosts")}}
			if err := pb.Run(nil, c); err != nil {
				t.Fatal(err)
			}
			want := alert.NewAction(alert.ActionIsolateHost, tt.id, "malware on "+tt.id)
			if !slices.ContainsFunc(c.proposed, func(x alert.Action) bool {
				return x.Kind == want.Kind && x.Target == want.Target
			}) {
				t.Errorf("proposed %+v, want %s of %s", c.proposed, want.Kind, want.Target)
			}
		})
	}
}

package worker_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/socflow/socflow/devserver"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// TestSearchAttributeCheck: on a namespace without SocflowDrill (required)
// and SocflowPlaybookVersion (optional), the check names each where it
// belongs, the worker refuses to start with the command that creates
// them, and the optional one alone would not stop it.
func TestSearchAttributeCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sa := map[string]enumspb.IndexedValueType{}
	for _, k := range workflows.SearchAttributeKeys() {
		if k != workflows.SADrill && k != workflows.SAPlaybookVersion {
			sa[k.GetName()] = k.GetValueType()
		}
	}
	srv, cfg, c := embedded(ctx, t, devserver.Options{SearchAttributes: sa})

	got := worker.CheckSearchAttributes(ctx, c, srv.Namespace())
	if got.Unchecked != nil || !slices.Equal(got.Missing, []string{"SocflowDrill"}) || !slices.Equal(got.MissingOptional, []string{"SocflowPlaybookVersion"}) {
		t.Fatalf("check = %+v", got)
	}
	if got.Has(workflows.SAPlaybookVersion) || !got.Has(workflows.SAPlaybook) {
		t.Errorf("Has: version %v, playbook %v", got.Has(workflows.SAPlaybookVersion), got.Has(workflows.SAPlaybook))
	}
	store, err := events.OpenSQLite(t.TempDir() + "/events.db")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	_, err = worker.New(worker.Options{Config: cfg, Client: c, Events: store})
	if err == nil || !strings.Contains(err.Error(), "lacks socflow's search attributes SocflowDrill") ||
		!strings.Contains(err.Error(), "--name SocflowDrill --type Bool") {
		t.Errorf("worker.New on a namespace without SocflowDrill: %v", err)
	}
	got.Missing = nil
	if err := got.Err(srv.Namespace()); err != nil {
		t.Errorf("only an optional attribute missing: %v", err)
	}
}

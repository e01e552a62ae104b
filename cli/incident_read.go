package cli

import (
	"context"

	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// IncidentReader is what the incident commands read through
// (incidents.Service): the list from Temporal's visibility, an incident
// from its workflow, its timeline and alerts from the case file.
type IncidentReader interface {
	List(ctx context.Context, o incidents.ListOptions) ([]incidents.Summary, error)
	Get(ctx context.Context, key string) (*workflows.IncidentState, error)
	Timeline(ctx context.Context, key string, p incidents.Page) (*incidents.TimelinePage, error)
	Alerts(ctx context.Context, key string, p incidents.Page) (*incidents.AlertsPage, error)
}

// OpenIncidents opens an IncidentReader and returns the function that
// closes it. cases asks for the case files too; without them only
// Temporal is dialled, which is all incident list needs, and it works
// where the event store is not. Commands take one in their options, so
// that their run tests need neither Temporal nor a database.
type OpenIncidents func(ctx context.Context, cases bool) (IncidentReader, func(), error)

// openIncidents is the factory's OpenIncidents: Factory.Incidents, else
// the configured event store's case files, opened read-only (the worker
// or `socflow dev` may be writing them), and Temporal for the rest. The
// store is opened first: it is local and fails fast, naming the setting
// to fix.
func (f *Factory) openIncidents(ctx context.Context, cases bool) (IncidentReader, func(), error) {
	if f.Incidents != nil {
		return f.Incidents(ctx, cases)
	}
	cfg, err := f.loadConfig("")
	if err != nil {
		return nil, nil, err
	}
	var (
		reader  incidents.CaseReader
		closeIt = func() {}
	)
	if cases {
		store, err := worker.OpenEventsReadOnly(cfg)
		if err != nil {
			return nil, nil, err
		}
		reader, closeIt = store, func() { _ = store.Close() }
	}
	c, err := f.connect(ctx, cfg)
	if err != nil {
		closeIt()
		return nil, nil, err
	}
	svc, err := worker.Incidents(cfg, c, reader)
	if err != nil {
		c.Close()
		closeIt()
		return nil, nil, err
	}
	return svc, func() { c.Close(); closeIt() }, nil
}

// maxPage is the most entries one page of a case file listing holds.
const maxPage = events.MaxCaseLimit

// pageLimit checks a --limit flag against what a page may hold.
func pageLimit(n int) error {
	if n < 1 || n > maxPage {
		return usageErrorf("--limit must be from 1 to %d, got %d", maxPage, n)
	}
	return nil
}

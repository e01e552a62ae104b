package cli

import (
	"context"

	"github.com/socflow/socflow/incidents"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/worker"
	"github.com/socflow/socflow/workflows"
)

// IncidentReader is what the incident read commands read through
// (incidents.Service with the case file).
type IncidentReader interface {
	Get(ctx context.Context, key string) (*workflows.IncidentState, error)
	Timeline(ctx context.Context, key string, p incidents.Page) (*incidents.TimelinePage, error)
	Alerts(ctx context.Context, key string, p incidents.Page) (*incidents.AlertsPage, error)
}

// OpenIncidents opens an IncidentReader and returns the function that
// closes it. Commands take one in their options, so that their run tests
// need neither Temporal nor a database.
type OpenIncidents func(ctx context.Context) (IncidentReader, func(), error)

// openIncidents is the factory's OpenIncidents: the configured event
// store's case files, opened read-only (the worker or `socflow dev` may be
// writing them), and Temporal for the rest. The store is opened first: it
// is local and fails fast, naming the setting to fix.
func (f *Factory) openIncidents(ctx context.Context) (IncidentReader, func(), error) {
	cfg, err := f.loadConfig("")
	if err != nil {
		return nil, nil, err
	}
	store, err := worker.OpenEventsReadOnly(cfg)
	if err != nil {
		return nil, nil, err
	}
	c, err := f.connect(ctx, cfg)
	if err != nil {
		_ = store.Close()
		return nil, nil, err
	}
	svc, err := worker.Incidents(cfg, c, store)
	if err != nil {
		c.Close()
		_ = store.Close()
		return nil, nil, err
	}
	return svc, func() { c.Close(); _ = store.Close() }, nil
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

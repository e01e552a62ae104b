package worker

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/events"
)

// caseWriter gives the case file activity the event store, marking a
// record the store refuses as permanent.
type caseWriter struct{ store *events.SQLStore }

func (w caseWriter) AppendCase(ctx context.Context, rec activities.CaseRecord) error {
	err := w.store.AppendCase(ctx, rec)
	if errors.Is(err, events.ErrInvalidCase) {
		// The same batch would be refused again: say so for good.
		return fmt.Errorf("%w: %w", activities.ErrInvalidInput, err)
	}
	return err
}

func (w caseWriter) PreviousCase(ctx context.Context, incidentID, caseID string) (*activities.CaseLink, error) {
	return w.store.PreviousCase(ctx, incidentID, caseID)
}

// eventsPath is the SQLite event store's file: enrichment.events.path
// (events.db by default) under data_dir unless absolute.
func eventsPath(cfg *config.Config) string {
	path := cfg.Enrichment.Events.Path
	if path == "" {
		path = "events.db"
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(cfg.DataDir, path)
	}
	return path
}

// OpenEventsReadOnly opens the configured event store to read case files
// beside the worker that writes them, as the CLI does: it creates and
// migrates nothing, and SQLite's WAL lets it read while the worker (or
// `socflow dev`) writes. Its errors name the setting to check.
func OpenEventsReadOnly(cfg *config.Config) (*events.SQLStore, error) {
	if dsn := cfg.Enrichment.Events.PostgresDSN; dsn.IsSet() {
		st, err := events.OpenPostgresReadOnly(dsn.Value())
		if err != nil {
			return nil, fmt.Errorf("case file: enrichment.events.postgres_dsn ($%s): %w", dsn.Ref, err)
		}
		return st, nil
	}
	path := eventsPath(cfg)
	st, err := events.OpenSQLiteReadOnly(path)
	if err != nil {
		return nil, fmt.Errorf("case file: enrichment.events.path: %w (run the CLI beside the worker's data_dir, %s, "+
			"or share the store through enrichment.events.postgres_dsn)", err, cfg.DataDir)
	}
	return st, nil
}

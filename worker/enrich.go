package worker

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/time/rate"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/abuseipdb"
	"github.com/socflow/socflow/integrations/cmdb"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/integrations/geoip"
	"github.com/socflow/socflow/integrations/intel"
	"github.com/socflow/socflow/integrations/logins"
	"github.com/socflow/socflow/integrations/servicenow"
	"github.com/socflow/socflow/integrations/taxii"
	"github.com/socflow/socflow/integrations/virustotal"
	wfenrich "github.com/socflow/socflow/workflows/enrich"
)

// OpenEvents opens the configured event store: PostgreSQL when a DSN is
// set, else the SQLite file under the data folder.
func OpenEvents(cfg *config.Config) (*events.SQLStore, error) {
	if dsn := cfg.Enrichment.Events.PostgresDSN; dsn.IsSet() {
		st, err := events.OpenPostgres(dsn.Value())
		if err != nil {
			return nil, fmt.Errorf("event store (postgres): %w", err)
		}
		return st, nil
	}
	path := eventsPath(cfg)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("event store: %w", err)
	}
	st, err := events.OpenSQLite(path)
	if err != nil {
		return nil, fmt.Errorf("event store %s: %w", path, err)
	}
	return st, nil
}

// enrichment builds the enrichment sources the configuration names and
// the plan that tells workflows which exist. background receives the loops
// that keep sources fresh (intel reload, event retention).
func enrichment(cfg *config.Config, o Options, hc *http.Client, store *events.SQLStore,
	background func(func(ctx context.Context) error)) (*activities.Enrich, activities.EnrichmentPlan, []func() error, error) {
	en := cfg.Enrichment
	e := &activities.Enrich{Online: map[string]activities.OnlineIntel{}}
	plan := activities.EnrichmentPlan{Timeout: en.Timeout, Window: en.Events.Window}
	var closers []func() error
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	sources := intel.Files(resolveAll(cfg, en.Intel.Files)...)
	for _, tx := range en.Intel.TAXII {
		var opts []taxii.Option
		if tx.Token.IsSet() {
			opts = append(opts, taxii.WithBearerToken(tx.Token.Value()))
		} else if tx.Username != "" {
			opts = append(opts, taxii.WithBasicAuth(tx.Username, tx.Password.Value()))
		}
		sources = append(sources, taxii.NewSource(taxii.New(hc, opts...), tx.URL, taxii.WithName(tx.Name)))
	}
	if len(sources) > 0 {
		feeds := intel.NewFeeds(sources, intel.WithLogger(log))
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		_, err := feeds.Load(ctx)
		cancel()
		if err != nil {
			return nil, plan, closers, fmt.Errorf("intel: %w", err)
		}
		e.Intel = feeds
		plan.Add(wfenrich.Intel)
		if en.Intel.Reload > 0 {
			background(func(ctx context.Context) error { return feeds.Watch(ctx, en.Intel.Reload) })
		}
	}

	if files := resolveAll(cfg, en.Assets.Files); len(files) > 0 {
		inv, err := cmdb.LoadFiles(files...)
		if err != nil {
			return nil, plan, closers, err
		}
		e.Assets = inv
		plan.Add(wfenrich.Assets)
	}

	if sn := en.Assets.ServiceNow; sn.URL != "" {
		var opts []servicenow.Option
		if sn.Table != "" {
			opts = append(opts, servicenow.WithTable(sn.Table))
		}
		if sn.Token.IsSet() {
			opts = append(opts, servicenow.WithBearerToken(sn.Token.Value()))
		}
		c, err := servicenow.New(hc, sn.URL, sn.User, sn.Password.Value(), opts...)
		if err != nil {
			return nil, plan, closers, fmt.Errorf("servicenow: %w", err)
		}
		e.LiveAssets = c
		plan.Add(wfenrich.CMDB)
	}

	if store != nil {
		e.Events = relatedEvents{store}
		plan.Add(wfenrich.Events)
		var geo *geoip.DB
		if en.GeoIP.City != "" || en.GeoIP.ASN != "" {
			db, err := geoip.Open(resolve(cfg, en.GeoIP.City), resolve(cfg, en.GeoIP.ASN))
			if err != nil {
				return nil, plan, closers, fmt.Errorf("geoip: %w", err)
			}
			geo = db
			closers = append(closers, db.Close)
		}
		e.Users = userHistory{logins.New(store, geo, logins.Options{MaxSpeedKmh: en.Logins.MaxSpeedKmh}), geo}
		plan.Add(wfenrich.Users)
		background(func(ctx context.Context) error {
			return events.Retain(ctx, store, en.Events.Retention, time.Hour, log)
		})
	}

	if k := en.VirusTotal.APIKey; k.IsSet() {
		var opts []virustotal.Option
		if en.VirusTotal.PerMinute > 0 {
			opts = append(opts, virustotal.WithRateLimit(rate.Limit(en.VirusTotal.PerMinute/60), 1))
		}
		c, err := virustotal.New(hc, en.VirusTotal.URL, k.Value(), opts...)
		if err != nil {
			return nil, plan, closers, fmt.Errorf("virustotal: %w", err)
		}
		e.Online["virustotal"] = c
		plan.Online = append(plan.Online, "virustotal")
	}
	if k := en.AbuseIPDB.APIKey; k.IsSet() {
		var opts []abuseipdb.Option
		if en.AbuseIPDB.PerMinute > 0 {
			opts = append(opts, abuseipdb.WithRateLimit(rate.Limit(en.AbuseIPDB.PerMinute/60), 1))
		}
		c, err := abuseipdb.New(hc, en.AbuseIPDB.URL, k.Value(), opts...)
		if err != nil {
			return nil, plan, closers, fmt.Errorf("abuseipdb: %w", err)
		}
		e.Online["abuseipdb"] = c
		plan.Online = append(plan.Online, "abuseipdb")
	}
	return e, plan, closers, nil
}

func resolve(cfg *config.Config, p string) string {
	if p == "" {
		return ""
	}
	return cfg.Resolve(p)
}

// relatedEvents adapts the event store to the enrichment's question.
type relatedEvents struct{ store events.Store }

func (r relatedEvents) Related(ctx context.Context, q activities.RelatedQuery) ([]alert.RelatedEvent, error) {
	evs, err := r.store.Related(ctx, events.Query{
		Hosts: q.Hosts, Users: q.Users, IPs: q.IPs, Domains: q.Domains, Kinds: q.Kinds, Before: q.Before, Window: q.Window, Limit: q.Limit,
	})
	if err != nil {
		return nil, err
	}
	return events.RelatedEvents(evs), nil
}

// userHistory adapts the login history, adding where GeoIP places the
// address.
type userHistory struct {
	h   *logins.History
	geo *geoip.DB
}

func (u userHistory) Assess(ctx context.Context, user, ip string, at time.Time) (alert.UserContext, error) {
	a, err := u.h.Assess(ctx, user, ip, at)
	if err != nil {
		return alert.UserContext{}, err
	}
	uc := a.UserContext()
	uc.IP = ip
	if loc := a.Location; loc.Found {
		uc.Country, uc.City, uc.ASN, uc.ASOrg = loc.Country, loc.City, loc.ASN, loc.ASOrg
	}
	uc.NewCountry, uc.ImpossibleTravel = a.NewCountry, a.ImpossibleTravel
	return uc, nil
}

func (u userHistory) Record(ctx context.Context, user, ip string, at time.Time, success bool, source string) error {
	return u.h.Record(ctx, user, ip, at, success, source)
}

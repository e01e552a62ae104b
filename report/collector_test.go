package report

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
)

// lockedReader is a pagedReader safe for the concurrent scrapes of a
// test.
type lockedReader struct {
	mu sync.Mutex
	pagedReader
}

func (l *lockedReader) CaseFigures(ctx context.Context, q events.FiguresQuery) ([]events.CaseFigures, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pagedReader.CaseFigures(ctx, q)
}

func (l *lockedReader) reads() []events.FiguresQuery {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]events.FiguresQuery(nil), l.queries...)
}

func scrape(t *testing.T, c *Collector) (int, string) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	b, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Code, string(b)
}

// TestCollector scrapes the figures of two incidents: full's, a P1 that
// went all the way, and a P3 still open whose acknowledgement is late and
// whose decision was the policy's.
func TestCollector(t *testing.T) {
	now := at(3 * time.Hour)
	late := events.CaseFigures{IncidentID: "incident/user:bob", CaseID: "run-3", OpenedAt: at(time.Hour), Priority: "P3",
		Milestones: alert.Milestones{Opened: at(time.Hour), Notified: at(time.Hour + 10*time.Second),
			Decided: at(2 * time.Hour), DecidedBy: DecidedByTimeout, AcknowledgeDue: at(time.Hour + 30*time.Minute)}}
	r := &lockedReader{pagedReader: pagedReader{cases: []events.CaseFigures{full(), late}}}
	c := NewCollector(CollectorOptions{Reader: r, Now: func() time.Time { return now }})

	code, text := scrape(t, c)
	if code != http.StatusOK {
		t.Fatalf("scrape: %d\n%s", code, text)
	}
	for _, want := range []string{
		// full's acknowledgement took 120 s: in the 120 s bucket, not the 60 s one.
		`socflow_response_seconds_bucket{figure="acknowledge",kind="human",priority="P1",tier="IR",le="60"} 0`,
		`socflow_response_seconds_bucket{figure="acknowledge",kind="human",priority="P1",tier="IR",le="120"} 1`,
		`socflow_response_seconds_bucket{figure="acknowledge",kind="human",priority="P1",tier="IR",le="+Inf"} 1`,
		`socflow_response_seconds_sum{figure="acknowledge",kind="human",priority="P1",tier="IR"} 120`,
		`socflow_response_seconds_count{figure="contain",kind="machine",priority="P1",tier="IR"} 1`,
		`socflow_response_seconds_sum{figure="contain",kind="total",priority="P1",tier="IR"} 363`,
		`socflow_response_seconds_sum{figure="enrich",kind="machine",priority="P1",tier="IR"} 2`,
		`socflow_response_seconds_sum{figure="close",kind="total",priority="P1",tier="IR"} 3600`,
		`socflow_response_seconds_sum{figure="notify",kind="machine",priority="P3",tier="none"} 10`,
		`socflow_sla_breaches{priority="P1",sla="acknowledge"} 0`,
		`socflow_sla_breaches{priority="P3",sla="acknowledge"} 1`,
		`socflow_sla_breaches{priority="P3",sla="contain"} 0`,
		`socflow_open_incidents{priority="P1"} 0`,
		`socflow_open_incidents{priority="P3"} 1`,
		`socflow_report_incidents{priority="P1"} 1`,
		`socflow_timeout_decisions{priority="P3"} 1`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("the scrape lacks %s", want)
		}
	}
	// The policy's decision is not a time to decide.
	if strings.Contains(text, `figure="decide",kind="human",priority="P3"`) {
		t.Error("a timeout decision was counted as people's time to decide")
	}

	// A second scrape is served from the first read.
	if code, _ := scrape(t, c); code != http.StatusOK {
		t.Fatalf("second scrape: %d", code)
	}
	reads := r.reads()
	if len(reads) != 1 {
		t.Fatalf("%d reads of the store for two scrapes, want 1", len(reads))
	}
	q := reads[0]
	if !q.Since.Equal(now.Add(-DefaultWindow)) || !q.Until.After(now) || q.Drill == nil || *q.Drill {
		t.Errorf("query %+v; want the week before now, now included, drills left out", q)
	}
}

func TestCollectorReadFails(t *testing.T) {
	r := &lockedReader{pagedReader: pagedReader{err: errors.New("database is locked")}}
	c := NewCollector(CollectorOptions{Reader: r, Drills: true, Window: time.Hour})
	code, text := scrape(t, c)
	if code != http.StatusInternalServerError || !strings.Contains(text, "database is locked") {
		t.Errorf("scrape of a failing store: %d\n%s\nwant 500 naming the error", code, text)
	}
	if q := r.reads(); len(q) != 1 || q[0].Drill != nil || q[0].Until.Sub(q[0].Since) > time.Hour+time.Millisecond {
		t.Errorf("queries %+v; want one over an hour, drills included", q)
	}
}

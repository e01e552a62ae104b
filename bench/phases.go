package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/intake"
	"github.com/socflow/socflow/workflows"
)

type workflowExecution = workflowpb.WorkflowExecutionInfo

// settleWithin bounds every wait for the pipeline to catch up.
const settleWithin = 5 * time.Minute

// runE2E sends distinct alerts through socflow's API and the same number
// through the bare pipeline, each on a fresh server, and times both until
// every incident is open with its alert.
func runE2E(ctx context.Context, o *Options, r *Report) error {
	n := o.Sizes.Unique
	s, err := o.startStack(ctx, true)
	if err != nil {
		return err
	}
	defer s.stop()
	batches, err := encodeBatches(n, o.Sizes.Batch, distinctAlert)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, body := range batches {
		var resp intake.Response
		if err := s.post(ctx, "/v1/alerts", body, 202, &resp); err != nil {
			return fmt.Errorf("socflow: %w", err)
		}
		if len(resp.Rejected)+len(resp.Failed) > 0 {
			return fmt.Errorf("intake refused alerts: %+v %+v", resp.Rejected, resp.Failed)
		}
	}
	query := fmt.Sprintf("WorkflowType = '%s' AND %s IS NOT NULL", workflows.IncidentType, workflows.SAStatus.GetName())
	if err := waitCount(ctx, s, query, n); err != nil {
		return fmt.Errorf("socflow: %w", err)
	}
	took := time.Since(start)
	r.UniqueAlerts = n
	r.E2EAlertsPerS = round(float64(n)/took.Seconds(), 1)
	r.MaxRatePerS = r.E2EAlertsPerS
	alertCost, incCost, err := settledCost(ctx, s, workflows.RespondToAlertType, workflows.IncidentType)
	if err != nil {
		return fmt.Errorf("socflow histories: %w", err)
	}
	r.PerUnique = alertCost.plus(incCost)
	r.Shape = Shape{
		AlertLocal: roundInt(alertCost.LocalActivities), AlertRemote: roundInt(alertCost.Activities),
		IncidentLocal: roundInt(incCost.LocalActivities), IncidentRemote: roundInt(incCost.Activities),
	}
	s.stop()
	o.progress("  socflow: %d unique alerts in %.1f s: %.1f alerts/s; per alert %.1f workflow tasks, %.1f activities, %.1f local, %.0f history bytes",
		n, took.Seconds(), r.E2EAlertsPerS, r.PerUnique.WorkflowTasks, r.PerUnique.Activities, r.PerUnique.LocalActivities, r.PerUnique.HistoryBytes)

	bare, err := o.startStack(ctx, false)
	if err != nil {
		return err
	}
	defer bare.stop()
	w, err := startBareWorker(bare.client)
	if err != nil {
		return err
	}
	defer w.Stop()
	start = time.Now()
	err = fanOut(ctx, n, 32, func(ctx context.Context, i int) error {
		key := fmt.Sprintf("ws-%05d", i)
		_, err := bare.client.SignalWithStartWorkflow(ctx, "bench-bare-alert/"+key, bareSignal, 1,
			client.StartWorkflowOptions{TaskQueue: bareQueue}, bareAlertType, bareInput{Key: key, Shape: r.Shape})
		return err
	})
	if err != nil {
		return err
	}
	query = fmt.Sprintf("WorkflowType = '%s' AND %s = '%s'", bareIncidentTyp, workflows.SAStatus.GetName(), bareOpen)
	if err := waitCount(ctx, bare, query, n); err != nil {
		return err
	}
	took = time.Since(start)
	r.BareAlertsPerS = round(float64(n)/took.Seconds(), 1)
	r.E2ERatio = round(r.E2EAlertsPerS/r.BareAlertsPerS, 2)
	ba, bi, err := settledCost(ctx, bare, bareAlertType, bareIncidentTyp)
	if err != nil {
		return err
	}
	r.PerUniqueBar = ba.plus(bi)
	o.progress("  bare:    %d unique alerts in %.1f s: %.1f alerts/s (shape %+v); ratio %.2fx (target >= 0.7)",
		n, took.Seconds(), r.BareAlertsPerS, r.Shape, r.E2ERatio)
	return nil
}

// runStorm measures bare SignalWithStart calls (one per alert, 32 in
// flight, as intake runs them) to workflows no worker polls, so that only
// the server's acceptance counts, then sends duplicates of a few
// fingerprints through the API from concurrent senders. The bare calls go
// first, on the quiet server: measured after the storm they ran while the
// pipeline digested it, 15-20% slower, which flattered the ratio.
func runStorm(ctx context.Context, o *Options, r *Report) error {
	z := o.Sizes
	s, err := o.startStack(ctx, true)
	if err != nil {
		return err
	}
	defer s.stop()
	fps := max(z.StormFingerprints, 1)
	batches, err := encodeBatches(z.Storm, z.StormBatch, func(i int) alert.Alert { return stormAlert(i, fps) })
	if err != nil {
		return err
	}
	start := time.Now()
	err = fanOut(ctx, z.BareCalls, 32, func(ctx context.Context, j int) error {
		_, err := s.client.SignalWithStartWorkflow(ctx, fmt.Sprintf("bench-bare-sink/%d", j%fps), bareSignal, j,
			client.StartWorkflowOptions{TaskQueue: "socflow-bench-sink"}, "BenchBareSink")
		return err
	})
	if err != nil {
		return err
	}
	bare := time.Since(start)
	start = time.Now()
	var mu sync.Mutex
	accepted := 0
	err = fanOut(ctx, len(batches), z.StormSenders, func(ctx context.Context, i int) error {
		var resp intake.Response
		if err := s.post(ctx, "/v1/alerts", batches[i], 202, &resp); err != nil {
			return err
		}
		mu.Lock()
		accepted += resp.Accepted
		mu.Unlock()
		return nil
	})
	if err != nil {
		return err
	}
	viaAPI := time.Since(start)
	if accepted != z.Storm {
		return fmt.Errorf("intake accepted %d of %d alerts", accepted, z.Storm)
	}

	r.StormAlerts = z.Storm
	r.StormAlertsPerS = round(float64(z.Storm)/viaAPI.Seconds(), 0)
	r.BareSWSPerS = round(float64(z.BareCalls)/bare.Seconds(), 0)
	r.StormRatio = round(r.StormAlertsPerS/r.BareSWSPerS, 1)
	o.progress("  %d alerts of %d fingerprints accepted in %.2f s: %.0f alerts/s; bare SignalWithStart %.0f/s; ratio %.1fx (targets >= 20x, >= 20,000/s)",
		z.Storm, fps, viaAPI.Seconds(), r.StormAlertsPerS, r.BareSWSPerS, r.StormRatio)

	// Nothing lost: every alert is counted in its incident.
	if err := waitOccurrences(ctx, s, z.Storm); err != nil {
		return err
	}
	r.StormSettledS = round(time.Since(start).Seconds(), 1)
	ac, ic, err := totalCost(ctx, s, workflows.RespondToAlertType, workflows.IncidentType)
	if err != nil {
		return err
	}
	r.PerStormAlert = ac.plus(ic).per(float64(z.Storm))
	o.progress("  every alert counted in its incident; per storm alert %.3f workflow tasks, %.3f activities, %.0f history bytes",
		r.PerStormAlert.WorkflowTasks, r.PerStormAlert.Activities, r.PerStormAlert.HistoryBytes)
	return nil
}

// runEnrich offers distinct alerts at half the maximum sustained rate and
// measures, per alert, intake's acceptance to a complete context packet.
func runEnrich(ctx context.Context, o *Options, r *Report) error {
	rate := math.Max(1, math.Floor(r.MaxRatePerS/2))
	n := max(int(rate*o.Sizes.EnrichFor.Seconds()), 10)
	s, err := o.startStack(ctx, true)
	if err != nil {
		return err
	}
	defer s.stop()
	ids := make([]string, 0, n)
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for i := range n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		a := enrichAlert(i)
		body, err := json.Marshal(a)
		if err != nil {
			return err
		}
		var resp intake.Response
		if err := s.post(ctx, "/v1/alerts", body, 202, &resp); err != nil {
			return err
		}
		if len(resp.Results) != 1 {
			return fmt.Errorf("alert %d: %d results", i, len(resp.Results))
		}
		ids = append(ids, resp.Results[0].WorkflowID)
	}
	lat := make([]time.Duration, 0, n)
	for _, id := range ids {
		var st workflows.AlertState
		err := poll(ctx, time.Minute, func() (bool, error) {
			v, err := s.client.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
			if err != nil {
				return false, nil // not started yet: poll again
			}
			if err := v.Get(&st); err != nil {
				return false, err
			}
			return !st.EnrichedAt.IsZero(), nil
		})
		if err != nil {
			return fmt.Errorf("%s not enriched: %w", id, err)
		}
		lat = append(lat, st.EnrichedAt.Sub(st.FirstSeen))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 1) }
	r.EnrichOfferedPerS, r.EnrichAlerts = rate, n
	r.EnrichP50Ms = ms(lat[len(lat)/2])
	r.EnrichP99Ms = ms(lat[min(len(lat)-1, len(lat)*99/100)])
	r.EnrichMaxMs = ms(lat[len(lat)-1])
	o.progress("  %d alerts at %.0f/s: time to enrich p50 %.0f ms, p99 %.0f ms, max %.0f ms (target p99 <= 300 ms)",
		n, rate, r.EnrichP50Ms, r.EnrichP99Ms, r.EnrichMaxMs)
	return nil
}

// runGrowth sends n alerts of 200 fingerprints on one host into one
// incident, for each n, and measures the incident once every alert is
// counted.
func runGrowth(ctx context.Context, o *Options, r *Report) error {
	for _, n := range o.Sizes.Growth {
		g, err := growth(ctx, o, n)
		if err != nil {
			return fmt.Errorf("%d alerts: %w", n, err)
		}
		r.Growth = append(r.Growth, *g)
		switch n {
		case 1000:
			r.StateBytes1000 = g.StateBytes
		case 20000:
			r.StateBytes20000 = g.StateBytes
		}
		o.progress("  %d alerts into one incident: state %d bytes, run history %d events (%d runs, %d events in all), settled in %.1f s",
			n, g.StateBytes, g.HistoryEvents, g.Runs, g.TotalEvents, g.SettledS)
	}
	return nil
}

func growth(ctx context.Context, o *Options, n int) (*Growth, error) {
	s, err := o.startStack(ctx, true)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	base := time.Now().UTC().Add(-time.Minute)
	batches, err := encodeBatches(n, 500, func(i int) alert.Alert { return oneHostAlert(i, 200, base) })
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for _, body := range batches {
		if err := s.post(ctx, "/v1/alerts", body, 202, nil); err != nil {
			return nil, err
		}
	}
	id := workflows.IncidentWorkflowID("host:dc01")
	var st workflows.IncidentState
	err = poll(ctx, settleWithin, func() (bool, error) {
		v, err := s.client.QueryWorkflow(ctx, id, "", workflows.QueryStatus)
		if err != nil {
			return false, nil
		}
		if err := v.Get(&st); err != nil {
			return false, err
		}
		return st.Occurrences >= n, nil
	})
	if err != nil {
		return nil, fmt.Errorf("incident counted %d of %d alerts: %w", st.Occurrences, n, err)
	}
	g := &Growth{Alerts: n, SettledS: round(time.Since(start).Seconds(), 1)}
	state, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	g.StateBytes = len(state)
	d, err := s.client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return nil, err
	}
	g.HistoryEvents = d.GetWorkflowExecutionInfo().GetHistoryLength()
	resp, err := s.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: s.cfg.Temporal.Namespace, Query: fmt.Sprintf("WorkflowId = '%s'", id), PageSize: 1000,
	})
	if err != nil {
		return nil, err
	}
	for _, e := range resp.GetExecutions() {
		// Visibility has no length for a running run: describe each.
		d, err := s.client.DescribeWorkflowExecution(ctx, id, e.GetExecution().GetRunId())
		if err != nil {
			return nil, err
		}
		g.Runs++
		g.TotalEvents += d.GetWorkflowExecutionInfo().GetHistoryLength()
	}
	return g, nil
}

// waitCount polls the visibility store until query counts n workflows.
func waitCount(ctx context.Context, s *stack, query string, n int) error {
	var last int64
	var lastErr error
	err := poll(ctx, settleWithin, func() (bool, error) {
		resp, err := s.client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: s.cfg.Temporal.Namespace, Query: query})
		if err != nil {
			// A busy server may time a count out: ask again.
			lastErr = err
			return false, nil
		}
		last = resp.GetCount()
		return last >= int64(n), nil
	})
	if err != nil {
		return fmt.Errorf("%d of %d for %s: %w (last error: %v)", last, n, query, err, lastErr)
	}
	return nil
}

// waitOccurrences polls the incidents until they count n alerts in all.
func waitOccurrences(ctx context.Context, s *stack, n int) error {
	total := 0
	err := poll(ctx, settleWithin, func() (bool, error) {
		execs, err := list(ctx, s, fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", workflows.IncidentType))
		if err != nil {
			return false, err
		}
		total = 0
		for _, e := range execs {
			v, err := s.client.QueryWorkflow(ctx, e.GetExecution().GetWorkflowId(), "", workflows.QueryStatus)
			if err != nil {
				return false, nil
			}
			var st workflows.IncidentState
			if err := v.Get(&st); err != nil {
				return false, err
			}
			total += st.Occurrences
		}
		return total >= n, nil
	})
	if err != nil {
		return fmt.Errorf("incidents count %d of %d alerts: %w", total, n, err)
	}
	return nil
}

// poll calls cond until it holds, fails, or within passes.
func poll(ctx context.Context, within time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(within)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// fanOut calls f(0..n-1) with at most par calls in flight; the first
// error stops it.
func fanOut(ctx context.Context, n, par int, f func(context.Context, int) error) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(par, 1))
	for i := range n {
		g.Go(func() error { return f(ctx, i) })
	}
	return g.Wait()
}

func list(ctx context.Context, s *stack, query string) ([]*workflowExecution, error) {
	var out []*workflowExecution
	var token []byte
	for {
		resp, err := s.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Namespace: s.cfg.Temporal.Namespace, Query: query, PageSize: 1000, NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", query, err)
		}
		out = append(out, resp.GetExecutions()...)
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return out, nil
		}
	}
}

// settledCost waits until a sample of runs of each type is quiet (no
// activity pending, history unchanged for longer than the case file's
// interval), then returns each type's cost per run times runs per alert,
// so that the two add up to the cost of one unique alert.
func settledCost(ctx context.Context, s *stack, alertType, incidentType string) (Cost, Cost, error) {
	const sample = 40
	var costs [2]Cost
	for k, typ := range []string{alertType, incidentType} {
		execs, err := list(ctx, s, fmt.Sprintf("WorkflowType = '%s'", typ))
		if err != nil {
			return Cost{}, Cost{}, err
		}
		if len(execs) == 0 {
			return Cost{}, Cost{}, fmt.Errorf("no %s runs", typ)
		}
		picked := execs[:min(sample, len(execs))]
		if err := settle(ctx, s, picked); err != nil {
			return Cost{}, Cost{}, err
		}
		var sum Cost
		for _, e := range picked {
			c, err := historyCost(ctx, s, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId())
			if err != nil {
				return Cost{}, Cost{}, err
			}
			sum = sum.plus(c)
		}
		// Per run, then per alert: runs of this type per unique alert.
		costs[k] = sum.per(float64(len(picked)))
	}
	return costs[0], costs[1], nil
}

// settle polls until the runs have no pending activity and their history
// lengths have not changed for quiet.
func settle(ctx context.Context, s *stack, execs []*workflowExecution) error {
	const quiet = 3 * time.Second
	lengths := map[string]int64{}
	stableSince := time.Now()
	return poll(ctx, time.Minute, func() (bool, error) {
		changed := false
		for _, e := range execs {
			d, err := s.client.DescribeWorkflowExecution(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId())
			if err != nil {
				return false, fmt.Errorf("describe %s: %w", e.GetExecution().GetWorkflowId(), err)
			}
			n := d.GetWorkflowExecutionInfo().GetHistoryLength()
			if lengths[e.GetExecution().GetRunId()] != n || len(d.GetPendingActivities()) > 0 {
				changed = true
			}
			lengths[e.GetExecution().GetRunId()] = n
		}
		if changed {
			stableSince = time.Now()
		}
		return time.Since(stableSince) >= quiet, nil
	})
}

// totalCost sums the cost of every run of the two types.
func totalCost(ctx context.Context, s *stack, types ...string) (Cost, Cost, error) {
	var costs [2]Cost
	for k, typ := range types {
		execs, err := list(ctx, s, fmt.Sprintf("WorkflowType = '%s'", typ))
		if err != nil {
			return Cost{}, Cost{}, err
		}
		for _, e := range execs {
			c, err := historyCost(ctx, s, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId())
			if err != nil {
				return Cost{}, Cost{}, err
			}
			costs[k] = costs[k].plus(c)
		}
	}
	return costs[0], costs[1], nil
}

// historyCost counts one run's workflow tasks, activities, local
// activities (markers), upserts, timers, events and encoded bytes.
func historyCost(ctx context.Context, s *stack, id, run string) (Cost, error) {
	var c Cost
	it := s.client.GetWorkflowHistory(ctx, id, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return c, fmt.Errorf("history of %s: %w", id, err)
		}
		c.HistoryEvents++
		c.HistoryBytes += float64(proto.Size(e))
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			c.WorkflowTasks++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			c.Activities++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if e.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
				c.LocalActivities++
			}
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			c.Upserts++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			c.Timers++
		}
	}
	return c, nil
}

func (c Cost) plus(d Cost) Cost {
	return Cost{
		WorkflowTasks: c.WorkflowTasks + d.WorkflowTasks, Activities: c.Activities + d.Activities,
		LocalActivities: c.LocalActivities + d.LocalActivities, Upserts: c.Upserts + d.Upserts,
		Timers: c.Timers + d.Timers, HistoryEvents: c.HistoryEvents + d.HistoryEvents,
		HistoryBytes: c.HistoryBytes + d.HistoryBytes,
	}
}

func (c Cost) per(n float64) Cost {
	if n == 0 {
		return Cost{}
	}
	r := func(v float64) float64 { return round(v/n, 3) }
	return Cost{
		WorkflowTasks: r(c.WorkflowTasks), Activities: r(c.Activities), LocalActivities: r(c.LocalActivities),
		Upserts: r(c.Upserts), Timers: r(c.Timers), HistoryEvents: r(c.HistoryEvents), HistoryBytes: r(c.HistoryBytes),
	}
}

func roundInt(v float64) int { return int(math.Round(v)) }

// encodeBatches encodes build(0..n-1) as JSON arrays of at most batch.
func encodeBatches(n, batch int, build func(int) alert.Alert) ([][]byte, error) {
	if batch <= 0 {
		return nil, errors.New("batch size must be positive")
	}
	var out [][]byte
	for lo := 0; lo < n; lo += batch {
		cur := make([]alert.Alert, 0, min(batch, n-lo))
		for i := lo; i < min(lo+batch, n); i++ {
			cur = append(cur, build(i))
		}
		data, err := json.Marshal(cur)
		if err != nil {
			return nil, err
		}
		out = append(out, data)
	}
	return out, nil
}

var benchEpoch = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// distinctAlert is alert i of the end-to-end phase: each on its own host,
// so each opens its own incident.
func distinctAlert(i int) alert.Alert {
	return alert.Alert{
		ID: fmt.Sprintf("e2e-%05d", i), Source: "bench", Rule: "Outbound beacon", Title: fmt.Sprintf("Beacon from ws-%05d", i),
		Category: "network", Severity: alert.SeverityMedium, Time: benchEpoch.Add(time.Duration(i) * time.Millisecond),
		Entities: alert.Entities{
			Hosts: []alert.Host{{Name: fmt.Sprintf("ws-%05d", i)}},
			IPs:   []alert.IP{{Addr: fmt.Sprintf("198.51.100.%d", i%250+1), Direction: alert.DirectionDestination}},
		},
	}
}

// stormAlert is alert i of the storm: fps fingerprints (hosts x rules).
func stormAlert(i, fps int) alert.Alert {
	hosts := min(4, fps)
	f := i % fps
	host, rule := f%hosts, f/hosts
	return alert.Alert{
		ID: fmt.Sprintf("storm-%06d", i), Source: "suricata", Rule: fmt.Sprintf("ET SCAN rule %d", rule),
		Title: fmt.Sprintf("Scan %d against srv-%d", rule, host), Category: "network", Severity: alert.SeverityLow,
		Time: benchEpoch.Add(time.Duration(i) * time.Millisecond),
		Entities: alert.Entities{
			Hosts: []alert.Host{{Name: fmt.Sprintf("srv-%d", host)}},
			IPs:   []alert.IP{{Addr: "198.51.100.77", Direction: alert.DirectionSource}},
		},
	}
}

// enrichAlert is alert i of the enrichment phase: a host, a user and two
// addresses, so that every configured source has something to look up.
func enrichAlert(i int) alert.Alert {
	return alert.Alert{
		ID: fmt.Sprintf("tte-%05d", i), Source: "bench", Rule: "Beacon", Title: fmt.Sprintf("Beacon %d", i),
		Category: "network", Severity: alert.SeverityMedium, Time: time.Now().UTC(),
		Entities: alert.Entities{
			Hosts: []alert.Host{{Name: fmt.Sprintf("tte-%05d", i)}},
			Users: []alert.User{{Name: fmt.Sprintf("user%d", i%50)}},
			IPs:   []alert.IP{{Addr: "198.51.100.66", Direction: alert.DirectionDestination}, {Addr: "10.0.1.42", Direction: alert.DirectionSource}},
		},
	}
}

// oneHostAlert is alert i of the growth phase: fps fingerprints, all on
// dc01, so all in one incident.
func oneHostAlert(i, fps int, base time.Time) alert.Alert {
	return alert.Alert{
		ID: fmt.Sprintf("dc01-%06d", i), Source: "suricata", Rule: fmt.Sprintf("ET POLICY rule %d", i%fps),
		Title: fmt.Sprintf("Policy violation %d on dc01", i%fps), Category: "network", Severity: alert.SeverityLow,
		Time: base.Add(time.Duration(i) * time.Millisecond),
		Entities: alert.Entities{
			Hosts: []alert.Host{{Name: "dc01"}},
			IPs:   []alert.IP{{Addr: "198.51.100.77", Direction: alert.DirectionSource}},
		},
	}
}

package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/policy"
)

// maxWindowEntities bounds the entities a window carries into its
// correlated alert: a spray from one address at ten thousand users must
// not make a ten-thousand-user alert.
const maxWindowEntities = 25

// Correlate holds the window of one Sigma correlation rule for one group
// key. Every alert occurrence that matches one of the rule's referenced
// rules arrives as an event signal; when the condition holds, the window
// raises a correlated alert into the pipeline (its own RespondToAlert run,
// linked to the alerts that made it fire) and starts afresh. It ends a
// timespan after its last event.
func (w *Workflows) Correlate(ctx workflow.Context, in CorrelateInput) (CorrelateResult, error) {
	c, err := newCorrelation(ctx, in)
	if err != nil {
		return CorrelateResult{}, err
	}
	if c.rule == nil {
		workflow.GetLogger(ctx).Warn("correlation rule no longer exists; closing its window", "rule", in.Rule)
		return c.result(), nil
	}
	return c.run(ctx)
}

// correlation is one run of a window.
type correlation struct {
	st     CorrelationState
	rule   *policy.Correlation
	limits activities.Limits
	events workflow.ReceiveChannel
	// bounded is set on runs that follow changeCorrelateBounded.
	bounded bool
	// signals counts this run's signals, duplicates included: Temporal's
	// limit counts them all.
	signals int
}

func newCorrelation(ctx workflow.Context, in CorrelateInput) (*correlation, error) {
	c := &correlation{st: CorrelationState{Rule: in.Rule, Key: in.Key}}
	if in.Resume != nil {
		c.st = *in.Resume
	}
	// Before anything that blocks, so that the window answers at once.
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (CorrelationState, error) { return c.st, nil }); err != nil {
		return nil, err
	}
	c.bounded = workflow.GetVersion(ctx, changeCorrelateBounded, workflow.DefaultVersion, 1) >= 1
	if c.bounded {
		c.resumeBounded(workflow.Now(ctx))
	} else if c.st.Seen == nil {
		c.st.Seen = map[string]int{}
	}
	c.events = workflow.GetSignalChannel(ctx, SignalEvent)
	var err error
	c.rule, c.limits, err = loadCorrelationRule(ctx, in.Rule)
	return c, err
}

// resumeBounded starts the window's clock on its first run, and moves a
// state carried from a run before changeCorrelateBounded onto Sources.
func (c *correlation) resumeBounded(now time.Time) {
	if c.st.Started.IsZero() {
		c.st.Started = now
	}
	if c.st.Sources == nil {
		c.st.Sources = map[string]SourceMark{}
	}
	// The old runs kept no time: count their sources as heard of now, so
	// that they are forgotten a timespan from here.
	for src, seq := range c.st.Seen {
		c.st.Sources[sourceKey(src)] = SourceMark{Seq: seq, At: now.Unix()}
	}
	c.st.Seen = nil
	c.st.Raised = lastN(c.st.Raised, MaxRaised)
}

// loadCorrelationRule reads the window's rule through a local activity,
// which records it in history for replay. Windows that began before
// changeCorrelateRuleOnly read the whole policy, as they did then.
func loadCorrelationRule(ctx workflow.Context, key string) (*policy.Correlation, activities.Limits, error) {
	if workflow.GetVersion(ctx, changeCorrelateRuleOnly, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		pol, err := loadPolicy(ctx)
		if err != nil {
			return nil, activities.Limits{}, err
		}
		return pol.Correlations.Get(key), activities.Limits{}, nil
	}
	var a *activities.Correlations
	var res activities.GetCorrelationRuleResult
	if err := workflow.ExecuteLocalActivity(policyOptions(ctx), a.GetCorrelationRule,
		activities.GetCorrelationRuleInput{Rule: key}).Get(ctx, &res); err != nil {
		return nil, activities.Limits{}, fmt.Errorf("load correlation rule %s: %w", key, err)
	}
	return res.Rule, res.Limits, nil
}

// run takes the window's events in batches and evaluates the rule on each,
// until the window has been quiet for a timespan.
func (c *correlation) run(ctx workflow.Context) (CorrelateResult, error) {
	for {
		ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      idleFor(c.rule, c.st.LastSignal, workflow.Now(ctx)),
			TimerOptions: workflow.TimerOptions{Summary: "correlation window " + c.rule.Timespan.String()},
		}, func() bool { return c.events.Len() > 0 })
		if err != nil {
			return CorrelateResult{}, err
		}
		if !ok {
			if workflow.Now(ctx).Sub(c.st.LastSignal) < c.rule.Timespan {
				continue
			}
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return CorrelateResult{}, err
			}
			// An event delivered with the closing timer is taken, not
			// dropped with the run: the window is not quiet after all.
			// (Windows before changeCorrelateBounded closed regardless,
			// and replay must close them as they did.)
			if c.events.Len() == 0 || !c.bounded {
				return c.result(), nil
			}
		}
		if err := c.take(ctx); err != nil {
			return CorrelateResult{}, err
		}
		if c.rolloverDue(ctx) {
			return CorrelateResult{}, c.continueAsNew(ctx)
		}
	}
}

// take applies every event signal delivered so far, then evaluates the
// rule once on the window.
func (c *correlation) take(ctx workflow.Context) error {
	now := workflow.Now(ctx)
	for {
		var s CorrelationSignal
		if !c.events.ReceiveAsync(&s) {
			break
		}
		c.signals++
		c.apply(s, now)
	}
	c.st.LastSignal = now
	if c.bounded {
		c.forget(now)
	}
	return c.evaluate(ctx)
}

// apply adds one event to the window unless its signal was applied before:
// a handoff retried after Temporal took it redelivers the same Source and
// Seq.
func (c *correlation) apply(s CorrelationSignal, now time.Time) {
	if c.bounded {
		k := sourceKey(s.Source)
		m, known := c.st.Sources[k]
		// A redelivery still counts as hearing of the source: it is
		// retrying, so remember it for as long again.
		c.st.Sources[k] = SourceMark{Seq: max(m.Seq, s.Seq), At: now.Unix()}
		if known && s.Seq <= m.Seq {
			return
		}
	} else {
		if last, seen := c.st.Seen[s.Source]; seen && s.Seq <= last {
			return
		}
		c.st.Seen[s.Source] = s.Seq
	}
	c.st.Events = append(c.st.Events, s.Event)
	mergeEntities(&c.st.Entities, s.Entities)
}

// forget drops the sources not heard of for a timespan, then the least
// recently heard of beyond MaxSources. A handoff redelivers within about a
// minute (handoffOptions); a later redelivery carries an occurrence that
// has left the window of any newer event, so counting it again is
// harmless. A source dropped for the bound and heard of again counts as
// new, which the bound trades for a state that cannot grow.
func (c *correlation) forget(now time.Time) {
	horizon := now.Add(-c.rule.Timespan).Unix()
	for k, m := range c.st.Sources {
		if m.At <= horizon {
			delete(c.st.Sources, k)
		}
	}
	if len(c.st.Sources) > MaxSources {
		pruneSources(c.st.Sources, MaxSources*9/10)
	}
}

// rolloverDue reports whether the run should continue as new. Windows
// before changeCorrelateBounded did only when Temporal suggested it, and
// replay must decide as they did.
func (c *correlation) rolloverDue(ctx workflow.Context) bool {
	if !c.bounded {
		return workflow.GetInfo(ctx).GetContinueAsNewSuggested()
	}
	return rolloverDue(ctx, c.limits, c.signals)
}

// continueAsNew carries the window into a new run once every handler has
// finished and every delivered event is applied, through the same path as
// the run's own batches: deduplicated, entities merged, the rule evaluated.
func (c *correlation) continueAsNew(ctx workflow.Context) error {
	if !c.bounded {
		// As windows before changeCorrelateBounded did: the events
		// delivered but not taken go into the carried window unevaluated.
		for {
			var s CorrelationSignal
			if !c.events.ReceiveAsync(&s) {
				break
			}
			c.st.Events = append(c.st.Events, s.Event)
		}
		st := c.st
		return workflow.NewContinueAsNewError(ctx, CorrelateType, CorrelateInput{Rule: c.st.Rule, Key: c.st.Key, Resume: &st})
	}
	for {
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
			return err
		}
		if c.events.Len() == 0 {
			break
		}
		// Raising an alert waits on an activity, during which more
		// events may arrive: go round until none is left.
		if err := c.take(ctx); err != nil {
			return err
		}
	}
	st := c.st
	return workflow.NewContinueAsNewError(ctx, CorrelateType, CorrelateInput{Rule: c.st.Rule, Key: c.st.Key, Resume: &st})
}

func (c *correlation) result() CorrelateResult {
	return CorrelateResult{Fired: c.st.Fired, Raised: c.st.Raised}
}

// idleFor is how long the window waits for its next event before it
// checks whether it may close.
func idleFor(rule *policy.Correlation, last, now time.Time) time.Duration {
	if last.IsZero() {
		return rule.Timespan
	}
	if d := last.Add(rule.Timespan).Sub(now); d > 0 {
		return d
	}
	return time.Second
}

// evaluate applies the rule to the window as of its newest event (event
// time, not arrival time, as Sigma's timespans mean), and raises the
// correlated alert when it fires.
func (c *correlation) evaluate(ctx workflow.Context) error {
	rule, st := c.rule, &c.st
	var newest time.Time
	for _, e := range st.Events {
		if e.Time.After(newest) {
			newest = e.Time
		}
	}
	window, fired := rule.Evaluate(st.Events, newest)
	st.Events = window
	if len(fired) == 0 {
		return nil
	}
	st.Fired++
	fp, id := c.names()
	a := correlatedAlert(rule, st, id, fired, newest)
	if err := signalWithStart(ctx, false, AlertWorkflowID(fp), RespondToAlertType, RespondToAlertInput{Fingerprint: fp},
		AlertSignal{Alert: a, Count: 1, ReceivedAt: workflow.Now(ctx)}, nil, alert.AlertMetadata(a)); err != nil {
		return err
	}
	st.Raised = append(st.Raised, AlertWorkflowID(fp))
	if c.bounded {
		st.Raised = lastN(st.Raised, MaxRaised)
	}
	// The events that fired are spent; a new match needs new events.
	st.Events = slices.DeleteFunc(st.Events, func(e policy.CorrelationEvent) bool {
		return slices.ContainsFunc(fired, func(f policy.CorrelationEvent) bool {
			return f.AlertID == e.AlertID && f.Time.Equal(e.Time) && f.Ref == e.Ref
		})
	})
	if rule.Type != policy.TemporalOrdered {
		st.Events = nil
	}
	return nil
}

// names returns the fingerprint and the alert ID of the correlated alert
// the window raises now. The fire counter starts again in every window,
// so the window's start is part of both: without it a new window's first
// alert would join the previous window's first, still open for its dedupe
// window, as a duplicate. Runs on one workflow ID never overlap, and each
// lasts a timespan (a second at least), so no two windows on a key start
// in the same second.
func (c *correlation) names() (fingerprint, alertID string) {
	rule, key, n := c.rule.Key(), c.st.Key, c.st.Fired
	if !c.bounded {
		return fmt.Sprintf("correlation-%s-%s-%d", policy.SanitizeKey(rule), shortHash(key), n),
			fmt.Sprintf("%s/%s#%d", rule, key, n)
	}
	start := c.st.Started.UTC().Format("20060102T150405Z")
	return fmt.Sprintf("correlation-%s-%s-%s-%d", policy.SanitizeKey(rule), shortHash(key), start, n),
		fmt.Sprintf("%s/%s@%s#%d", rule, key, start, n)
}

// lastN returns the last n entries of list, in a slice of its own so that
// the dropped ones are not kept alive behind it.
func lastN(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return slices.Clone(list[len(list)-n:])
}

// correlatedAlert builds the alert a firing rule raises.
func correlatedAlert(rule *policy.Correlation, st *CorrelationState, id string, fired []policy.CorrelationEvent, at time.Time) alert.Alert {
	var related []string
	count := 0
	for _, e := range fired {
		count += max(e.Count, 1)
		if e.AlertID != "" && !slices.Contains(related, e.AlertID) {
			related = append(related, e.AlertID)
		}
	}
	level := rule.Level
	if level == "" {
		level = "medium"
	}
	a := alert.Alert{
		ID:       id,
		Source:   "socflow-correlation",
		Rule:     rule.Key(),
		Title:    fmt.Sprintf("%s (%s)", rule.Title, st.Key),
		Category: categoryFromTags(rule.Tags),
		Description: fmt.Sprintf("Correlation %s fired on %s: %d occurrence(s) of %s within %s (%s).",
			rule.Key(), st.Key, count, strings.Join(rule.Rules, ", "), rule.Timespan, rule.Condition.String()),
		Severity:    policy.SigmaSeverity(level),
		Time:        at,
		Entities:    st.Entities,
		Techniques:  techniquesFromTags(rule.Tags),
		Correlation: rule.Key(),
		Related:     related,
		Labels:      map[string]string{"correlation_key": st.Key, "correlation_type": rule.Type},
	}
	if a.Entities.Empty() {
		// The group key itself is what the alert is about.
		a.Entities.Domains = nil
		a.Labels["group"] = st.Key
		a.Entities.Hosts = []alert.Host{{Name: st.Key}}
	}
	return a
}

func categoryFromTags(tags []string) string {
	for _, t := range tags {
		switch strings.ToLower(t) {
		case "attack.credential_access", "attack.initial_access", "attack.t1110", "attack.t1110.003":
			return "identity"
		case "attack.execution", "attack.defense_evasion":
			return "malware"
		case "attack.command_and_control", "attack.exfiltration":
			return "network"
		}
	}
	return "correlation"
}

func techniquesFromTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		if id, ok := strings.CutPrefix(strings.ToLower(t), "attack.t"); ok && id != "" && id[0] >= '0' && id[0] <= '9' {
			out = append(out, "T"+strings.ToUpper(id))
		}
	}
	return out
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// mergeEntities adds src's entities to dst, bounded per kind.
func mergeEntities(dst *alert.Entities, src alert.Entities) {
	for _, h := range src.Hosts {
		if len(dst.Hosts) < maxWindowEntities && !slices.ContainsFunc(dst.Hosts, func(x alert.Host) bool { return strings.EqualFold(x.Name, h.Name) }) {
			dst.Hosts = append(dst.Hosts, h)
		}
	}
	for _, u := range src.Users {
		if len(dst.Users) < maxWindowEntities && !slices.ContainsFunc(dst.Users, func(x alert.User) bool { return strings.EqualFold(x.Name, u.Name) }) {
			dst.Users = append(dst.Users, u)
		}
	}
	for _, ip := range src.IPs {
		if len(dst.IPs) < maxWindowEntities && !slices.ContainsFunc(dst.IPs, func(x alert.IP) bool { return x.Addr == ip.Addr && x.Direction == ip.Direction }) {
			dst.IPs = append(dst.IPs, ip)
		}
	}
	for _, p := range src.Processes {
		if len(dst.Processes) < maxWindowEntities {
			dst.Processes = append(dst.Processes, p)
		}
	}
}

// feedCorrelations signals every correlation window the alert belongs to
// with count new occurrences.
func (r *responder) feedCorrelations(ctx workflow.Context, count int, at time.Time) error {
	info := workflow.GetInfo(ctx).WorkflowExecution
	for _, m := range r.st.Correlations {
		sig := CorrelationSignal{
			Source: info.ID + "/" + info.RunID,
			Seq:    r.st.Seq,
			Event: policy.CorrelationEvent{
				Ref: m.Ref, Time: at, Count: count, Value: m.Value, AlertID: r.st.Alert.ID,
			},
			Entities: r.st.Alert.Entities,
		}
		id := CorrelationWorkflowID(m.Rule, m.Key)
		if err := signalEventWithStart(ctx, id, CorrelateInput{Rule: m.Rule, Key: m.Key}, sig); err != nil {
			return err
		}
	}
	return nil
}

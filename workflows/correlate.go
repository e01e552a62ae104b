package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

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
	st := CorrelationState{Rule: in.Rule, Key: in.Key, Seen: map[string]int{}}
	if in.Resume != nil {
		st = *in.Resume
		if st.Seen == nil {
			st.Seen = map[string]int{}
		}
	}
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (CorrelationState, error) { return st, nil }); err != nil {
		return CorrelateResult{}, err
	}
	pol, err := loadPolicy(ctx)
	if err != nil {
		return CorrelateResult{}, err
	}
	rule := pol.Correlations.Get(in.Rule)
	if rule == nil {
		workflow.GetLogger(ctx).Warn("correlation rule no longer exists; closing its window", "rule", in.Rule)
		return CorrelateResult{Fired: st.Fired, Raised: st.Raised}, nil
	}

	var pending []CorrelationSignal
	ch := workflow.GetSignalChannel(ctx, SignalEvent)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var s CorrelationSignal
			ch.Receive(ctx, &s)
			pending = append(pending, s)
		}
	})

	for {
		ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      idleFor(rule, st.LastSignal, workflow.Now(ctx)),
			TimerOptions: workflow.TimerOptions{Summary: "correlation window " + rule.Timespan.String()},
		}, func() bool { return len(pending) > 0 })
		if err != nil {
			return CorrelateResult{}, err
		}
		if !ok && len(pending) == 0 {
			if workflow.Now(ctx).Sub(st.LastSignal) >= rule.Timespan {
				break
			}
			continue
		}
		batch := pending
		pending = nil
		for _, s := range batch {
			if last, seen := st.Seen[s.Source]; seen && s.Seq <= last {
				continue
			}
			st.Seen[s.Source] = s.Seq
			st.Events = append(st.Events, s.Event)
			mergeEntities(&st.Entities, s.Entities)
		}
		st.LastSignal = workflow.Now(ctx)
		if err := w.evaluate(ctx, rule, &st); err != nil {
			return CorrelateResult{}, err
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			for _, s := range pending {
				st.Events = append(st.Events, s.Event)
			}
			resume := st
			return CorrelateResult{}, workflow.NewContinueAsNewError(ctx, CorrelateType, CorrelateInput{Rule: in.Rule, Key: in.Key, Resume: &resume})
		}
	}
	return CorrelateResult{Fired: st.Fired, Raised: st.Raised}, nil
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
func (w *Workflows) evaluate(ctx workflow.Context, rule *policy.Correlation, st *CorrelationState) error {
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
	a := correlatedAlert(rule, st, fired, newest)
	fp := fmt.Sprintf("correlation-%s-%s-%d", policy.SanitizeKey(rule.Key()), shortHash(st.Key), st.Fired)
	if err := signalWithStart(ctx, AlertWorkflowID(fp), RespondToAlertType, RespondToAlertInput{Fingerprint: fp},
		AlertSignal{Alert: a, Count: 1, ReceivedAt: workflow.Now(ctx)}); err != nil {
		return err
	}
	st.Raised = append(st.Raised, AlertWorkflowID(fp))
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

// correlatedAlert builds the alert a firing rule raises.
func correlatedAlert(rule *policy.Correlation, st *CorrelationState, fired []policy.CorrelationEvent, at time.Time) alert.Alert {
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
		ID:       fmt.Sprintf("%s/%s#%d", rule.Key(), st.Key, st.Fired),
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

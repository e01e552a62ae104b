package workflows

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/workflows/enrich"
)

// The playbook steps beyond Decide and Contain. Each is recorded in the
// progress (beginStep, endStep) like them, so that after continue-as-new
// the playbook's earlier steps return what they returned without acting
// again. The shipped playbooks call none of them, so a run recorded before
// them takes no new path: they need no version marker. A playbook that
// starts calling one is the playbook's change to guard.

// errStepFailed is a Run whose activity failed, as a continued run
// returns it again.
var errStepFailed = errors.New("playbook step failed")

// Wait implements playbooks.Case.
func (inc *incident) Wait(ctx workflow.Context, d time.Duration, why string) error {
	pos, done, err := inc.beginStep(StepWait)
	if err != nil || done != nil {
		return err
	}
	var w *WaitState
	if p := inc.st.Progress; p != nil && p.Wait != nil && p.Wait.Step == pos {
		w = p.Wait // resumed: the same deadline
	} else {
		w = &WaitState{Step: pos, Until: workflow.Now(ctx).Add(d)}
		if p != nil {
			p.Wait = w
		}
		inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, fmt.Sprintf("waiting %s: %s", alert.ShortDuration(d), why))
	}
	if wait := w.Until.Sub(workflow.Now(ctx)); wait > 0 {
		if _, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      wait,
			TimerOptions: workflow.TimerOptions{Summary: "playbook: " + alert.Truncate(alert.OneLine(why), 150)},
		}, func() bool { return inc.engine >= 1 && inc.rolloverDue(ctx) }); err != nil {
			return err
		}
	}
	if inc.engine >= 1 && inc.rolloverDue(ctx) && workflow.Now(ctx).Before(w.Until) {
		inc.rollingOver = true
		return errRollover
	}
	inc.endStep(StepOutcome{Step: pos, Kind: StepWait})
	return nil
}

// Notify implements playbooks.Case.
func (inc *incident) Notify(ctx workflow.Context, message string) error {
	pos, done, err := inc.beginStep(StepNotify)
	if err != nil || done != nil {
		return err
	}
	// Before the ladder has asked anyone, the message goes to the tier it
	// will ask first.
	tier := cmp.Or(inc.st.Tier, inc.st.Score.Tier)
	inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, "told "+tier+": "+message)
	inc.notifyWith(ctx, activities.NotifyMessage, func(c *activities.IncidentCard) {
		c.Message = message
		if c.Tier == "" {
			c.Tier, c.Channel = tier, inc.channel(tier)
		}
	})
	inc.endStep(StepOutcome{Step: pos, Kind: StepNotify})
	return nil
}

// Comment implements playbooks.Case.
func (inc *incident) Comment(ctx workflow.Context, message string) error {
	pos, done, err := inc.beginStep(StepComment)
	if err != nil || done != nil {
		return err
	}
	if inc.st.TicketKey == "" && inc.ticketing() {
		inc.ensureTicket(ctx)
	}
	if inc.st.TicketKey == "" {
		inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, "no ticket to comment on: "+message)
	} else {
		card := inc.card()
		card.Message = message
		inc.updateTicket(ctx, activities.NotifyMessage, card)
	}
	inc.endStep(StepOutcome{Step: pos, Kind: StepComment})
	return nil
}

// Transition implements playbooks.Case.
func (inc *incident) Transition(ctx workflow.Context, name string) error {
	pos, done, err := inc.beginStep(StepTicket)
	if err != nil || done != nil {
		return err
	}
	if inc.st.TicketKey == "" && inc.ticketing() {
		inc.ensureTicket(ctx)
	}
	actor := "playbook:" + inc.st.Playbook
	if inc.st.TicketKey == "" {
		inc.note(ctx, alert.StageTicket, actor, fmt.Sprintf("no ticket to move to %q", name))
	} else {
		var t *activities.Ticket
		err := workflow.ExecuteActivity(ticketOptions(ctx, "ticket: "+alert.Truncate(name, 100)), t.TransitionTicket, activities.TransitionTicketInput{
			Key: inc.st.TicketKey, Transition: name,
		}).Get(ctx, nil)
		if err != nil {
			inc.note(ctx, alert.StageTicket, actor, fmt.Sprintf("ticket %s not moved by %q: %s", inc.st.TicketKey, name, errText(err)))
		} else {
			inc.note(ctx, alert.StageTicket, actor, fmt.Sprintf("ticket %s moved by %q", inc.st.TicketKey, name))
		}
	}
	inc.endStep(StepOutcome{Step: pos, Kind: StepTicket})
	return nil
}

// playbookStepOptions are the options of a playbook's own activity (Run)
// and HTTP call (Call): transient failures retried for five minutes, then
// the last error is the step's.
func playbookStepOptions(ctx workflow.Context, what string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute, ScheduleToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{MaximumInterval: time.Minute},
		Summary:     "playbook: " + alert.Truncate(what, 150),
	})
}

// Run implements playbooks.Case.
func (inc *incident) Run(ctx workflow.Context, activity string, in, out any) error {
	pos, done, err := inc.beginStep(StepRun)
	if err != nil {
		return err
	}
	if done == nil {
		o := StepOutcome{Step: pos, Kind: StepRun}
		var raw json.RawMessage
		if err := workflow.ExecuteActivity(playbookStepOptions(ctx, activity), activity, in).Get(ctx, &raw); err != nil {
			o.Error = errText(err)
		} else if len(raw) > MaxRunOutputBytes {
			o.Error = fmt.Sprintf("its result is %d bytes, over the %d a playbook step may keep", len(raw), MaxRunOutputBytes)
		} else {
			o.Output = raw
		}
		if o.Error != "" {
			inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, fmt.Sprintf("%s failed: %s", activity, o.Error))
		}
		inc.endStep(o)
		done = &o
	}
	if done.Error != "" {
		return fmt.Errorf("%w: %s: %s", errStepFailed, activity, done.Error)
	}
	if out != nil && len(done.Output) > 0 {
		if err := json.Unmarshal(done.Output, out); err != nil {
			return fmt.Errorf("playbook step %s: decode its result: %w", activity, err)
		}
	}
	return nil
}

// Ask implements playbooks.Case. A question is kept in the incident's
// state (Questions) under its ID, answered or not, so that a run
// continued as new finds it: an answered one returns its answer, an open
// one is waited on to the same deadline. An unkeyed question also takes
// the playbook's next position, which checks that a continued run asks in
// the same order.
func (inc *incident) Ask(ctx workflow.Context, q playbooks.Question) (playbooks.Answer, error) {
	if inc.rollingOver {
		return playbooks.Answer{}, errRollover
	}
	id, pos := q.Key, -1
	if id == "" {
		p, _, err := inc.beginStep(StepAsk)
		if err != nil {
			return playbooks.Answer{}, err
		}
		id, pos = fmt.Sprintf("q%d", p+1), p
	} else if err := checkStepKey(id); err != nil {
		return playbooks.Answer{}, err
	}
	if inc.st.Round > 0 {
		// A follow-up alert's new round asks its own questions.
		id = fmt.Sprintf("%s.r%d", id, inc.st.Round)
	}
	qs := inc.question(id)
	if qs == nil {
		var err error
		if qs, err = inc.putQuestion(ctx, id, q); err != nil {
			return playbooks.Answer{}, err
		}
	}
	if qs.Answer == nil {
		if wait := qs.Deadline.Sub(workflow.Now(ctx)); wait > 0 {
			if _, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
				Timeout:      wait,
				TimerOptions: workflow.TimerOptions{Summary: "question: " + alert.Truncate(alert.OneLine(qs.Text), 150)},
			}, func() bool { return inc.question(id).Answer != nil || inc.rolloverDue(ctx) }); err != nil {
				return playbooks.Answer{}, err
			}
		}
		qs = inc.question(id)
		if qs.Answer == nil && inc.rolloverDue(ctx) && workflow.Now(ctx).Before(qs.Deadline) {
			inc.rollingOver = true
			return playbooks.Answer{}, errRollover
		}
		if qs.Answer == nil {
			qs.Answer = &alert.QuestionAnswer{Value: qs.Default, At: workflow.Now(ctx), TimedOut: true}
			inc.note(ctx, alert.StagePlaybook, "policy", fmt.Sprintf("no answer from %s to %q by its deadline; taking the default: %s", qs.Tier, qs.Text, orNone(qs.Default)))
			inc.publish(ctx)
		}
	}
	if pos >= 0 {
		if p := inc.st.Progress; p == nil || pos >= p.Steps {
			inc.endStep(StepOutcome{Step: pos, Kind: StepAsk})
		}
	}
	a := qs.Answer
	return playbooks.Answer{Value: a.Value, By: a.By, Via: a.Via, At: a.At, TimedOut: a.TimedOut}, nil
}

// question returns the incident's question with the ID, or nil.
func (inc *incident) question(id string) *alert.Question {
	for i := range inc.st.Questions {
		if inc.st.Questions[i].ID == id {
			return &inc.st.Questions[i]
		}
	}
	return nil
}

// putQuestion records a new question and asks it: a timeline line and a
// message to the tier, with the options as buttons.
func (inc *incident) putQuestion(ctx workflow.Context, id string, q playbooks.Question) (*alert.Question, error) {
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return nil, fmt.Errorf("playbook question %s: no text", id)
	}
	if len(inc.st.Questions) >= MaxQuestions {
		return nil, fmt.Errorf("playbook question %s: the incident has asked %d questions, the most it may keep", id, MaxQuestions)
	}
	qs := alert.Question{ID: id, Text: alert.Truncate(text, 2000), Options: q.Options, Default: q.Default, AskedAt: workflow.Now(ctx)}
	if q.Default != "" && len(q.Options) > 0 {
		d, ok := qs.Accepts(q.Default)
		if !ok {
			return nil, fmt.Errorf("playbook question %s: default %q is not one of its options (%s)", id, q.Default, strings.Join(q.Options, ", "))
		}
		qs.Default = d
	}
	qs.Tier = cmp.Or(q.Tier, inc.st.Tier, inc.st.Score.Tier)
	if qs.Tier == "" && len(inc.pol.Tiers) > 0 {
		qs.Tier = inc.pol.Tiers[0].Name
	}
	t := inc.pol.Tier(qs.Tier)
	if t == nil {
		return nil, fmt.Errorf("playbook question %s: no tier %q in the policy", id, qs.Tier)
	}
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = cmp.Or(t.Timeout, 30*time.Minute)
	}
	qs.Deadline = qs.AskedAt.Add(timeout)
	inc.st.Questions = append(inc.st.Questions, qs)
	opts := "any answer"
	if len(qs.Options) > 0 {
		opts = strings.Join(qs.Options, " / ")
	}
	inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, fmt.Sprintf("asked %s (%s): %s [%s; %s, then %s]",
		qs.Tier, id, qs.Text, opts, alert.ShortDuration(timeout), orNone(qs.Default)))
	card := qs
	inc.notifyWith(ctx, activities.NotifyQuestion, func(c *activities.IncidentCard) {
		c.Question = &card
		c.Tier, c.Channel = qs.Tier, inc.channel(qs.Tier)
	})
	inc.publish(ctx)
	return inc.question(id), nil
}

// checkStepKey refuses question and call keys that would not survive a
// URL, a Slack button value or a CLI argument unquoted.
func checkStepKey(k string) error {
	if len(k) > 100 {
		return fmt.Errorf("playbook question key %q: longer than 100 characters", alert.Truncate(k, 40))
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r)) {
			return fmt.Errorf("playbook question key %q: %q is not allowed (letters, digits, '.', '_', ':', '-')", k, r)
		}
	}
	return nil
}

// validateAnswer refuses an answer the incident cannot take: to a
// question it did not ask or has settled, with a value not offered, or
// from someone who is not an approver at the tier asked.
func (inc *incident) validateAnswer(_ workflow.Context, in AnswerInput) error {
	by := strings.TrimSpace(in.By)
	if by == "" {
		return errors.New("the answerer's identity is required")
	}
	if inc.pol == nil {
		return errors.New("the incident is starting; try again in a moment")
	}
	q := inc.question(strings.TrimSpace(in.Question))
	if q == nil {
		open := inc.openQuestions()
		if len(open) == 0 {
			return fmt.Errorf("incident %s has no question %q, and none open", inc.st.ID, in.Question)
		}
		return fmt.Errorf("incident %s has no question %q; open: %s", inc.st.ID, in.Question, strings.Join(open, ", "))
	}
	if q.Answer != nil {
		how := "answered by " + q.Answer.By
		if q.Answer.TimedOut {
			how = "settled by its default"
		}
		return fmt.Errorf("question %s was already %s: %s", q.ID, how, orNone(q.Answer.Value))
	}
	if _, ok := q.Accepts(in.Answer); !ok {
		if len(q.Options) == 0 {
			return fmt.Errorf("question %s needs an answer", q.ID)
		}
		return fmt.Errorf("%q is not an answer to question %s: choose %s", in.Answer, q.ID, strings.Join(q.Options, ", "))
	}
	if !inc.pol.MayDecide(q.Tier, by, in.Groups...) {
		return fmt.Errorf("%s is not an approver at tier %s, which was asked", by, q.Tier)
	}
	return nil
}

// answer takes a validated answer.
func (inc *incident) answer(ctx workflow.Context, in AnswerInput) (AnswerResult, error) {
	q := inc.question(strings.TrimSpace(in.Question))
	v, _ := q.Accepts(in.Answer)
	by := strings.TrimSpace(in.By)
	q.Answer = &alert.QuestionAnswer{Value: alert.Truncate(v, 2000), By: by, Via: in.Via, At: workflow.Now(ctx)}
	inc.acknowledge(ctx, by)
	inc.note(ctx, alert.StagePlaybook, by, fmt.Sprintf("answered %s via %s: %s", q.ID, orNone(in.Via), q.Answer.Value))
	inc.publish(ctx)
	return AnswerResult{Status: "accepted", Answer: q.Answer.Value}, nil
}

// openQuestions lists the IDs of the questions still waiting.
func (inc *incident) openQuestions() []string {
	var ids []string
	for _, q := range inc.st.Questions {
		if q.Answer == nil {
			ids = append(ids, q.ID)
		}
	}
	return ids
}

// maxEnrichedRelated bounds the related events one Enrich step keeps, in
// its result and in the incident's packet: the step's result travels with
// every continue-as-new.
const maxEnrichedRelated = 50

// Enrich implements playbooks.Case. It runs the named source (or every
// configured one) as the alert run does, on an alert made of the
// incident's entities and the request's indicators, and adds what it
// found to the incident's packet.
func (inc *incident) Enrich(ctx workflow.Context, r playbooks.EnrichRequest) (playbooks.Enrichment, error) {
	pos, done, err := inc.beginStep(StepEnrich)
	if err != nil {
		return playbooks.Enrichment{}, err
	}
	var out playbooks.Enrichment
	if done != nil {
		if len(done.Output) > 0 {
			if err := json.Unmarshal(done.Output, &out); err != nil {
				return out, fmt.Errorf("playbook step enrich: decode its result: %w", err)
			}
		}
		return out, nil
	}
	plan := inc.snap.Enrichment
	sources := enrich.For(plan)
	if r.Source != "" {
		i := slices.IndexFunc(sources, func(s enrich.Source) bool { return s.Name == r.Source })
		if i < 0 {
			names := make([]string, 0, len(sources))
			for _, s := range sources {
				names = append(names, s.Name)
			}
			return out, fmt.Errorf("playbook step enrich: no enrichment source %q on this worker (it has: %s)", r.Source, orNone(strings.Join(names, ", ")))
		}
		sources = sources[i : i+1]
	}
	if r.Window > 0 {
		plan.Window = r.Window
	}
	a := inc.entitiesAlert(ctx)
	in := enrich.NewInput(&a, plan)
	for _, ind := range r.Indicators {
		if ind = strings.TrimSpace(ind); ind != "" && !slices.Contains(in.Indicators, ind) {
			in.Indicators = append(in.Indicators, ind)
		}
	}
	in.Domains, in.Kinds = r.Domains, r.Kinds
	timeout := cmp.Or(plan.Timeout, 5*time.Second)
	lctx := enrichLocalOptions(ctx)
	in.Local = func(fn, arg any) workflow.Future { return workflow.ExecuteLocalActivity(lctx, fn, arg) }
	in.Remote = func(summary string, fn, arg any) workflow.Future {
		return workflow.ExecuteActivity(enrichRemoteOptions(ctx, timeout, "playbook: "+summary), fn, arg)
	}
	in.Store = func(_ string, fn, arg any) workflow.Future {
		return workflow.ExecuteLocalActivity(enrichStoreOptions(ctx, timeout), fn, arg)
	}
	var pkt alert.ContextPacket
	enrich.Run(ctx, in, sources, &pkt, errText)
	if len(pkt.Related) > maxEnrichedRelated {
		pkt.Related = pkt.Related[:maxEnrichedRelated]
	}
	out = playbooks.Enrichment{IntelHits: pkt.IntelHits, Related: pkt.Related, Asset: pkt.Asset, Users: pkt.Users, Gaps: pkt.Gaps}
	inc.addEnrichment(pkt)
	what := cmp.Or(r.Source, "every source")
	msg := fmt.Sprintf("enriched again (%s): %d intel hit(s), %d related event(s)", what, len(out.IntelHits), len(out.Related))
	for _, g := range out.Gaps {
		msg += fmt.Sprintf("; %s did not answer: %s", g.Source, g.Reason)
	}
	inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, msg)
	o := StepOutcome{Step: pos, Kind: StepEnrich}
	raw, err := json.Marshal(out)
	for err == nil && len(raw) > MaxRunOutputBytes && len(out.Related) > 0 {
		out.Related = out.Related[:len(out.Related)/2]
		raw, err = json.Marshal(out)
	}
	if err == nil && len(raw) <= MaxRunOutputBytes {
		o.Output = raw
	}
	inc.endStep(o)
	inc.publish(ctx)
	return out, nil
}

// entitiesAlert is the incident's entities as one alert, for the
// enrichment sources, which read alerts.
func (inc *incident) entitiesAlert(ctx workflow.Context) alert.Alert {
	a := alert.Alert{ID: inc.st.ID, Title: inc.st.Title, Time: workflow.Now(ctx)}
	for _, h := range inc.st.Hosts {
		a.Entities.Hosts = append(a.Entities.Hosts, alert.Host{Name: h})
	}
	for _, u := range inc.st.Users {
		a.Entities.Users = append(a.Entities.Users, alert.User{Name: u})
	}
	for _, ip := range inc.st.SourceIPs {
		a.Entities.IPs = append(a.Entities.IPs, alert.IP{Addr: ip, Direction: alert.DirectionSource})
	}
	for _, ip := range inc.st.DestinationIPs {
		a.Entities.IPs = append(a.Entities.IPs, alert.IP{Addr: ip, Direction: alert.DirectionDestination})
	}
	for _, h := range inc.st.Context.Hashes {
		a.Entities.Files = append(a.Entities.Files, alert.FileHash{SHA256: h})
	}
	return a
}

// addEnrichment adds a playbook's enrichment to the incident's packet:
// hits and events it did not have, the asset and users when it had none.
func (inc *incident) addEnrichment(pkt alert.ContextPacket) {
	c := &inc.st.Context
	for _, h := range pkt.IntelHits {
		if !slices.ContainsFunc(c.IntelHits, func(o alert.IntelHit) bool { return o.Indicator == h.Indicator && o.Source == h.Source }) {
			c.IntelHits = append(c.IntelHits, h)
		}
	}
	for _, e := range pkt.Related {
		if len(c.Related) >= maxEnrichedRelated {
			break
		}
		if !slices.ContainsFunc(c.Related, func(o alert.RelatedEvent) bool { return o.Time.Equal(e.Time) && o.Summary == e.Summary }) {
			c.Related = append(c.Related, e)
		}
	}
	if c.Asset == nil {
		c.Asset = pkt.Asset
	}
	if len(c.Users) == 0 {
		c.Users = pkt.Users
	}
}

// beginKeyed is beginStep for a step that may carry a key: a keyed step
// is found among the outcomes by its key (pos -1), whatever the order in
// which concurrent branches reach it.
func (inc *incident) beginKeyed(kind, key string) (pos int, done *StepOutcome, err error) {
	if key == "" {
		return inc.beginStep(kind)
	}
	if inc.rollingOver {
		return -1, nil, errRollover
	}
	if err := checkStepKey(key); err != nil {
		return -1, nil, err
	}
	if p := inc.st.Progress; p != nil {
		for i := range p.Outcomes {
			if o := &p.Outcomes[i]; o.Key == key {
				if o.Kind != kind {
					return -1, nil, fmt.Errorf("playbook step %s was %s, now %s", key, o.Kind, kind)
				}
				return -1, o, nil
			}
		}
	}
	return -1, nil, nil
}

// endKeyed records a step begun with beginKeyed.
func (inc *incident) endKeyed(o StepOutcome) {
	if o.Key == "" {
		inc.endStep(o)
		return
	}
	if p := inc.st.Progress; p != nil {
		o.Step = -1
		p.Outcomes = append(p.Outcomes, o)
	}
}

// Call implements playbooks.Case.
func (inc *incident) Call(ctx workflow.Context, r playbooks.HTTPRequest) (playbooks.HTTPResponse, error) {
	pos, done, err := inc.beginKeyed(StepCall, r.Key)
	if err != nil {
		return playbooks.HTTPResponse{}, err
	}
	what := strings.TrimSpace(strings.ToUpper(cmp.Or(r.Method, "GET")) + " " + r.Target + " " + r.Path)
	if done == nil {
		o := StepOutcome{Step: pos, Kind: StepCall, Key: r.Key}
		var res activities.CallHTTPResult
		var w *activities.Webhook
		if err := workflow.ExecuteActivity(playbookStepOptions(ctx, what), w.CallHTTP, activities.CallHTTPInput{
			Target: r.Target, Method: r.Method, Path: r.Path, Header: r.Header, Body: r.Body,
		}).Get(ctx, &res); err != nil {
			o.Error = errText(err)
			inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, fmt.Sprintf("%s failed: %s", what, o.Error))
		} else {
			o.Output, _ = json.Marshal(res) // plain data: cannot fail
			if res.Status < 200 || res.Status > 299 {
				o.Error = fmt.Sprintf("answered %d: %s", res.Status, alert.Truncate(alert.OneLine(res.Body), 300))
			}
			inc.note(ctx, alert.StagePlaybook, "playbook:"+inc.st.Playbook, fmt.Sprintf("%s: %d", what, res.Status))
		}
		inc.endKeyed(o)
		done = &o
	}
	var res activities.CallHTTPResult
	if len(done.Output) > 0 {
		if err := json.Unmarshal(done.Output, &res); err != nil {
			return playbooks.HTTPResponse{}, fmt.Errorf("playbook step %s: decode its result: %w", what, err)
		}
	}
	out := playbooks.HTTPResponse{Status: res.Status, Body: res.Body}
	if done.Error != "" {
		return out, fmt.Errorf("%w: %s: %s", errStepFailed, what, done.Error)
	}
	return out, nil
}

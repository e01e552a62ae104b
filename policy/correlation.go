package policy

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
)

// Correlation types of the Sigma correlation specification (v2) that
// socflow evaluates.
const (
	EventCount      = "event_count"
	ValueCount      = "value_count"
	Temporal        = "temporal"
	TemporalOrdered = "temporal_ordered"
)

// Correlation is a Sigma correlation rule, compiled. Alerts that match one
// of its referenced rules are counted in a window per group key, in a
// durable correlation/<rule>/<key> workflow, which raises a correlated
// alert when the condition holds.
type Correlation struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name,omitempty"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Level is the Sigma level of the correlated alert (informational,
	// low, medium, high, critical); empty for inner rules of a chain.
	Level    string        `json:"level,omitempty"`
	Type     string        `json:"type"`
	Rules    []string      `json:"rules"`
	GroupBy  []string      `json:"group_by"`
	Timespan time.Duration `json:"timespan"`
	// Condition is nil for temporal types without one (all rules must
	// appear).
	Condition *Condition `json:"condition,omitempty"`
	// Aliases maps an alias used in GroupBy to, per referenced rule, the
	// field that holds it.
	Aliases map[string]map[string]string `json:"aliases,omitempty"`
	// Generate also keeps the referenced rules' alerts as stand-alone
	// alerts; by default (false) they only feed the correlation.
	Generate bool     `json:"generate,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// File and Line say where the rule was read, for messages.
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
}

// Condition is a Sigma correlation condition: every bound set must hold.
type Condition struct {
	Field string `json:"field,omitempty"`
	GT    *int   `json:"gt,omitempty"`
	GTE   *int   `json:"gte,omitempty"`
	LT    *int   `json:"lt,omitempty"`
	LTE   *int   `json:"lte,omitempty"`
	EQ    *int   `json:"eq,omitempty"`
	NEQ   *int   `json:"neq,omitempty"`
}

// Holds reports whether n satisfies every bound.
func (c *Condition) Holds(n int) bool {
	if c == nil {
		return true
	}
	return (c.GT == nil || n > *c.GT) && (c.GTE == nil || n >= *c.GTE) &&
		(c.LT == nil || n < *c.LT) && (c.LTE == nil || n <= *c.LTE) &&
		(c.EQ == nil || n == *c.EQ) && (c.NEQ == nil || n != *c.NEQ)
}

// String renders the condition as Sigma writes it.
func (c *Condition) String() string {
	if c == nil {
		return "all rules"
	}
	var parts []string
	for _, b := range []struct {
		op string
		v  *int
	}{{"gt", c.GT}, {"gte", c.GTE}, {"lt", c.LT}, {"lte", c.LTE}, {"eq", c.EQ}, {"neq", c.NEQ}} {
		if b.v != nil {
			parts = append(parts, b.op+" "+strconv.Itoa(*b.v))
		}
	}
	s := strings.Join(parts, " and ")
	if c.Field != "" {
		s = "distinct " + c.Field + " " + s
	}
	return s
}

// Key is the rule's stable name: its name, else its id, else its title.
func (c *Correlation) Key() string {
	switch {
	case c.Name != "":
		return c.Name
	case c.ID != "":
		return c.ID
	}
	return SanitizeKey(c.Title)
}

// BaseRule is a Sigma rule a correlation refers to. An alert matches it
// when the alert's rule equals the base rule's name, id or title, or when
// the base rule's detection matches the alert's fields.
type BaseRule struct {
	ID        string     `json:"id,omitempty"`
	Name      string     `json:"name,omitempty"`
	Title     string     `json:"title,omitempty"`
	Detection *Detection `json:"detection,omitempty"`
}

// Correlations is the loaded rule set.
type Correlations struct {
	Rules []Correlation `json:"rules,omitempty"`
	// Bases are the detection rules defined next to the correlations,
	// keyed by name and by id.
	Bases map[string]BaseRule `json:"bases,omitempty"`
}

// Membership says that an alert counts for one correlation rule.
type Membership struct {
	Rule string `json:"rule"`
	// Ref is the referenced rule the alert matched.
	Ref string `json:"ref"`
	// Key is the group key, "field=value,..." over the rule's group-by.
	Key string `json:"key"`
	// Value is the alert's value of the value_count field.
	Value string `json:"value,omitempty"`
}

// Memberships returns every correlation the alert feeds. An alert whose
// group-by fields are missing cannot be grouped and is left out of that
// rule.
func (cs *Correlations) Memberships(a *alert.Alert) []Membership {
	var out []Membership
	for i := range cs.Rules {
		r := &cs.Rules[i]
		for _, ref := range r.Rules {
			if !cs.matches(ref, a) {
				continue
			}
			key, ok := r.groupKey(ref, a)
			if !ok {
				continue
			}
			m := Membership{Rule: r.Key(), Ref: ref, Key: key}
			if r.Type == ValueCount && r.Condition != nil {
				if vals := CorrelationField(a, r.field(ref, r.Condition.Field)); len(vals) > 0 {
					m.Value = strings.ToLower(vals[0])
				} else {
					continue
				}
			}
			out = append(out, m)
			break
		}
	}
	return out
}

// FeedsOnly reports whether the alert only feeds correlations: it matches a
// rule referenced by a correlation without generate, and so does not make
// an incident by itself.
func (cs *Correlations) FeedsOnly(a *alert.Alert) bool {
	fed := false
	for i := range cs.Rules {
		r := &cs.Rules[i]
		for _, ref := range r.Rules {
			if cs.matches(ref, a) {
				if r.Generate {
					return false
				}
				fed = true
			}
		}
	}
	return fed
}

// Referenced reports whether some correlation refers to the rule, which
// makes that rule an inner link of a chain: its alerts feed the outer rule.
func (cs *Correlations) Referenced(c *Correlation) bool {
	for i := range cs.Rules {
		for _, ref := range cs.Rules[i].Rules {
			if ref == c.Name || (c.ID != "" && ref == c.ID) {
				return true
			}
		}
	}
	return false
}

// Get returns the correlation rule with the given key.
func (cs *Correlations) Get(key string) *Correlation {
	for i := range cs.Rules {
		if cs.Rules[i].Key() == key {
			return &cs.Rules[i]
		}
	}
	return nil
}

func (cs *Correlations) matches(ref string, a *alert.Alert) bool {
	if strings.EqualFold(a.Rule, ref) || strings.EqualFold(a.Correlation, ref) {
		return true
	}
	b, ok := cs.Bases[ref]
	if !ok {
		return false
	}
	for _, n := range []string{b.Name, b.ID, b.Title} {
		if n != "" && (strings.EqualFold(a.Rule, n) || strings.EqualFold(a.Correlation, n)) {
			return true
		}
	}
	return b.Detection != nil && b.Detection.Matches(a)
}

// field resolves a group-by or condition field for a referenced rule
// through the aliases.
func (c *Correlation) field(ref, name string) string {
	if per, ok := c.Aliases[name]; ok {
		if f, ok := per[ref]; ok {
			return f
		}
	}
	return name
}

func (c *Correlation) groupKey(ref string, a *alert.Alert) (string, bool) {
	parts := make([]string, 0, len(c.GroupBy))
	for _, g := range c.GroupBy {
		vals := CorrelationField(a, c.field(ref, g))
		if len(vals) == 0 {
			return "", false
		}
		parts = append(parts, SanitizeKey(g)+"="+SanitizeKey(vals[0]))
	}
	return strings.Join(parts, ","), true
}

// correlationAliases maps the field names Sigma rules commonly use (Windows,
// ECS, Sigma taxonomy) onto socflow's fields, so that a rule written for a
// SIEM groups socflow's canonical alerts the same way.
var correlationAliases = map[string]string{
	"computername": "host", "computer": "host", "hostname": "host", "host.name": "host", "workstationname": "host", "device": "host",
	"user": "user", "username": "user", "user.name": "user", "targetusername": "user", "subjectusername": "user", "accountname": "user",
	"sourceip": "src_ip", "source.ip": "src_ip", "src_ip": "src_ip", "ipaddress": "src_ip", "srcip": "src_ip", "client.ip": "src_ip",
	"destinationip": "dst_ip", "destination.ip": "dst_ip", "dst_ip": "dst_ip", "destip": "dst_ip", "dest_ip": "dst_ip",
	"image": "processes", "process.name": "processes", "commandline": "processes",
}

// CorrelationField returns the alert's values for a field named as a
// Sigma rule names it: socflow's own field paths, the common aliases above,
// or a label.
func CorrelationField(a *alert.Alert, name string) []string {
	if KnownField(name) {
		if v := Fields(a, name); len(v) > 0 {
			return v
		}
	}
	if canon, ok := correlationAliases[strings.ToLower(name)]; ok {
		return Fields(a, canon)
	}
	if v, ok := a.Labels[name]; ok && v != "" {
		return []string{v}
	}
	return nil
}

// CorrelationEvent is one alert occurrence inside a correlation window.
type CorrelationEvent struct {
	Ref     string    `json:"ref"`
	Time    time.Time `json:"time"`
	Count   int       `json:"count"`
	Value   string    `json:"value,omitempty"`
	AlertID string    `json:"alert_id"`
}

// Evaluate decides whether the rule fires on the window's events as of
// now. It returns the events inside the timespan (the caller keeps only
// those) and, when the rule fires, the events that made it fire.
func (c *Correlation) Evaluate(events []CorrelationEvent, now time.Time) (window, fired []CorrelationEvent) {
	from := now.Add(-c.Timespan)
	for _, e := range events {
		if !e.Time.Before(from) {
			window = append(window, e)
		}
	}
	sort.SliceStable(window, func(i, j int) bool { return window[i].Time.Before(window[j].Time) })
	switch c.Type {
	case EventCount:
		n := 0
		for _, e := range window {
			n += max(e.Count, 1)
		}
		if n > 0 && c.Condition.Holds(n) {
			return window, window
		}
	case ValueCount:
		seen := map[string]bool{}
		for _, e := range window {
			if e.Value != "" {
				seen[e.Value] = true
			}
		}
		if len(seen) > 0 && c.Condition.Holds(len(seen)) {
			return window, window
		}
	case Temporal:
		seen := map[string]bool{}
		for _, e := range window {
			seen[e.Ref] = true
		}
		if c.temporalHolds(len(seen)) {
			return window, window
		}
	case TemporalOrdered:
		// The referenced rules must appear in order: find the earliest
		// occurrence of each after the previous one's.
		var used []CorrelationEvent
		i := 0
		for _, ref := range c.Rules {
			found := false
			for ; i < len(window); i++ {
				if window[i].Ref == ref {
					used = append(used, window[i])
					found = true
					i++
					break
				}
			}
			if !found {
				return window, nil
			}
		}
		return window, used
	}
	return window, nil
}

func (c *Correlation) temporalHolds(distinct int) bool {
	if c.Condition == nil || (c.Condition.GT == nil && c.Condition.GTE == nil && c.Condition.LT == nil &&
		c.Condition.LTE == nil && c.Condition.EQ == nil && c.Condition.NEQ == nil) {
		return distinct == len(c.Rules)
	}
	return c.Condition.Holds(distinct)
}

// SigmaSeverity maps a Sigma level onto socflow's severity.
func SigmaSeverity(level string) alert.Severity {
	switch strings.ToLower(level) {
	case "critical":
		return alert.SeverityCritical
	case "high":
		return alert.SeverityHigh
	case "medium":
		return alert.SeverityMedium
	case "low":
		return alert.SeverityLow
	}
	return alert.SeverityInfo
}

// Describe renders the rule in one line.
func (c *Correlation) Describe() string {
	return fmt.Sprintf("%s over [%s] by %s within %s: %s", c.Type, strings.Join(c.Rules, ", "),
		strings.Join(c.GroupBy, "+"), c.Timespan, c.Condition.String())
}

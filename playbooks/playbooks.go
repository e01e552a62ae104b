package playbooks

import (
	"fmt"
	"net/netip"
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/alert"
)

// View is a snapshot of the case a playbook works on: a deep copy, so that
// a playbook changing it changes nothing in the incident.
type View struct {
	IncidentID string
	Title      string
	Score      alert.Score
	// Categories are the alert categories present ("network", "malware").
	Categories []string
	// Rules are the detection rules of the alerts that joined, and
	// Techniques the ATT&CK techniques they name ("T1021.002"), each
	// distinct, in the order they arrived.
	Rules      []string
	Techniques []string
	Context    alert.ContextPacket
	Hosts      []string
	Users      []string
	// SourceIPs and DestinationIPs are the addresses the alerts name.
	SourceIPs      []string
	DestinationIPs []string
	// Domains, URLs and Hashes are what the alerts name: a phishing mail's
	// sender domain and links, a malware alert's files (lower-case hex).
	Domains, URLs, Hashes []string
	Drill                 bool
}

// Outcome is what a decision amounted to.
type Outcome struct {
	Decision alert.Decision
	// Approved are the actions the decision approved.
	Approved []alert.Action
}

// Case is what a playbook can do. The Incident workflow implements it.
type Case interface {
	// View returns the case as it stands now; alerts keep arriving while a
	// playbook runs, so call it again after waiting.
	View() View
	// Note adds a line to the incident's timeline.
	Note(ctx workflow.Context, message string)
	// Decide proposes actions and runs the escalation ladder until someone
	// decides or the policy's timeout default applies.
	Decide(ctx workflow.Context, proposal []alert.Action) (Outcome, error)
	// Contain carries out the actions as a saga and returns each result.
	// When one fails, the ones already done are undone in reverse order.
	Contain(ctx workflow.Context, actions []alert.Action) ([]alert.ActionResult, error)
	// Wait pauses the playbook for d on a durable timer (why is its
	// summary in the Temporal UI): alerts and decisions keep arriving.
	Wait(ctx workflow.Context, d time.Duration, why string) error
	// Notify tells the tier the incident is with, where its messages go
	// (the Slack thread, the console), and comments on its ticket.
	Notify(ctx workflow.Context, message string) error
	// Comment adds a comment to the incident's ticket; without a ticket
	// it notes that in the timeline.
	Comment(ctx workflow.Context, message string) error
	// Transition moves the incident's ticket through its workflow by the
	// transition's name ("Start Progress"); a ticket that cannot take it
	// is noted in the timeline, as a failed comment is, not returned.
	Transition(ctx workflow.Context, name string) error
	// Run runs one of the playbook's own activities, registered in the
	// engineer's worker under activity, with in, and decodes its result
	// into out (nil: ignore it). It retries transient failures for up to
	// five minutes and returns the last error; the result is kept (at
	// most 64 KiB of JSON) so that a continued run returns it again
	// without running the activity twice.
	Run(ctx workflow.Context, activity string, in, out any) error
	// Ask puts a question to a tier (a Slack message with the options as
	// buttons, the web view's form, `socflow incident answer`) and waits,
	// durably, for an answer from one of the tier's approvers, or until
	// the question's timeout, when its Default is the answer.
	Ask(ctx workflow.Context, q Question) (Answer, error)
	// Enrich runs an enrichment source again, or one the alert run did
	// not (a file hash lookup), on the case's entities and the request's
	// extra indicators. What it finds is added to the incident's context
	// packet and returned; a source that fails is a gap in the result,
	// not an error. The result is kept, so a continued run does not ask
	// twice.
	Enrich(ctx workflow.Context, r EnrichRequest) (Enrichment, error)
	// Call sends a request to one of the HTTP APIs the configuration
	// names (integrations.http): the playbook gives the target's name and
	// a path, never an address or a credential. A non-2xx answer is an
	// error, returned with the answer. The answer is kept (at most 32 KiB
	// of body), so a continued run does not call twice.
	Call(ctx workflow.Context, r HTTPRequest) (HTTPResponse, error)
}

// HTTPRequest is what Call sends.
type HTTPRequest struct {
	// Key names the call within the incident, as Question.Key does:
	// needed when calls run concurrently (workflow.Go).
	Key    string
	Target string
	Method string
	// Path is resolved under the target's URL ("/api/v1/block?dry=1").
	Path   string
	Header map[string][]string
	Body   string
}

// HTTPResponse is the target's answer.
type HTTPResponse struct {
	Status int
	Body   string
}

// EnrichRequest is what Enrich asks.
type EnrichRequest struct {
	// Source names one source: "intel", "assets", "cmdb", "users",
	// "events", "edr", or an online intel provider ("virustotal",
	// "abuseipdb"). Empty runs every configured one. A source the worker
	// does not have is an error naming those it has.
	Source string
	// Indicators are looked up beside the case's own: hashes, URLs,
	// domains, addresses.
	Indicators []string
	// Domains and Kinds narrow an events query ("events"): events on
	// these domains (an email's sender domain), of these kinds ("email").
	// With Domains set, the query asks by domain only.
	Domains, Kinds []string
	// Window is how far back events are looked for (0: the configured
	// window).
	Window time.Duration
}

// Enrichment is what Enrich found.
type Enrichment struct {
	IntelHits []alert.IntelHit
	Related   []alert.RelatedEvent
	Asset     *alert.Asset
	Users     []alert.UserContext
	Gaps      []alert.Gap
}

// Question is what Ask asks.
type Question struct {
	// Key names the question within the incident (letters, digits, '.',
	// '_', ':' and '-'; at most 100). Empty numbers it by its place in the
	// playbook ("q3"). Name it when questions may be asked concurrently
	// (workflow.Go): a keyed question is found by its key, not by order.
	Key  string
	Text string
	// Options are the answers offered (buttons); empty takes any text.
	Options []string
	// Tier is who is asked; empty: the tier the incident is with, or the
	// one the ladder will ask first.
	Tier string
	// Timeout is how long the tier has (0: the tier's own timeout), after
	// which Default is the answer.
	Timeout time.Duration
	Default string
}

// Answer is what a question got.
type Answer struct {
	// Value is the option chosen (as Options spells it) or the text
	// given; Default when time ran out (TimedOut).
	Value    string
	By       string
	Via      string
	At       time.Time
	TimedOut bool
}

// Playbook is a named response procedure, in one of its versions.
type Playbook struct {
	Name string
	// Version numbers the playbook's versions (0 reads as 1). An incident
	// keeps the version it started with: register a changed playbook as a
	// new version beside the old one, and remove the old one once no
	// incident that started on it can still be open.
	Version     int
	Description string
	// Actions are the kinds of containment it may propose, for `socflow
	// playbook validate` to check against the configured providers (an
	// action no provider can carry out is left out of every proposal).
	Actions []alert.ActionKind
	Run     func(ctx workflow.Context, c Case) error
}

// Registry holds the playbooks by name and version.
type Registry struct {
	byName map[string]map[int]Playbook
}

// NewRegistry returns a registry holding the given playbooks.
func NewRegistry(pbs ...Playbook) *Registry {
	r := &Registry{byName: map[string]map[int]Playbook{}}
	for _, p := range pbs {
		r.Add(p)
	}
	return r
}

// Add registers a playbook version, replacing the same name and version.
func (r *Registry) Add(p Playbook) {
	p.Version = max(p.Version, 1)
	if r.byName[p.Name] == nil {
		r.byName[p.Name] = map[int]Playbook{}
	}
	r.byName[p.Name][p.Version] = p
}

// Remove drops every version of the named playbook: a test kit that runs
// one version puts it alone under its name, so that the incident starts
// on it and not on a later one.
func (r *Registry) Remove(name string) { delete(r.byName, name) }

// Get returns the named playbook's latest version, which new incidents
// start on.
func (r *Registry) Get(name string) (Playbook, bool) {
	vs := r.Versions(name)
	if len(vs) == 0 {
		return Playbook{}, false
	}
	return r.byName[name][vs[len(vs)-1]], true
}

// GetVersion returns one version of the named playbook (0 reads as 1).
func (r *Registry) GetVersion(name string, version int) (Playbook, bool) {
	p, ok := r.byName[name][max(version, 1)]
	return p, ok
}

// Versions lists the named playbook's versions, oldest first.
func (r *Registry) Versions(name string) []int {
	vs := make([]int, 0, len(r.byName[name]))
	for v := range r.byName[name] {
		vs = append(vs, v)
	}
	sort.Ints(vs)
	return vs
}

// Has reports whether the named playbook exists.
func (r *Registry) Has(name string) bool { return len(r.byName[name]) > 0 }

// List returns the latest version of each playbook, sorted by name.
func (r *Registry) List() []Playbook {
	out := make([]Playbook, 0, len(r.byName))
	for name := range r.byName {
		p, _ := r.Get(name)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Builtin returns the playbooks socflow ships. Version 1 of each is kept
// for the incidents that started on it; new incidents take the latest.
func Builtin() *Registry {
	isolate, block, disable := alert.ActionIsolateHost, alert.ActionBlockIP, alert.ActionDisableUser
	revoke, hash, domain := alert.ActionRevokeSessions, alert.ActionBlockHash, alert.ActionBlockSenderDomain
	return NewRegistry(
		Playbook{Name: "standard", Description: "Propose the containment the entities allow (isolate host, block external source, disable user), decide, contain.",
			Actions: []alert.ActionKind{isolate, block, disable}, Run: Standard},
		Playbook{Name: "network-anomaly", Description: "Block the external addresses involved; isolate the host only on a P1.",
			Actions: []alert.ActionKind{block, isolate}, Run: NetworkAnomaly},
		Playbook{Name: "network-anomaly", Version: 2, Description: "Network anomaly or C2 beaconing: block the external addresses; isolate the source host on a P1 or beaconing, one tagged no-isolation only if its tier says so.",
			Actions: []alert.ActionKind{block, isolate}, Run: NetworkAnomalyV2},
		Playbook{Name: "malware-on-host", Description: "Isolate the host and block the addresses it talked to.",
			Actions: []alert.ActionKind{isolate, block}, Run: MalwareOnHost},
		Playbook{Name: "malware-on-host", Version: 2, Description: "Collect the host's related events onto the ticket; isolate the host on approval, block the files' hashes and the addresses it called.",
			Actions: []alert.ActionKind{isolate, hash, block}, Run: MalwareOnHostV2},
		Playbook{Name: "account-compromise", Description: "Disable the account and block the source address.",
			Actions: []alert.ActionKind{disable, block}, Run: AccountCompromise},
		Playbook{Name: "account-compromise", Version: 2, Description: "Failed logins then success, impossible travel: tell the tier what the login history knows; revoke the sessions and disable the account on approval, block the source address.",
			Actions: []alert.ActionKind{revoke, disable, block}, Run: AccountCompromiseV2},
		Playbook{Name: "phishing", Description: "Look up the mail's links and files, find the other recipients in the event store, block the sender's domain and the attachments' hashes on approval.",
			Actions: []alert.ActionKind{domain, hash}, Run: Phishing},
	)
}

// Respond is the common shape of the built-in playbooks: propose, decide,
// contain what was approved.
func Respond(ctx workflow.Context, c Case, proposal []alert.Action) error {
	if len(proposal) == 0 {
		c.Note(ctx, "no containment action applies to these entities; escalating for review only")
	}
	out, err := c.Decide(ctx, proposal)
	if err != nil {
		return err
	}
	if out.Decision.Verdict != alert.VerdictApprove || len(out.Approved) == 0 {
		return nil
	}
	_, err = c.Contain(ctx, out.Approved)
	return err
}

// Standard proposes every action the entities allow.
func Standard(ctx workflow.Context, c Case) error {
	v := c.View()
	var acts []alert.Action
	for _, h := range v.Hosts {
		acts = append(acts, alert.NewAction(alert.ActionIsolateHost, h, "host named by "+v.Title))
	}
	for _, ip := range External(v.SourceIPs) {
		acts = append(acts, alert.NewAction(alert.ActionBlockIP, ip, "external source of "+v.Title))
	}
	for _, u := range v.Users {
		acts = append(acts, alert.NewAction(alert.ActionDisableUser, u, "account named by "+v.Title))
	}
	return Respond(ctx, c, acts)
}

// NetworkAnomaly blocks external addresses, and isolates hosts only when the
// incident is P1: isolating a server for a P3 scan costs more than it saves.
func NetworkAnomaly(ctx workflow.Context, c Case) error {
	v := c.View()
	var acts []alert.Action
	for _, ip := range External(append(append([]string{}, v.SourceIPs...), v.DestinationIPs...)) {
		acts = append(acts, alert.NewAction(alert.ActionBlockIP, ip, "external address in "+v.Title))
	}
	if v.Score.Priority == alert.P1 {
		for _, h := range v.Hosts {
			acts = append(acts, alert.NewAction(alert.ActionIsolateHost, h, fmt.Sprintf("P1 network anomaly on %s", h)))
		}
	}
	return Respond(ctx, c, acts)
}

// MalwareOnHost isolates the host and blocks where it called out to.
func MalwareOnHost(ctx workflow.Context, c Case) error {
	v := c.View()
	var acts []alert.Action
	for _, h := range v.Hosts {
		acts = append(acts, alert.NewAction(alert.ActionIsolateHost, h, "malware on "+h))
	}
	for _, ip := range External(v.DestinationIPs) {
		acts = append(acts, alert.NewAction(alert.ActionBlockIP, ip, "contacted by malware"))
	}
	return Respond(ctx, c, acts)
}

// AccountCompromise disables the account and blocks the address it was
// used from.
func AccountCompromise(ctx workflow.Context, c Case) error {
	v := c.View()
	var acts []alert.Action
	for _, u := range v.Users {
		acts = append(acts, alert.NewAction(alert.ActionDisableUser, u, "suspected compromise of "+u))
	}
	for _, ip := range External(v.SourceIPs) {
		acts = append(acts, alert.NewAction(alert.ActionBlockIP, ip, "source of suspected compromise"))
	}
	return Respond(ctx, c, acts)
}

// External returns the public addresses among ips, deduplicated, in order:
// blocking a private address at the perimeter would block our own hosts.
func External(ips []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ips {
		a, err := netip.ParseAddr(s)
		if err != nil || seen[s] {
			continue
		}
		seen[s] = true
		if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() {
			continue
		}
		out = append(out, s)
	}
	return out
}

package playbooks

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/alert"
)

// The shipped playbooks' second versions, written on the step library.
// Their first versions (playbooks.go) stay registered beside them for the
// incidents that started on them; new incidents take these.

// AccountCompromiseV2 answers failed logins followed by a success, or
// impossible travel: the tier sees what the login history knows, then
// decides on revoking the sessions (the attacker's included), disabling
// the account and blocking the address it came from.
func AccountCompromiseV2(ctx workflow.Context, c Case) error {
	v := c.View()
	if len(v.Users) == 0 {
		return Respond(ctx, c, nil)
	}
	hist, err := c.Enrich(ctx, EnrichRequest{Source: "users"})
	if err != nil && !isMissingSource(err) {
		return err
	}
	if err := c.Notify(ctx, fmt.Sprintf("possible account compromise of %s: %s", strings.Join(v.Users, ", "), userFacts(hist.Users, v.Context.Users))); err != nil {
		return err
	}
	var acts []alert.Action
	for _, u := range v.Users {
		acts = append(acts, alert.NewAction(alert.ActionRevokeSessions, u, "end "+u+"'s sessions, the attacker's with them"))
	}
	for _, u := range v.Users {
		acts = append(acts, alert.NewAction(alert.ActionDisableUser, u, "suspected compromise of "+u))
	}
	for _, ip := range External(v.SourceIPs) {
		acts = append(acts, alert.NewAction(alert.ActionBlockIP, ip, "source of the suspicious sign-in"))
	}
	return Respond(ctx, c, acts)
}

// MalwareOnHostV2 collects what the host did before the detection (the
// event store's related events), then decides on isolating the host,
// blocking the files' hashes at the EDR and the addresses it called out
// to.
func MalwareOnHostV2(ctx workflow.Context, c Case) error {
	v := c.View()
	rel, err := c.Enrich(ctx, EnrichRequest{Source: "events"})
	if err != nil && !isMissingSource(err) {
		return err
	}
	if len(rel.Related) > 0 {
		lines := make([]string, 0, min(len(rel.Related), 10))
		for _, e := range rel.Related[:min(len(rel.Related), 10)] {
			lines = append(lines, e.Time.UTC().Format(time.RFC3339)+" "+e.Summary)
		}
		if err := c.Comment(ctx, fmt.Sprintf("%d related event(s) before the detection:\n%s", len(rel.Related), strings.Join(lines, "\n"))); err != nil {
			return err
		}
	}
	var acts []alert.Action
	for _, h := range v.Hosts {
		acts = append(acts, alert.NewAction(alert.ActionIsolateHost, h, "malware on "+h))
	}
	for _, h := range v.Hashes {
		acts = append(acts, alert.NewAction(alert.ActionBlockHash, h, "file named by "+v.Title))
	}
	for _, ip := range External(v.DestinationIPs) {
		acts = append(acts, alert.NewAction(alert.ActionBlockIP, ip, "contacted by malware"))
	}
	return Respond(ctx, c, acts)
}

// NetworkAnomalyV2 blocks the external addresses of an anomaly or C2
// beaconing, and isolates the source host on a P1 or on beaconing only
// where the asset allows it: a host the inventory tags "no-isolation"
// (a core server whose loss costs more than the anomaly) is proposed only
// when the tier, asked, says to. Protected assets (containment.protected)
// still need the tier and approvals the policy names.
func NetworkAnomalyV2(ctx workflow.Context, c Case) error {
	v := c.View()
	var acts []alert.Action
	for _, ip := range External(append(slices.Clone(v.SourceIPs), v.DestinationIPs...)) {
		acts = append(acts, alert.NewAction(alert.ActionBlockIP, ip, "external address in "+v.Title))
	}
	beaconing := slices.ContainsFunc(v.Techniques, func(t string) bool {
		return t == "T1071" || strings.HasPrefix(t, "T1071.") || t == "T1573" || strings.HasPrefix(t, "T1573.")
	})
	if v.Score.Priority == alert.P1 || beaconing {
		for _, h := range v.Hosts {
			why := fmt.Sprintf("%s network anomaly on %s", v.Score.Priority, h)
			if beaconing {
				why = "C2 beaconing from " + h
			}
			if a := v.Context.Asset; a != nil && a.Name == h && slices.Contains(a.Tags, NoIsolationTag) {
				ans, err := c.Ask(ctx, Question{Key: "isolate-" + h, Text: fmt.Sprintf("%s is tagged %s in the inventory (%s, tier %d). Propose isolating it anyway?", h, NoIsolationTag, orDash(a.Role), a.Tier),
					Options: []string{"isolate", "do not isolate"}, Default: "do not isolate"})
				if err != nil {
					return err
				}
				if ans.Value != "isolate" {
					c.Note(ctx, fmt.Sprintf("not proposing to isolate %s: %s (%s)", h, ans.Value, answeredBy(ans)))
					continue
				}
			}
			acts = append(acts, alert.NewAction(alert.ActionIsolateHost, h, why))
		}
	}
	return Respond(ctx, c, acts)
}

// NoIsolationTag marks an inventory asset network-anomaly does not propose
// to isolate unless its tier says so.
const NoIsolationTag = "no-isolation"

// Phishing looks the mail's links and attachments up, finds who else
// received mail from the sender's domain (the event store's email
// events), tells the tier and the ticket, and decides on blocking the
// sender's domain and the attachments' hashes.
func Phishing(ctx workflow.Context, c Case) error {
	v := c.View()
	intel, err := c.Enrich(ctx, EnrichRequest{Indicators: append(slices.Clone(v.URLs), v.Hashes...)})
	if err != nil {
		return err
	}
	var recipients []string
	if len(v.Domains) > 0 {
		mail, err := c.Enrich(ctx, EnrichRequest{Source: "events", Domains: v.Domains, Kinds: []string{"email"}, Window: 7 * 24 * time.Hour})
		if err != nil && !isMissingSource(err) {
			return err
		}
		for _, e := range mail.Related {
			if e.User != "" && !slices.Contains(recipients, e.User) && !slices.Contains(v.Users, e.User) {
				recipients = append(recipients, e.User)
			}
		}
	}
	msg := fmt.Sprintf("phishing from %s: %d intel hit(s) on its links and files", orDash(strings.Join(v.Domains, ", ")), len(intel.IntelHits))
	if len(recipients) > 0 {
		msg += fmt.Sprintf("; %d other recipient(s): %s", len(recipients), strings.Join(recipients, ", "))
	}
	if err := c.Notify(ctx, msg); err != nil {
		return err
	}
	var acts []alert.Action
	for _, d := range v.Domains {
		acts = append(acts, alert.NewAction(alert.ActionBlockSenderDomain, d, "sender of "+v.Title))
	}
	for _, h := range v.Hashes {
		acts = append(acts, alert.NewAction(alert.ActionBlockHash, h, "attachment of "+v.Title))
	}
	return Respond(ctx, c, acts)
}

// isMissingSource says an Enrich named a source this worker lacks (no
// event store): the playbook goes on without it.
func isMissingSource(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no enrichment source")
}

// userFacts summarises what the login history knows.
func userFacts(fresh, known []alert.UserContext) string {
	us := fresh
	if len(us) == 0 {
		us = known
	}
	if len(us) == 0 {
		return "no login history"
	}
	var parts []string
	for _, u := range us {
		facts := strings.Join(u.Anomalies, ", ")
		if facts == "" {
			facts = "nothing unusual in the login history"
		}
		parts = append(parts, u.Name+": "+facts)
	}
	return strings.Join(parts, "; ")
}

func answeredBy(a Answer) string {
	if a.TimedOut {
		return "nobody answered in time"
	}
	return "answered by " + a.By
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

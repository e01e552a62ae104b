// Package enrich is the table of enrichment sources the RespondToAlert
// workflow runs for an alert, one file per source. A source has a name
// (the plan's and the gap's), decides whether it applies to the alert,
// starts its activity and folds the answer into the context packet.
//
// Adding a source: its activity (package activities), one entry in
// Table, its wiring in worker/ (which names it in the plan), and its
// packet field in alert. The order of Table is the order in which the
// sources' activities are scheduled, which recorded histories replay:
// append new sources, never reorder.
package enrich

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
)

// Names of the sources in Table, as plans and gaps name them. Online
// intel providers are named by provider ("virustotal").
const (
	Intel  = "intel"
	Assets = "assets"
	CMDB   = "cmdb"
	Users  = "users"
	Events = "events"
	EDR    = "edr"
)

// Input is what sources read: the alert, its entities as lists, the
// plan, and how to start activities.
type Input struct {
	Alert *alert.Alert
	Plan  activities.EnrichmentPlan
	// Hosts are the alert's host names and HostIPs their addresses (the
	// destination address when the alert names no host); Users and IPs
	// its user names and addresses; Indicators what intel looks up.
	Hosts, HostIPs, Users, IPs, Indicators []string
	// Domains and Kinds narrow the events query to those domains and
	// kinds (a playbook's Enrich step); empty asks by host, user and
	// address as the alert run does.
	Domains, Kinds []string
	// Local starts an in-memory lookup in the worker's process, Remote a
	// call to a vendor (summary names it in the Temporal UI), Store a
	// query of socflow's own store.
	Local  func(fn, arg any) workflow.Future
	Remote func(summary string, fn, arg any) workflow.Future
	Store  func(summary string, fn, arg any) workflow.Future
}

// Source is one enrichment source.
type Source struct {
	// Name is the plan's and the gap's name.
	Name string
	// Start starts the source's activity for the alert, or returns nil
	// when the source has nothing to look up.
	Start func(in *Input) workflow.Future
	// Fold waits for the answer and folds it into the packet; an error
	// becomes a gap named after the source.
	Fold func(ctx workflow.Context, f workflow.Future, pkt *alert.ContextPacket) error
}

// foldInto is a Fold that decodes the activity's result R and sets the
// packet's field from it.
func foldInto[R any](set func(pkt *alert.ContextPacket, res R)) func(workflow.Context, workflow.Future, *alert.ContextPacket) error {
	return func(ctx workflow.Context, f workflow.Future, pkt *alert.ContextPacket) error {
		var res R
		err := f.Get(ctx, &res)
		set(pkt, res)
		return err
	}
}

// e names the Enrich activities' methods; it is never dereferenced.
var e *activities.Enrich

// Table lists the sources in the order they start. Online intel
// providers start right after Intel, one per provider the plan names.
func Table() []Source {
	return []Source{intel(), assets(), cmdb(), users(), events(), edr()}
}

// For returns the plan's sources in Table order.
func For(plan activities.EnrichmentPlan) []Source {
	var out []Source
	for _, s := range Table() {
		if plan.Has(s.Name) {
			out = append(out, s)
		}
		if s.Name == Intel {
			for _, p := range plan.Online {
				out = append(out, online(p))
			}
		}
	}
	return out
}

// NewInput lists the alert's entities for the sources.
func NewInput(a *alert.Alert, plan activities.EnrichmentPlan) *Input {
	in := &Input{Alert: a, Plan: plan, Indicators: indicators(a)}
	for _, h := range a.Entities.Hosts {
		in.Hosts = append(in.Hosts, h.Name)
		in.HostIPs = append(in.HostIPs, h.IP...)
	}
	if dst := a.DestinationIP(); len(in.Hosts) == 0 && dst != "" {
		in.HostIPs = append(in.HostIPs, dst)
	}
	for _, u := range a.Entities.Users {
		in.Users = append(in.Users, u.Name)
	}
	for _, ip := range a.Entities.IPs {
		in.IPs = append(in.IPs, ip.Addr)
	}
	return in
}

// Run starts every source in parallel and folds their answers into pkt
// in order. A source that fails or times out becomes a named gap, its
// reason as reason says; it never fails the alert.
func Run(ctx workflow.Context, in *Input, sources []Source, pkt *alert.ContextPacket, reason func(error) string) {
	type started struct {
		s Source
		f workflow.Future
	}
	var all []started
	for _, s := range sources {
		if f := s.Start(in); f != nil {
			all = append(all, started{s, f})
		}
	}
	for _, st := range all {
		if err := st.s.Fold(ctx, st.f, pkt); err != nil {
			pkt.Gaps = append(pkt.Gaps, alert.Gap{Source: st.s.Name, Reason: reason(err)})
		}
	}
}

// indicators are what intel looks up: addresses, domains, URLs, hashes.
func indicators(a *alert.Alert) []string {
	var out []string
	for _, ip := range a.Entities.IPs {
		out = append(out, ip.Addr)
	}
	for _, h := range a.Entities.Hosts {
		out = append(out, h.IP...)
	}
	out = append(out, a.Entities.Domains...)
	out = append(out, a.Entities.URLs...)
	return append(out, a.Hashes()...)
}

// window is the related-events window, 30 minutes unless the plan says.
func window(plan activities.EnrichmentPlan) time.Duration {
	if plan.Window <= 0 {
		return 30 * time.Minute
	}
	return plan.Window
}

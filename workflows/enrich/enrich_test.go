package enrich_test

import (
	"slices"
	"testing"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/workflows/enrich"
)

func names(sources []enrich.Source) []string {
	var out []string
	for _, s := range sources {
		out = append(out, s.Name)
	}
	return out
}

// TestForKeepsTheTableOrder: the order sources start in is the table's,
// whatever order the plan names them in, with online providers after the
// intel index; recorded histories replay that order.
func TestForKeepsTheTableOrder(t *testing.T) {
	plan := activities.EnrichmentPlan{Sources: []string{enrich.EDR, enrich.Events, enrich.Intel}, Online: []string{"virustotal", "abuseipdb"}}
	want := []string{enrich.Intel, "virustotal", "abuseipdb", enrich.Events, enrich.EDR}
	if got := names(enrich.For(plan)); !slices.Equal(got, want) {
		t.Errorf("For = %v, want %v", got, want)
	}
	all := activities.EnrichmentPlan{}
	for _, s := range enrich.Table() {
		all.Add(s.Name)
	}
	all.Add(enrich.Intel) // once
	if got := names(enrich.For(all)); !slices.Equal(got, []string{enrich.Intel, enrich.Assets, enrich.CMDB, enrich.Users, enrich.Events, enrich.EDR}) || len(all.Sources) != 6 {
		t.Errorf("every source: %v (plan %v)", got, all.Sources)
	}
}

// TestForReadsRecordedPlans: a plan recorded before Sources existed
// names its sources with flags.
func TestForReadsRecordedPlans(t *testing.T) {
	plan := activities.EnrichmentPlan{Intel: true, LiveAssets: true, Related: true, Hosts: true}
	want := []string{enrich.Intel, enrich.CMDB, enrich.Events, enrich.EDR}
	if got := names(enrich.For(plan)); !slices.Equal(got, want) {
		t.Errorf("For(flags) = %v, want %v", got, want)
	}
	if got := enrich.For(activities.EnrichmentPlan{}); len(got) != 0 {
		t.Errorf("an empty plan runs %v", names(got))
	}
}

// TestNewInputListsTheEntities: hosts and their addresses, the
// destination when no host is named, users, addresses and indicators.
func TestNewInputListsTheEntities(t *testing.T) {
	a := &alert.Alert{Entities: alert.Entities{
		Hosts:   []alert.Host{{Name: "ws-7", IP: []string{"10.0.0.7"}}},
		Users:   []alert.User{{Name: "bob"}},
		IPs:     []alert.IP{{Addr: "203.0.113.9"}},
		Domains: []string{"evil.example"},
	}}
	in := enrich.NewInput(a, activities.EnrichmentPlan{})
	if !slices.Equal(in.Hosts, []string{"ws-7"}) || !slices.Equal(in.HostIPs, []string{"10.0.0.7"}) || !slices.Equal(in.Users, []string{"bob"}) ||
		!slices.Equal(in.IPs, []string{"203.0.113.9"}) || !slices.Equal(in.Indicators, []string{"203.0.113.9", "10.0.0.7", "evil.example"}) {
		t.Errorf("input = %+v", in)
	}
	// Sources with nothing to look up start nothing.
	for _, s := range enrich.For(activities.EnrichmentPlan{Sources: []string{enrich.CMDB, enrich.Users, enrich.EDR}, Online: []string{"virustotal"}}) {
		if f := s.Start(enrich.NewInput(&alert.Alert{}, activities.EnrichmentPlan{})); f != nil {
			t.Errorf("%s started for an alert without entities", s.Name)
		}
	}
}

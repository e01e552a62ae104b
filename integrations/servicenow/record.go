package servicenow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/socflow/socflow/alert"
)

// field is one field of a Table API record. ServiceNow sends a plain
// string with sysparm_display_value=true or false, and an object
// {"display_value", "value"} with =all (or {"display_value"|"value",
// "link"} for references when links are not excluded); both are read, so
// that an instance or proxy that answers in another shape still works.
type field struct {
	// display is what a person reads (a user's name, a class's label);
	// value is what is stored (a sys_id, a class's table name). A plain
	// string sets both.
	display, value string
}

// UnmarshalJSON reads either shape; null and other types are empty or
// their text.
func (f *field) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = field{}
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = field{display: s, value: s}
		return nil
	case b[0] == '{':
		var o struct {
			Display json.RawMessage `json:"display_value"`
			Value   json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		var d, v field
		if err := d.UnmarshalJSON(o.Display); err != nil {
			return err
		}
		if err := v.UnmarshalJSON(o.Value); err != nil {
			return err
		}
		*f = field{display: d.display, value: v.value}
		return nil
	default:
		// Numbers and booleans, as some custom fields come back.
		s := string(b)
		*f = field{display: s, value: s}
		return nil
	}
}

// text returns the display value, else the stored value.
func (f field) text() string {
	if s := strings.TrimSpace(f.display); s != "" {
		return s
	}
	return strings.TrimSpace(f.value)
}

// stored returns the stored value, else the display value.
func (f field) stored() string {
	if s := strings.TrimSpace(f.value); s != "" {
		return s
	}
	return strings.TrimSpace(f.display)
}

// ci is one record of the Fields list.
type ci struct {
	Name      field `json:"name"`
	FQDN      field `json:"fqdn"`
	IPAddress field `json:"ip_address"`
	Class     field `json:"sys_class_name"`
	// BusinesCriticality is ServiceNow's own field, misspelled in the
	// platform; BusinessCriticality is the spelling some sites added.
	BusinesCriticality  field `json:"busines_criticality"`
	BusinessCriticality field `json:"business_criticality"`
	SocflowTier         field `json:"u_socflow_tier"`
	OwnedBy             field `json:"owned_by"`
	AssignedTo          field `json:"assigned_to"`
	ManagedBy           field `json:"managed_by"`
	Tags                field `json:"sys_tags"`
	ShortDescription    field `json:"short_description"`
	Role                field `json:"u_role"`
}

// candidate is a CI with what matching needs, worked out once.
type candidate struct {
	rec       *ci
	name      string // hostKey of name
	fqdn      string // hostKey of fqdn
	addr      netip.Addr
	tier      int
	defaulted bool
}

// pick chooses the best CI for q; see Find.
func (c *Client) pick(q query, recs []ci) *alert.Asset {
	cands := make([]candidate, len(recs))
	for i := range recs {
		r := &recs[i]
		cd := candidate{rec: r, name: hostKey(r.Name.text()), fqdn: hostKey(r.FQDN.text())}
		if a, err := netip.ParseAddr(r.IPAddress.stored()); err == nil {
			cd.addr = a.Unmap().WithZone("")
		}
		cd.tier, cd.defaulted = c.tier(r)
		cands[i] = cd
	}
	for _, h := range q.hosts {
		if cd, ok := matchHost(cands, h); ok {
			return c.asset(cd, MatchedByHostname)
		}
	}
	for _, a := range q.addrs {
		if cd, ok := mostCritical(cands, func(cd candidate) bool { return cd.addr.IsValid() && cd.addr == a }); ok {
			return c.asset(cd, MatchedByIP)
		}
	}
	return nil
}

// matchHost applies cmdb's name rules to the candidates: the exact name or
// FQDN, then a qualified query's short name ("dc01.corp.example" finds
// "dc01" when that CI has no FQDN of its own), then a short query's one
// qualified name or FQDN ("dc01" finds "dc01.corp.example"; two different
// ones make it ambiguous, and it matches neither).
func matchHost(cands []candidate, h string) (candidate, bool) {
	if cd, ok := mostCritical(cands, func(cd candidate) bool { return cd.name == h || cd.fqdn == h }); ok {
		return cd, true
	}
	short, _, qualified := strings.Cut(h, ".")
	if qualified {
		// A CI whose own FQDN names another domain is another machine.
		return mostCritical(cands, func(cd candidate) bool { return cd.name == short && cd.fqdn == "" })
	}
	var found []candidate
	var seen []string
	for _, cd := range cands {
		var full string
		switch {
		case firstLabelIs(cd.name, h):
			full = cd.name
		case firstLabelIs(cd.fqdn, h):
			full = cd.fqdn
		default:
			continue
		}
		found = append(found, cd)
		if !slices.Contains(seen, full) {
			seen = append(seen, full)
		}
	}
	if len(seen) != 1 {
		return candidate{}, false
	}
	return mostCritical(found, func(candidate) bool { return true })
}

// firstLabelIs reports whether the qualified name full starts with the
// label short.
func firstLabelIs(full, short string) bool {
	first, _, qualified := strings.Cut(full, ".")
	return qualified && first == short
}

// mostCritical returns the matching candidate with the lowest tier, the
// first one on a tie.
func mostCritical(cands []candidate, match func(candidate) bool) (candidate, bool) {
	var best candidate
	ok := false
	for _, cd := range cands {
		if match(cd) && (!ok || cd.tier < best.tier) {
			best, ok = cd, true
		}
	}
	return best, ok
}

// tier reads the CI's criticality: busines_criticality, then
// business_criticality, then u_socflow_tier; DefaultTier (and true) when
// none says anything the mapping knows. With display values both the
// stored choice and its label are tried, since sites relabel choices.
func (c *Client) tier(r *ci) (int, bool) {
	for _, f := range []field{r.BusinesCriticality, r.BusinessCriticality} {
		for _, s := range []string{f.value, f.display} {
			if t, ok := c.crit[choiceKey(s)]; ok {
				return t, false
			}
		}
	}
	for _, s := range []string{r.SocflowTier.value, r.SocflowTier.display} {
		s = strings.TrimSpace(s)
		if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= 4 {
			return n, false
		}
		if t, ok := c.crit[choiceKey(s)]; ok {
			return t, false
		}
	}
	return DefaultTier, true
}

// choiceKey is the form criticality values are compared in.
func choiceKey(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// classRole names the role of a common CI class, given its table name or
// the label sysparm_display_value=true sends instead.
func classRole(class string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(class)) {
	case "cmdb_ci_win_server", "windows server":
		return "windows-server", true
	case "cmdb_ci_linux_server", "linux server":
		return "linux-server", true
	case "cmdb_ci_computer", "computer":
		return "workstation", true
	case "cmdb_ci_printer", "printer":
		return "printer", true
	}
	return "", false
}

// role is u_role, else the readable role of the CI's class, else the
// class itself.
func role(r *ci) string {
	if s := r.Role.text(); s != "" {
		return s
	}
	for _, s := range []string{r.Class.value, r.Class.display} {
		if role, ok := classRole(s); ok {
			return role
		}
	}
	return r.Class.stored()
}

func (c *Client) asset(cd candidate, matchedBy string) *alert.Asset {
	r := cd.rec
	name := r.Name.text()
	if name == "" {
		name = r.FQDN.text()
	}
	if name == "" {
		name = r.IPAddress.text()
	}
	var owner string
	for _, f := range []field{r.OwnedBy, r.ManagedBy, r.AssignedTo} {
		if owner = f.text(); owner != "" {
			break
		}
	}
	var tags []string
	// sys_tags' display value lists the tag names, comma-separated.
	for _, t := range strings.Split(r.Tags.display, ",") {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	if cd.defaulted {
		tags = append(tags, TagTierDefaulted)
	}
	return &alert.Asset{
		Name:      name,
		Owner:     owner,
		Role:      role(r),
		Tier:      cd.tier,
		Tags:      tags,
		MatchedBy: matchedBy,
	}
}

func cloneAsset(a *alert.Asset) *alert.Asset {
	if a == nil {
		return nil
	}
	c := *a
	c.Tags = slices.Clone(a.Tags)
	return &c
}

// String describes the client without its credentials, for logs.
func (c *Client) String() string {
	return fmt.Sprintf("servicenow(%s, table %s)", c.base, c.table)
}

package decode

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"

	"github.com/socflow/socflow/alert"
)

// defaultSeverity is the severity of an alert whose source states none (a
// Splunk webhook never does) or states "unknown": medium, so that such an
// alert is neither buried below real findings nor paged as high.
const defaultSeverity = alert.SeverityMedium

// maxEntities bounds each kind of entity on one alert while it is built.
// Entities are merged by linear search, and a payload listing a hundred
// thousand addresses would otherwise cost seconds; an alert naming more
// than this many hosts or files is a report, not something to contain
// entity by entity. The alert.LabelTruncated label says some were left
// out. Text is bounded afterwards, for every format alike, by intake
// (alert.Alert.Bound).
const maxEntities = alert.MaxEntities

// The categories routing keys on.
const (
	catNetwork      = "network"
	catMalware      = "malware"
	catIdentity     = "identity"
	catExfiltration = "exfiltration"
	// catPhishing is a mail a user received or reported: its response
	// (other recipients, the sender's domain) is neither malware's nor
	// identity's.
	catPhishing = "phishing"
)

// builder accumulates one alert from a vendor payload: it cleans and
// de-duplicates entities so that every decoder gets the same treatment of
// messy values.
type builder struct {
	format string
	a      alert.Alert
	// dropped lists values that named an entity but could not be used
	// (an IP address that is not one), for the error when no entity is left.
	dropped []string
}

// full reports whether a list (field, as alert.LabelTruncated names it)
// already holds maxEntities, and records that the alert lost some.
func (b *builder) full(field string, n int) bool {
	if n < maxEntities {
		return false
	}
	b.a.NoteTruncated(field)
	return true
}

func newBuilder(format string) *builder {
	return &builder{format: format, a: alert.Alert{Source: format}}
}

// label records a source field worth keeping; empty values are skipped.
func (b *builder) label(key, value string) {
	value = strings.TrimSpace(value)
	if value == "" {
		return
	}
	if b.a.Labels == nil {
		b.a.Labels = make(map[string]string)
	}
	b.a.Labels[key] = value
}

// severity sets the mapped severity and keeps the vendor's own value as the
// vendor_severity label, so a responder can see what the product said.
func (b *builder) severity(s alert.Severity, vendor string) {
	b.a.Severity = s
	b.label("vendor_severity", vendor)
}

// host adds an endpoint, merging it with one already named by the same name
// (without regard to case) or ID.
func (b *builder) host(name, id string, ips []string, os string) {
	name, id, os = clean(strings.TrimSpace(name)), clean(strings.TrimSpace(id)), clean(strings.TrimSpace(os))
	var addrs []string
	for _, v := range ips {
		// Some products join several addresses in one string.
		for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
			if addr, _, ok := normalizeIP(s); ok && !contains(addrs, addr) && !b.full("entities.hosts.ip", len(addrs)) {
				addrs = append(addrs, addr)
			}
		}
	}
	if name == "" && id == "" {
		// An address alone is not a host; keep it as an IP entity.
		for _, addr := range addrs {
			b.ip("", addr, alert.DirectionUnknown, 0)
		}
		return
	}
	hosts := b.a.Entities.Hosts
	for i := range hosts {
		h := &hosts[i]
		if (name != "" && strings.EqualFold(h.Name, name)) || (id != "" && h.ID == id) {
			if h.Name == "" {
				h.Name = name
			}
			if h.ID == "" {
				h.ID = id
			}
			if h.OS == "" {
				h.OS = os
			}
			for _, addr := range addrs {
				if !contains(h.IP, addr) && !b.full("entities.hosts.ip", len(h.IP)) {
					h.IP = append(h.IP, addr)
				}
			}
			return
		}
	}
	if b.full("entities.hosts", len(hosts)) {
		return
	}
	b.a.Entities.Hosts = append(hosts, alert.Host{Name: name, ID: id, IP: addrs, OS: os})
}

// user adds an account. "DOMAIN\name" is split; a name that is an e-mail
// address is also the e-mail; an account with only an e-mail is named by it.
// Windows service identities (NT AUTHORITY\SYSTEM and friends) are left out:
// they cannot be disabled, and grouping incidents by "system" would merge
// unrelated hosts. So are computer accounts ("WS-042$").
func (b *builder) user(name, domain, email, id string) {
	name, domain = clean(strings.TrimSpace(name)), clean(strings.TrimSpace(domain))
	email, id = clean(strings.TrimSpace(email)), clean(strings.TrimSpace(id))
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		if domain == "" {
			domain = name[:i]
		}
		name = name[i+1:]
	}
	if name == "" {
		name = email
	}
	if name == "" {
		return
	}
	if email == "" && looksLikeEmail(name) {
		email = name
	}
	if serviceAccount(name, domain) {
		return
	}
	users := b.a.Entities.Users
	for i := range users {
		u := &users[i]
		sameName := strings.EqualFold(u.Name, name) && (u.Domain == "" || domain == "" || strings.EqualFold(u.Domain, domain))
		sameEmail := email != "" && strings.EqualFold(u.Email, email)
		if sameName || sameEmail {
			if sameEmail && strings.EqualFold(u.Name, u.Email) && !strings.EqualFold(name, email) {
				// The account was first named only by its e-mail; now its
				// account name is known.
				u.Name, u.Domain = name, domain
			}
			if u.Domain == "" {
				u.Domain = domain
			}
			if u.Email == "" {
				u.Email = email
			}
			if u.ID == "" {
				u.ID = id
			}
			return
		}
	}
	if b.full("entities.users", len(users)) {
		return
	}
	b.a.Entities.Users = append(users, alert.User{Name: name, Domain: domain, Email: email, ID: id})
}

func serviceAccount(name, domain string) bool {
	// "WS-042$" is a computer's own account: the host, not a user.
	if strings.EqualFold(domain, "NT AUTHORITY") || strings.HasSuffix(name, "$") {
		return true
	}
	switch strings.ToLower(name) {
	case "system", "local service", "network service", "localsystem":
		return true
	}
	return false
}

func looksLikeEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && strings.IndexByte(s[at+1:], '.') > 0 && !strings.ContainsAny(s, " \\/")
}

// ip adds a network address. The value may carry a port ("10.0.0.1:443",
// "[2001:db8::1]:443"), used when port is 0. A value that is not an address
// is remembered in dropped under field, and the address is skipped.
func (b *builder) ip(field, value string, dir alert.Direction, port int) {
	value = clean(strings.TrimSpace(value))
	if value == "" {
		return
	}
	addr, p, ok := normalizeIP(value)
	if !ok {
		if field != "" {
			b.dropped = append(b.dropped, field+" "+quote(value)+" is not an IP address")
		}
		return
	}
	if port < 1 || port > 65535 {
		port = p
	}
	ips := b.a.Entities.IPs
	for i := range ips {
		e := &ips[i]
		if e.Addr != addr {
			continue
		}
		switch {
		case e.Direction == dir:
			if e.Port == 0 {
				e.Port = port
			}
			return
		case e.Direction == alert.DirectionUnknown:
			// The same address seen again with its side known: say so.
			e.Direction = dir
			if e.Port == 0 {
				e.Port = port
			}
			return
		case dir == alert.DirectionUnknown:
			return
		}
	}
	if b.full("entities.ips", len(ips)) {
		return
	}
	b.a.Entities.IPs = append(ips, alert.IP{Addr: addr, Direction: dir, Port: port})
}

// normalizeIP parses an address, with an optional port or brackets, into its
// canonical text (IPv4-mapped IPv6 unmapped). The unspecified addresses
// (0.0.0.0, ::) are refused: they name no machine to act on.
func normalizeIP(s string) (addr string, port int, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", 0, false
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		ap, err2 := netip.ParseAddrPort(s)
		if err2 != nil {
			return "", 0, false
		}
		a, port = ap.Addr(), int(ap.Port())
	}
	a = a.Unmap()
	if a.IsUnspecified() {
		return "", 0, false
	}
	return a.String(), port, true
}

// process adds a process unless it names nothing.
func (b *builder) process(p alert.Process) {
	p.Name = clean(strings.TrimSpace(p.Name))
	p.CommandLine = strings.TrimSpace(p.CommandLine)
	p.Parent = clean(strings.TrimSpace(p.Parent))
	p.SHA256 = hashOf(p.SHA256, 64)
	if p.PID < 0 {
		p.PID = 0
	}
	if p.Name == "" && p.CommandLine == "" && p.SHA256 == "" && p.PID == 0 {
		return
	}
	for _, q := range b.a.Entities.Processes {
		if q.Name == p.Name && q.PID == p.PID && q.CommandLine == p.CommandLine {
			return
		}
	}
	if b.full("entities.processes", len(b.a.Entities.Processes)) {
		return
	}
	b.a.Entities.Processes = append(b.a.Entities.Processes, p)
}

// file adds a file. Hashes that are not hex of the right length, or are
// all zeros (Falcon writes 40 zeros when it has no SHA-1), are dropped; a
// file with neither a hash nor a name or path is skipped.
func (b *builder) file(f alert.FileHash) {
	f.Name = clean(strings.TrimSpace(f.Name))
	f.Path = clean(strings.TrimSpace(f.Path))
	f.MD5, f.SHA1, f.SHA256 = hashOf(f.MD5, 32), hashOf(f.SHA1, 40), hashOf(f.SHA256, 64)
	if f.Name == "" && f.Path == "" && f.MD5 == "" && f.SHA1 == "" && f.SHA256 == "" {
		return
	}
	files := b.a.Entities.Files
	for i := range files {
		g := &files[i]
		same := (f.SHA256 != "" && g.SHA256 == f.SHA256) || (f.SHA1 != "" && g.SHA1 == f.SHA1) ||
			(f.MD5 != "" && g.MD5 == f.MD5) ||
			(f.SHA256 == "" && f.SHA1 == "" && f.MD5 == "" && g.Name == f.Name && g.Path == f.Path)
		if !same {
			continue
		}
		if g.Name == "" {
			g.Name = f.Name
		}
		if g.Path == "" {
			g.Path = f.Path
		}
		if g.MD5 == "" {
			g.MD5 = f.MD5
		}
		if g.SHA1 == "" {
			g.SHA1 = f.SHA1
		}
		if g.SHA256 == "" {
			g.SHA256 = f.SHA256
		}
		return
	}
	if b.full("entities.files", len(files)) {
		return
	}
	b.a.Entities.Files = append(files, f)
}

// hashOf returns s lower-cased when it is a hex digest of n characters and
// not all zeros, else "".
func hashOf(s string, n int) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) != n {
		return ""
	}
	zeros := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ""
		}
		if c != '0' {
			zeros = false
		}
	}
	if zeros {
		return ""
	}
	return s
}

// fileByHash adds a file named by a hash of unknown type, told by its
// length, as products with one "file_hash" field write it.
func (b *builder) fileByHash(name, path, hash string) {
	f := alert.FileHash{Name: name, Path: path}
	switch h := strings.TrimSpace(hash); len(h) {
	case 32:
		f.MD5 = h
	case 40:
		f.SHA1 = h
	case 64:
		f.SHA256 = h
	default:
		if f.Name == "" && f.Path == "" {
			return
		}
	}
	b.file(f)
}

// domain adds a DNS name, lower-cased and without the root dot. An IP
// address or a value with spaces or slashes is not a domain and is skipped.
func (b *builder) domain(d string) {
	d = strings.TrimSuffix(strings.ToLower(clean(strings.TrimSpace(d))), ".")
	if d == "" || strings.ContainsAny(d, " /\\\t\n") || !strings.Contains(d, ".") {
		return
	}
	if _, _, isIP := normalizeIP(d); isIP {
		return
	}
	if !contains(b.a.Entities.Domains, d) && !b.full("entities.domains", len(b.a.Entities.Domains)) {
		b.a.Entities.Domains = append(b.a.Entities.Domains, d)
	}
}

// url adds a URL.
func (b *builder) url(u string) {
	u = clean(strings.TrimSpace(u))
	if u == "" || contains(b.a.Entities.URLs, u) || b.full("entities.urls", len(b.a.Entities.URLs)) {
		return
	}
	b.a.Entities.URLs = append(b.a.Entities.URLs, u)
}

// urlHost returns the host of an absolute URL ("https://evil.example/x" →
// "evil.example"), or "".
func urlHost(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return ""
	}
	h := u[i+3:]
	if j := strings.IndexAny(h, "/?#"); j >= 0 {
		h = h[:j]
	}
	if j := strings.LastIndexByte(h, '@'); j >= 0 {
		h = h[j+1:]
	}
	if j := strings.LastIndexByte(h, ':'); j >= 0 && !strings.Contains(h[j:], "]") {
		h = h[:j]
	}
	return h
}

// techniques adds the ATT&CK technique IDs found in each value, so that
// "T1059.001", "t1110" and "T1566.001 - Spearphishing Attachment" all work.
func (b *builder) techniques(values ...string) {
	for _, v := range values {
		for _, id := range techniqueIDs(v) {
			if !contains(b.a.Techniques, id) && !b.full("techniques", len(b.a.Techniques)) {
				b.a.Techniques = append(b.a.Techniques, id)
			}
		}
	}
}

// techniqueIDs extracts every "Tnnnn" or "Tnnnn.nnn" that stands as a word.
func techniqueIDs(s string) []string {
	var out []string
	for i := 0; i+5 <= len(s); i++ {
		if s[i] != 'T' && s[i] != 't' {
			continue
		}
		if i > 0 && isAlnum(s[i-1]) {
			continue
		}
		if !digits(s, i+1, 4) {
			continue
		}
		end := i + 5
		if end+4 <= len(s) && s[end] == '.' && digits(s, end+1, 3) {
			end += 4
		} else if end+1 < len(s) && s[end] == '.' && digits(s, end+1, 1) {
			// "T1059.01" is a mangled sub-technique, not T1059.
			continue
		}
		if end < len(s) && isAlnum(s[end]) {
			continue
		}
		out = append(out, "T"+s[i+1:end])
		i = end - 1
	}
	return out
}

func digits(s string, from, n int) bool {
	if from+n > len(s) {
		return false
	}
	for i := from; i < from+n; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// finish completes the alert: the title falls back to the rule, the raw
// payload is kept, an ID is derived when the source gives none, and the
// alert is validated. entityFields names the vendor fields that could have
// named an entity, for the error when none did.
func (b *builder) finish(raw []byte, entityFields string) (alert.Alert, error) {
	a := b.a
	a.Rule = strings.TrimSpace(a.Rule)
	a.Title = strings.TrimSpace(a.Title)
	if a.Title == "" {
		a.Title = a.Rule
	}
	a.Description = strings.TrimSpace(a.Description)
	if a.Entities.Empty() {
		reason := "none present, but an alert must name a host, user, IP, process, file, domain or URL"
		if len(b.dropped) > 0 {
			reason += " (unusable: " + strings.Join(b.dropped, "; ") + ")"
		}
		return alert.Alert{}, &FieldError{Format: b.format, Field: entityFields, Reason: reason}
	}
	nameHostsByID(&a)
	a.TruncateRaw(raw)
	if a.ID == "" {
		a.ID = rawID(raw)
	}
	if err := a.Validate(); err != nil {
		return alert.Alert{}, &invalidError{format: b.format, err: err}
	}
	return a, nil
}

// nameHostsByID names each host that has an EDR ID but no name by its ID
// (Defender's machineId with no computerDnsName, a Falcon AgentId with no
// Hostname). Everything downstream reads a host by its name only: the
// "host" group_by (alert.Alert.PrimaryHost), the incident's hosts, and the
// playbooks, which propose isolate_host per host name. A nameless host is
// therefore lost there, and its incident groups by the alert instead of
// the machine, with no host to isolate. Named by its ID, the machine keys
// its incident ("host:<id>") and is the isolation target, which the EDR
// resolves as a device ID. It is done once the alert is built, not in
// builder.host, so that a later mention of the same ID with a name still
// fills the name in.
func nameHostsByID(a *alert.Alert) {
	for i := range a.Entities.Hosts {
		if h := &a.Entities.Hosts[i]; strings.TrimSpace(h.Name) == "" && h.ID != "" {
			h.Name = h.ID
		}
	}
}

// rawID derives an alert ID from the payload, as intake does for native
// alerts without one, so that a redelivered payload gets the same ID.
func rawID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// invalidError is a decoded alert that fails alert.Validate; it unwraps to
// the *alert.FieldError values Validate joined.
type invalidError struct {
	format string
	err    error
}

func (e *invalidError) Error() string {
	return e.format + ": " + strings.ReplaceAll(e.err.Error(), "\n", "; ")
}

func (e *invalidError) Unwrap() error { return e.err }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func quote(s string) string {
	return `"` + alert.Truncate(s, 64) + `"`
}

// baseName returns the last element of a Windows or POSIX path, so that
// "\Device\HarddiskVolume3\Windows\System32\cmd.exe" names "cmd.exe".
func baseName(p string) string {
	p = strings.TrimRight(strings.TrimSpace(p), `\/`)
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// normKey reduces a vendor enumeration value to lower-case letters and
// digits, so that "Credential Access", "CredentialAccess" and
// "credential_access" compare equal.
func normKey(s string) string {
	var sb strings.Builder
	sb.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			sb.WriteByte(c + 'a' - 'A')
		case (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'):
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

// classCategories maps ATT&CK tactics (by name in any spelling or by TA ID)
// and the category names EDRs use onto socflow's routing categories:
//
//   - credential access → identity (the account-compromise playbook);
//   - exfiltration → exfiltration;
//   - command and control, lateral movement → network;
//   - execution, persistence, privilege escalation, defense evasion, impact,
//     and the malware families EDRs name (malware, ransomware, exploit,
//     unwanted software, ...) → malware: on an endpoint these are a host
//     compromise, which the malware-on-host playbook answers.
//
// Initial access, discovery and collection say too little about the
// response to pick one; they leave the category to other evidence.
var classCategories = map[string]string{
	"credentialaccess": catIdentity, "ta0006": catIdentity,
	"exfiltration": catExfiltration, "ta0010": catExfiltration,
	"phishing": catPhishing, "phish": catPhishing,
	"commandandcontrol": catNetwork, "ta0011": catNetwork,
	"lateralmovement": catNetwork, "ta0008": catNetwork,
	"execution": catMalware, "ta0002": catMalware,
	"persistence": catMalware, "ta0003": catMalware,
	"privilegeescalation": catMalware, "ta0004": catMalware,
	"defenseevasion": catMalware, "ta0005": catMalware,
	"impact": catMalware, "ta0040": catMalware,
	"malware": catMalware, "ransomware": catMalware, "exploit": catMalware,
	"unwantedsoftware": catMalware, "trojan": catMalware, "virus": catMalware,
	"backdoor": catMalware, "machinelearning": catMalware,
}

// categoryRank breaks ties when an alert names several tactics: the rarer,
// more specific response wins (exfiltration over identity over malware over
// network).
var categoryRank = map[string]int{catNetwork: 1, catMalware: 2, catPhishing: 3, catIdentity: 4, catExfiltration: 5}

// classCategory returns the best category any of the tactics or vendor
// category names maps to, or "".
func classCategory(names ...string) string {
	best := ""
	for _, n := range names {
		if c := classCategories[normKey(n)]; categoryRank[c] > categoryRank[best] {
			best = c
		}
	}
	return best
}

// categoryKeywords classify free text (a saved-search name, a signature)
// when a product has no category field. Order matters: the first keyword
// found wins.
var categoryKeywords = []struct{ word, category string }{
	{"exfil", catExfiltration},
	{"data transfer", catExfiltration},
	{"phish", catPhishing},
	{"brute", catIdentity},
	{"password spray", catIdentity},
	{"credential", catIdentity},
	{"login", catIdentity},
	{"logon", catIdentity},
	{"sign-in", catIdentity},
	{"signin", catIdentity},
	{"authentication", catIdentity},
	{"account lock", catIdentity},
	{"impossible travel", catIdentity},
	{"mfa", catIdentity},
	{"malware", catMalware},
	{"ransomware", catMalware},
	{"trojan", catMalware},
	{"virus", catMalware},
	{"backdoor", catMalware},
	{"coinminer", catMalware},
	{"cryptominer", catMalware},
	{"port scan", catNetwork},
	{"portscan", catNetwork},
	{"scan", catNetwork},
	{"beacon", catNetwork},
	{"command and control", catNetwork},
	{"dns tunnel", catNetwork},
	{"intrusion", catNetwork},
	{"firewall", catNetwork},
	{"network", catNetwork},
}

// keywordCategory classifies free text by categoryKeywords, or returns "".
func keywordCategory(texts ...string) string {
	for _, t := range texts {
		lt := strings.ToLower(t)
		for _, k := range categoryKeywords {
			if strings.Contains(lt, k.word) {
				return k.category
			}
		}
	}
	return ""
}

// firstOf returns the first non-empty string.
func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

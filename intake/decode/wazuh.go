package decode

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/socflow/socflow/alert"
)

// wazuhFormat decodes Wazuh manager alerts, one line of alerts.json (or a
// document of the wazuh-alerts-* index): rule, agent, manager, data (the
// decoded fields, with Windows event channel data under data.win),
// syscheck for file integrity monitoring, full_log.
type wazuhFormat struct{}

func (wazuhFormat) Name() string { return "wazuh" }

func (wazuhFormat) Detect(o map[string]json.RawMessage) bool {
	rule := rawObject(o, "rule")
	if rule == nil || !rawHas(rule, "level") || !(rawHas(rule, "id") || rawHas(rule, "description")) {
		return false
	}
	return (rawHas(o, "agent") || rawHas(o, "manager")) && (rawHas(o, "timestamp") || rawHas(o, "@timestamp"))
}

func (wazuhFormat) Decode(raw []byte) (Result, error) {
	doc, err := parseObject("wazuh", raw)
	if err != nil {
		return Result{}, err
	}
	return single(wazuhOne, doc, raw)
}

// wazuhSeverity maps rule.level (0-15) onto severity, following the bands
// of Wazuh's own dashboard (low 0-6, medium 7-11, high 12-14, critical 15)
// with its lowest levels split off as info: 0-3 are "ignored", "system low
// priority notification" and "successful/authorized events" in Wazuh's rule
// classification, not attacks.
//
//	0-3 info · 4-6 low · 7-11 medium · 12-14 high · 15 critical
func wazuhSeverity(level int) alert.Severity {
	switch {
	case level <= 3:
		return alert.SeverityInfo
	case level <= 6:
		return alert.SeverityLow
	case level <= 11:
		return alert.SeverityMedium
	case level <= 14:
		return alert.SeverityHigh
	default:
		return alert.SeverityCritical
	}
}

// wazuhGroups classify an alert by its rule groups. Malware and
// authentication groups decide on their own; network groups only when no
// ATT&CK tactic says more.
var wazuhGroups = map[string]string{
	"authentication_failed": catIdentity, "authentication_failures": catIdentity,
	"authentication_success": catIdentity, "win_authentication_failed": catIdentity,
	"invalid_login": catIdentity, "brute_force": catIdentity,
	"rootcheck": catMalware, "virustotal": catMalware, "malware": catMalware, "yara": catMalware,
	"clamd": catMalware, "freshclam": catMalware, "rootkit": catMalware,
}

var wazuhNetworkGroups = map[string]bool{
	"ids": true, "suricata": true, "firewall": true, "firewall_drop": true, "web": true,
	"attack": true, "recon": true, "scan": true, "nids": true, "accesslog": true,
}

func wazuhOne(doc map[string]any, raw []byte) (alert.Alert, string, error) {
	b := newBuilder("wazuh")
	a := &b.a
	rule := obj(doc, "rule")
	if rule == nil {
		return alert.Alert{}, "", missing("wazuh", "rule")
	}
	// The rule ID is the rule's stable name: the description may be built
	// from the event's fields ("... $(win.eventdata.targetUserName)"), so it
	// is the title, not the rule.
	ruleID := str(rule, "id")
	if ruleID == "" {
		return alert.Alert{}, "", missing("wazuh", "rule.id")
	}
	a.Rule = ruleID
	a.Title = firstOf(str(rule, "description"), "Wazuh rule "+ruleID)
	a.Description = str(doc, "full_log")
	a.ID = str(doc, "id")

	t, err := timeAt("wazuh", doc, "timestamp", "@timestamp")
	if err != nil {
		return alert.Alert{}, "", err
	}
	a.Time = t

	level, ok := integer(rule, "level")
	switch {
	case get(rule, "level") == nil:
		a.Severity = defaultSeverity
	case !ok || level < 0:
		return alert.Alert{}, "", &FieldError{Format: "wazuh", Field: "rule.level", Reason: quote(rawStr(rule, "level")) + " is not a level from 0 to 15"}
	default:
		b.severity(wazuhSeverity(level), strconv.Itoa(level))
	}

	groups := strs(rule, "groups")
	for _, g := range groups {
		if c := wazuhGroups[strings.ToLower(g)]; c != "" {
			a.Category = c
			break
		}
	}
	tactics := strs(rule, "mitre.tactic")
	if a.Category == "" {
		a.Category = classCategory(tactics...)
	}
	if a.Category == "" {
		for _, g := range groups {
			if wazuhNetworkGroups[strings.ToLower(g)] {
				a.Category = catNetwork
				break
			}
		}
	}
	b.techniques(strs(rule, "mitre.id")...)

	b.host(str(doc, "agent.name"), str(doc, "agent.id"), strs(doc, "agent.ip"), "")

	data := obj(doc, "data")
	b.ip("data.srcip", str(data, "srcip", "src_ip"), alert.DirectionSource, port(data, "srcport", "src_port"))
	b.ip("data.dstip", str(data, "dstip", "dst_ip", "dest_ip"), alert.DirectionDestination, port(data, "dstport", "dst_port", "dest_port"))
	b.user(str(data, "dstuser"), "", "", "")
	b.user(str(data, "srcuser"), "", "", "")
	// Web logs give the requested path, not a URL anyone could block.
	if u := str(data, "url"); strings.Contains(u, "://") {
		b.url(u)
		b.domain(urlHost(u))
	} else {
		b.label("url_path", u)
	}

	// Windows event channel and Sysmon fields. Wazuh escapes backslashes
	// in them twice ("C:\\\\Windows" in the JSON), so they are unescaped once.
	win := unescapeWazuh(obj(data, "win.eventdata"))
	b.user(str(win, "targetUserName"), str(win, "targetDomainName"), "", str(win, "targetUserSid"))
	b.user(str(win, "subjectUserName"), str(win, "subjectDomainName"), "", str(win, "subjectUserSid"))
	b.user(str(win, "user"), "", "", "")
	b.ip("data.win.eventdata.ipAddress", str(win, "ipAddress"), alert.DirectionSource, port(win, "ipPort"))
	b.ip("data.win.eventdata.sourceIp", str(win, "sourceIp"), alert.DirectionSource, port(win, "sourcePort"))
	b.ip("data.win.eventdata.destinationIp", str(win, "destinationIp"), alert.DirectionDestination, port(win, "destinationPort"))
	b.domain(str(win, "queryName"))
	if img := str(win, "image"); img != "" {
		hashes := sysmonHashes(str(win, "hashes"))
		b.process(alert.Process{
			Name:        baseName(img),
			PID:         pid(win, "processId"),
			CommandLine: str(win, "commandLine"),
			Parent:      baseName(str(win, "parentImage")),
			SHA256:      hashes["SHA256"],
		})
		b.file(alert.FileHash{Name: baseName(img), Path: img, MD5: hashes["MD5"], SHA1: hashes["SHA1"], SHA256: hashes["SHA256"]})
	}
	if tf := str(win, "targetFilename"); tf != "" {
		b.file(alert.FileHash{Name: baseName(tf), Path: tf})
	}

	if fim := obj(doc, "syscheck"); fim != nil {
		path := str(fim, "path")
		b.file(alert.FileHash{Name: baseName(path), Path: path,
			MD5: str(fim, "md5_after"), SHA1: str(fim, "sha1_after"), SHA256: str(fim, "sha256_after")})
		b.label("syscheck_event", str(fim, "event"))
	}

	b.label("rule_level", str(rule, "level"))
	b.label("groups", strings.Join(groups, ","))
	b.label("mitre_tactics", strings.Join(tactics, ","))
	b.label("agent_id", str(doc, "agent.id"))
	b.label("manager", str(doc, "manager.name"))
	b.label("location", str(doc, "location"))
	b.label("decoder", str(doc, "decoder.name"))
	b.label("computer", str(data, "win.system.computer"))

	out, err := b.finish(raw, "agent.name, data.srcip, data.dstip, data.srcuser, data.dstuser, syscheck.path")
	return out, "", err
}

// sysmonHashes splits Sysmon's Hashes field
// ("SHA1=...,MD5=...,SHA256=...,IMPHASH=...") by algorithm.
func sysmonHashes(s string) map[string]string {
	out := make(map[string]string, 4)
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			out[strings.ToUpper(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return out
}

// unescapeWazuh turns the doubled backslashes of Wazuh's event channel
// fields back into single ones, so that a value of CORP\\alice names alice in CORP.
func unescapeWazuh(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			v = strings.ReplaceAll(s, `\\`, `\`)
		}
		out[k] = v
	}
	return out
}

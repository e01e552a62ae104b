package decode

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/socflow/socflow/alert"
)

// splunkFormat decodes the Splunk webhook alert action's body:
//
//	{"sid": "...", "search_name": "...", "app": "...", "owner": "...",
//	 "results_link": "...", "result": {first result row}}
//
// The result row holds whatever fields the search produced, as strings (a
// multi-value field is an array). The common Splunk CIM names are mapped:
// src/src_ip, dest/dest_ip, user/src_user, host/dest_host, signature,
// severity/urgency, _time, and the Endpoint and Malware fields for processes
// and files.
type splunkFormat struct{}

func (splunkFormat) Name() string { return "splunk" }

func (splunkFormat) Detect(o map[string]json.RawMessage) bool {
	return rawObject(o, "result") != nil && (rawHas(o, "search_name") || rawHas(o, "sid"))
}

func (splunkFormat) Decode(raw []byte) (Result, error) {
	doc, err := parseObject("splunk", raw)
	if err != nil {
		return Result{}, err
	}
	return single(splunkOne, doc, raw)
}

// splunkSeverity maps the result's severity or urgency. Names follow
// Splunk ES and CIM (informational, low, medium, high, critical; ES also
// writes "unknown", read as defaultSeverity). A number is the saved search's
// alert.severity scale: 1 debug and 2 info → info, 3 warn → low, 4 error →
// medium, 5 severe → high, 6 fatal → critical. A webhook carries no severity
// of its own, so an absent one is defaultSeverity.
func splunkSeverity(s string) (alert.Severity, bool) {
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		switch {
		case n <= 2:
			return alert.SeverityInfo, true
		case n <= 3:
			return alert.SeverityLow, true
		case n <= 4:
			return alert.SeverityMedium, true
		case n <= 5:
			return alert.SeverityHigh, true
		default:
			return alert.SeverityCritical, true
		}
	}
	if strings.EqualFold(s, "unknown") {
		return defaultSeverity, true
	}
	sev, err := alert.ParseSeverity(s)
	return sev, err == nil
}

// splunkSIDTime reads the dispatch time a scheduled search's sid carries
// ("scheduler__admin__search__RMD5..._at_1715678400_1234").
func splunkSIDTime(sid string) string {
	i := strings.LastIndex(sid, "_at_")
	if i < 0 {
		return ""
	}
	rest := sid[i+len("_at_"):]
	if j := strings.IndexByte(rest, '_'); j >= 0 {
		rest = rest[:j]
	}
	if _, err := strconv.ParseInt(rest, 10, 64); err != nil {
		return ""
	}
	return rest
}

func splunkOne(doc map[string]any, raw []byte) (alert.Alert, string, error) {
	b := newBuilder("splunk")
	a := &b.a
	res := obj(doc, "result")
	if res == nil {
		return alert.Alert{}, "", missing("splunk", "result")
	}
	search := str(doc, "search_name")
	if search == "" {
		return alert.Alert{}, "", missing("splunk", "search_name")
	}
	a.Rule = search
	signature := str(res, "signature")
	a.Title = firstOf(signature, search)
	a.Description = str(res, "description")
	sid := str(doc, "sid")
	a.ID = sid

	// _time is epoch seconds (or ISO text when the search formats it).
	// Searches that aggregate (stats, tstats) drop it; a scheduled search's
	// sid still carries its dispatch time, which is the best left.
	switch {
	case get(res, "_time") != nil:
		t, err := timeAt("splunk", doc, "result._time")
		if err != nil {
			return alert.Alert{}, "", err
		}
		a.Time = t
	case splunkSIDTime(sid) != "":
		t, err := parseTime(splunkSIDTime(sid))
		if err != nil {
			return alert.Alert{}, "", &FieldError{Format: "splunk", Field: "sid", Reason: "dispatch time: " + err.Error()}
		}
		a.Time = t
	default:
		return alert.Alert{}, "", &FieldError{Format: "splunk", Field: "result._time", Reason: "missing, and the sid carries no _at_<epoch> dispatch time"}
	}

	a.Severity = defaultSeverity
	for _, f := range []string{"severity", "urgency"} {
		s := rawStr(res, f)
		if s == "" {
			continue
		}
		sev, ok := splunkSeverity(s)
		if !ok {
			return alert.Alert{}, "", &FieldError{Format: "splunk", Field: "result." + f, Reason: "unknown value " + quote(s)}
		}
		b.severity(sev, s)
		break
	}

	// dest and src may hold a host name or an address (CIM allows both), so
	// each is an IP when it parses as one and a host otherwise. The target
	// side comes first: the first host is the one incidents group by.
	for _, f := range []string{"dest_ip", "dest"} {
		splunkEndpoint(b, res, f, alert.DirectionDestination, port(res, "dest_port"))
	}
	b.host(str(res, "dest_host", "dest_nt_host"), "", nil, "")
	b.host(str(res, "host"), "", nil, "")
	for _, f := range []string{"src_ip", "src"} {
		splunkEndpoint(b, res, f, alert.DirectionSource, port(res, "src_port"))
	}
	b.host(str(res, "src_host", "src_nt_host"), "", nil, "")
	for _, f := range []string{"user", "dest_user", "src_user"} {
		for _, u := range strs(res, f) {
			b.user(u, "", "", "")
		}
	}

	// CIM's process is the full command line; some sources put only the
	// program there, which then names the process too.
	procPath, cmd := str(res, "process_path"), str(res, "process")
	procName := firstOf(str(res, "process_name"), baseName(procPath))
	if procName == "" && cmd != "" && !strings.ContainsAny(cmd, " \t") {
		procName = baseName(cmd)
	}
	b.process(alert.Process{
		Name:        procName,
		PID:         pid(res, "process_id", "pid"),
		CommandLine: cmd,
		Parent:      firstOf(str(res, "parent_process_name"), baseName(str(res, "parent_process"))),
	})
	if h := str(res, "process_hash"); h != "" {
		b.fileByHash(str(res, "process_name"), procPath, h)
	}
	for _, h := range strs(res, "file_hash") {
		b.fileByHash(str(res, "file_name"), str(res, "file_path"), h)
	}
	if get(res, "file_hash") == nil {
		b.file(alert.FileHash{Name: str(res, "file_name"), Path: str(res, "file_path")})
	}
	for _, u := range strs(res, "url") {
		b.url(u)
	}
	for _, f := range []string{"url_domain", "dest_domain", "domain", "query"} {
		for _, d := range strs(res, f) {
			b.domain(d)
		}
	}
	for _, f := range []string{"annotations.mitre_attack", "annotations.mitre_attack.mitre_technique_id", "mitre_technique_id", "mitre_attack"} {
		b.techniques(strs(res, f)...)
	}
	a.Category = firstOf(keywordCategory(str(res, "category")), keywordCategory(search, signature))

	b.label("app", str(doc, "app"))
	b.label("owner", str(doc, "owner"))
	b.label("results_link", str(doc, "results_link"))
	b.label("signature_id", str(res, "signature_id"))
	b.label("action", str(res, "action"))

	out, err := b.finish(raw, "result.src, result.dest, result.user, result.host, result.process, result.file_hash, result.url")
	return out, "", err
}

// splunkEndpoint maps a CIM src or dest field: an address becomes an IP
// with the given direction, anything else a host.
func splunkEndpoint(b *builder, res map[string]any, field string, dir alert.Direction, p int) {
	for _, v := range strs(res, field) {
		if _, _, ok := normalizeIP(v); ok {
			b.ip("result."+field, v, dir, p)
		} else if !strings.HasSuffix(field, "_ip") {
			b.host(v, "", nil, "")
		} else {
			b.ip("result."+field, v, dir, p)
		}
	}
}

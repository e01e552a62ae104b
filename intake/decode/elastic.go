package decode

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/socflow/socflow/alert"
)

// elasticFormat decodes Elastic Security detection alerts: the documents of
// the .alerts-security.alerts-* indices (8.x: kibana.alert.* fields, stored
// as dotted keys next to nested ECS objects; both spellings work), the 7.x
// .siem-signals-* documents (signal.rule.*), a search hit wrapping either
// ({"_index", "_id", "_source"}), and a whole search response
// ({"hits": {"hits": [...]}}), which is a page.
type elasticFormat struct{}

func (elasticFormat) Name() string { return "elastic" }

func (elasticFormat) Detect(o map[string]json.RawMessage) bool {
	if elasticAlertKeys(o) {
		return true
	}
	if src := rawObject(o, "_source"); src != nil {
		return elasticAlertKeys(src)
	}
	if hits := rawObject(o, "hits"); hits != nil {
		first, isArray := rawFirst(hits, "hits")
		if !isArray {
			return false
		}
		if first == nil {
			// An empty search response: decodes to no alerts.
			return rawHas(o, "_shards") || rawHas(o, "took")
		}
		src := rawObject(first, "_source")
		return src != nil && elasticAlertKeys(src)
	}
	return false
}

// elasticAlertKeys reports whether a document carries detection-alert
// fields, dotted or nested.
func elasticAlertKeys(o map[string]json.RawMessage) bool {
	for k := range o {
		if strings.HasPrefix(k, "kibana.alert.") || strings.HasPrefix(k, "signal.rule") {
			return true
		}
	}
	if k := rawObject(o, "kibana"); k != nil {
		if _, ok := k["alert"]; ok {
			return true
		}
		for kk := range k {
			if strings.HasPrefix(kk, "alert.") {
				return true
			}
		}
	}
	if s := rawObject(o, "signal"); s != nil {
		_, ok := s["rule"]
		return ok
	}
	return false
}

func (elasticFormat) Decode(raw []byte) (Result, error) {
	doc, err := parseObject("elastic", raw)
	if err != nil {
		return Result{}, err
	}
	if _, isPage := get(doc, "hits.hits").([]any); isPage {
		items, err := rawItems(raw, "hits", "hits")
		if err != nil {
			return Result{}, &FieldError{Format: "elastic", Field: "hits.hits", Reason: describe(raw, err)}
		}
		return page("elastic", "hits.hits", items, elasticOne)
	}
	return single(elasticOne, doc, raw)
}

// elasticRiskSeverity maps a 0-100 risk score onto severity with the bands
// Elastic itself uses: a rule's default risk score is 21 for low, 47 for
// medium, 73 for high and 99 for critical, so the bands split between them.
// Elastic has no informational level.
func elasticRiskSeverity(score float64) alert.Severity {
	switch {
	case score >= 74:
		return alert.SeverityCritical
	case score >= 48:
		return alert.SeverityHigh
	case score >= 22:
		return alert.SeverityMedium
	default:
		return alert.SeverityLow
	}
}

// elasticCategories are the ECS event.category values that settle the
// routing category on their own. network and intrusion_detection are weaker:
// they apply only when no ATT&CK tactic says more.
var elasticCategories = map[string]string{
	"malware":        catMalware,
	"authentication": catIdentity,
	"iam":            catIdentity,
}

func elasticOne(doc map[string]any, raw []byte) (alert.Alert, string, error) {
	hitID := ""
	if src := obj(doc, "_source"); src != nil {
		hitID = str(doc, "_id")
		doc = src
	}
	b := newBuilder("elastic")
	a := &b.a

	a.Rule = str(doc, "kibana.alert.rule.name", "signal.rule.name", "rule.name")
	if a.Rule == "" {
		return alert.Alert{}, "", missing("elastic", "kibana.alert.rule.name")
	}
	a.Title = a.Rule
	a.Description = str(doc, "kibana.alert.reason", "signal.reason", "kibana.alert.rule.description", "signal.rule.description")
	a.ID = firstOf(str(doc, "kibana.alert.uuid"), hitID)

	t, err := timeAt("elastic", doc, "@timestamp", "kibana.alert.original_time", "signal.original_time")
	if err != nil {
		return alert.Alert{}, "", err
	}
	a.Time = t

	// kibana.alert.severity is the alert's severity after any severity
	// override the rule applies, in Elastic's four levels (low, medium,
	// high, critical), which map one to one. Without it the risk score
	// decides, in Elastic's own bands; without either, defaultSeverity.
	sevField := ""
	switch s := rawStr(doc, "kibana.alert.severity", "kibana.alert.rule.parameters.severity", "signal.rule.severity"); {
	case s != "":
		sev, err := alert.ParseSeverity(s)
		if err != nil {
			return alert.Alert{}, "", &FieldError{Format: "elastic", Field: "kibana.alert.severity", Reason: "unknown value " + quote(s)}
		}
		b.severity(sev, s)
		sevField = s
	}
	if score, ok := num(doc, "kibana.alert.risk_score", "kibana.alert.rule.parameters.risk_score", "signal.rule.risk_score"); ok {
		b.label("risk_score", strconv.FormatFloat(score, 'f', -1, 64))
		if sevField == "" {
			a.Severity = elasticRiskSeverity(score)
		}
	}
	if a.Severity == "" {
		a.Severity = defaultSeverity
	}

	var tactics []string
	for _, path := range []string{"kibana.alert.rule.threat", "kibana.alert.rule.parameters.threat", "signal.rule.threat", "threat"} {
		for _, th := range objects(doc, path) {
			tactics = append(tactics, str(th, "tactic.name"), str(th, "tactic.id"))
			for _, tech := range objects(th, "technique") {
				b.techniques(str(tech, "id"))
				for _, sub := range objects(tech, "subtechnique") {
					b.techniques(str(sub, "id"))
				}
			}
		}
	}

	eventCats := strs(doc, "event.category")
	for _, c := range eventCats {
		if cat := elasticCategories[strings.ToLower(c)]; cat != "" {
			a.Category = cat
			break
		}
	}
	if a.Category == "" {
		a.Category = classCategory(tactics...)
	}
	if a.Category == "" {
		for _, c := range eventCats {
			if c == "network" || c == "intrusion_detection" {
				a.Category = catNetwork
			}
		}
	}

	b.host(str(doc, "host.name", "host.hostname"), str(doc, "host.id"), strs(doc, "host.ip"),
		str(doc, "host.os.full", "host.os.name", "host.os.platform"))
	b.user(str(doc, "user.name"), str(doc, "user.domain"), str(doc, "user.email"), str(doc, "user.id"))
	b.ip("source.ip", str(doc, "source.ip"), alert.DirectionSource, port(doc, "source.port"))
	b.ip("destination.ip", str(doc, "destination.ip"), alert.DirectionDestination, port(doc, "destination.port"))

	exe := str(doc, "process.executable")
	b.process(alert.Process{
		Name:        firstOf(str(doc, "process.name"), baseName(exe)),
		PID:         pid(doc, "process.pid"),
		CommandLine: str(doc, "process.command_line"),
		Parent:      firstOf(str(doc, "process.parent.name"), baseName(str(doc, "process.parent.executable"))),
		SHA256:      str(doc, "process.hash.sha256"),
	})
	if md5, sha1 := str(doc, "process.hash.md5"), str(doc, "process.hash.sha1"); md5 != "" || sha1 != "" {
		b.file(alert.FileHash{Name: firstOf(str(doc, "process.name"), baseName(exe)), Path: exe,
			MD5: md5, SHA1: sha1, SHA256: str(doc, "process.hash.sha256")})
	}
	b.file(alert.FileHash{
		Name: str(doc, "file.name"), Path: str(doc, "file.path"),
		MD5: str(doc, "file.hash.md5"), SHA1: str(doc, "file.hash.sha1"), SHA256: str(doc, "file.hash.sha256"),
	})
	for _, p := range []string{"dns.question.name", "destination.domain", "url.domain"} {
		b.domain(str(doc, p))
	}
	b.url(str(doc, "url.full", "url.original"))

	b.label("rule_uuid", str(doc, "kibana.alert.rule.uuid", "signal.rule.id"))
	b.label("rule_id", str(doc, "kibana.alert.rule.rule_id", "signal.rule.rule_id"))
	b.label("workflow_status", str(doc, "kibana.alert.workflow_status", "signal.status"))
	b.label("original_time", str(doc, "kibana.alert.original_time", "signal.original_time"))
	b.label("building_block_type", str(doc, "kibana.alert.building_block_type"))

	out, err := b.finish(raw, "host.name, user.name, source.ip, destination.ip, process.name, file.hash.*, dns.question.name, url.full")
	return out, "", err
}

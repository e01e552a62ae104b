package decode

import (
	"encoding/json"
	"strings"

	"github.com/socflow/socflow/alert"
)

// defenderFormat decodes Microsoft Defender for Endpoint API alerts
// (GET /api/alerts/{id}, with evidence when fetched with $expand=evidence)
// and the list wrapper {"@odata.context": ".../$metadata#Alerts",
// "value": [...]}, which is a page and may be empty.
type defenderFormat struct{}

func (defenderFormat) Name() string { return "defender" }

func (defenderFormat) Detect(o map[string]json.RawMessage) bool {
	if defenderAlertKeys(o) {
		return true
	}
	first, isArray := rawFirst(o, "value")
	if !isArray {
		return false
	}
	if strings.Contains(rawString(o, "@odata.context"), "#Alerts") {
		return true
	}
	return first != nil && defenderAlertKeys(first)
}

func defenderAlertKeys(o map[string]json.RawMessage) bool {
	return rawHas(o, "alertCreationTime") ||
		(rawHas(o, "machineId") && rawHas(o, "detectionSource")) ||
		(rawHas(o, "computerDnsName") && rawHas(o, "title"))
}

func (defenderFormat) Decode(raw []byte) (Result, error) {
	doc, err := parseObject("defender", raw)
	if err != nil {
		return Result{}, err
	}
	if _, isPage := doc["value"].([]any); isPage {
		items, err := rawItems(raw, "value")
		if err != nil {
			return Result{}, &FieldError{Format: "defender", Field: "value", Reason: describe(raw, err)}
		}
		return page("defender", "value", items, defenderOne)
	}
	if v, ok := doc["value"]; ok && v == nil && get(doc, "title") == nil {
		// {"value": null}: a page with nothing in it.
		return Result{}, nil
	}
	return single(defenderOne, doc, raw)
}

// microsoftSeverity maps the severity Defender for Endpoint and Graph
// write: Informational → info, Low → low, Medium → medium, High → high.
// Defender's UnSpecified and Graph's unknown (and unknownFutureValue) state
// no severity, so they, and an absent one, are defaultSeverity. Neither
// product has a critical level.
func microsoftSeverity(format string, doc map[string]any) (alert.Severity, string, error) {
	s := rawStr(doc, "severity")
	switch normKey(s) {
	case "informational":
		return alert.SeverityInfo, s, nil
	case "low":
		return alert.SeverityLow, s, nil
	case "medium":
		return alert.SeverityMedium, s, nil
	case "high":
		return alert.SeverityHigh, s, nil
	case "", "unspecified", "unknown", "unknownfuturevalue":
		return defaultSeverity, s, nil
	}
	return "", "", &FieldError{Format: format, Field: "severity", Reason: "unknown value " + quote(s)}
}

func defenderOne(doc map[string]any, raw []byte) (alert.Alert, string, error) {
	b := newBuilder("defender")
	a := &b.a
	// Defender's title is the detection's name ("Suspicious PowerShell
	// command line"), the same for every alert of that detector, so it is
	// also the rule; detectorId is kept as a label.
	a.Title = str(doc, "title")
	if a.Title == "" {
		return alert.Alert{}, "", missing("defender", "title")
	}
	a.Rule = a.Title
	a.Description = str(doc, "description")
	a.ID = str(doc, "id", "alertId")

	// firstEventTime is when the activity happened; the alert is created
	// minutes later, so creation time is the fallback.
	t, err := timeAt("defender", doc, "firstEventTime", "alertCreationTime", "lastUpdateTime")
	if err != nil {
		return alert.Alert{}, "", err
	}
	a.Time = t
	sev, vendor, err := microsoftSeverity("defender", doc)
	if err != nil {
		return alert.Alert{}, "", err
	}
	b.severity(sev, vendor)

	category := str(doc, "category")
	// Defender for Endpoint watches endpoints: an alert whose category names
	// no better class is a host compromise.
	a.Category = firstOf(classCategory(category), catMalware)
	b.techniques(strs(doc, "mitreTechniques")...)

	b.host(str(doc, "computerDnsName"), str(doc, "machineId"), nil, "")
	b.user(str(doc, "relatedUser.userName"), str(doc, "relatedUser.domainName"), "", "")

	for _, ev := range objects(doc, "evidence") {
		switch normKey(str(ev, "entityType")) {
		case "file":
			b.file(alert.FileHash{Name: str(ev, "fileName"), Path: str(ev, "filePath"),
				SHA1: str(ev, "sha1"), SHA256: str(ev, "sha256")})
		case "process":
			b.process(alert.Process{
				Name:        str(ev, "fileName"),
				PID:         pid(ev, "processId"),
				CommandLine: str(ev, "processCommandLine"),
				Parent:      str(ev, "parentProcessFileName"),
				SHA256:      str(ev, "sha256"),
			})
			// The image file, when Defender hashed it: SHA-1 has no place on
			// a process.
			if str(ev, "sha1") != "" || str(ev, "sha256") != "" {
				b.file(alert.FileHash{Name: str(ev, "fileName"), Path: str(ev, "filePath"),
					SHA1: str(ev, "sha1"), SHA256: str(ev, "sha256")})
			}
			b.user(str(ev, "accountName"), str(ev, "domainName"), str(ev, "userPrincipalName"), str(ev, "aadUserId", "userSid"))
		case "user":
			b.user(str(ev, "accountName"), str(ev, "domainName"), str(ev, "userPrincipalName"), str(ev, "aadUserId", "userSid"))
		case "ip":
			b.ip("evidence.ipAddress", str(ev, "ipAddress"), alert.DirectionUnknown, 0)
		case "url":
			u := str(ev, "url")
			b.url(u)
			b.domain(urlHost(u))
		}
	}

	b.label("incident_id", str(doc, "incidentId"))
	b.label("detection_source", str(doc, "detectionSource"))
	b.label("detector_id", str(doc, "detectorId"))
	b.label("status", str(doc, "status"))
	b.label("vendor_category", category)
	b.label("threat_family", str(doc, "threatFamilyName"))
	b.label("threat_name", str(doc, "threatName"))
	b.label("rbac_group", str(doc, "rbacGroupName"))
	b.label("tenant_id", str(doc, "aadTenantId"))

	out, err := b.finish(raw, "computerDnsName, machineId, relatedUser, evidence")
	return out, "", err
}

package decode

import (
	"encoding/json"
	"strings"

	"github.com/socflow/socflow/alert"
)

// graphFormat decodes Microsoft Graph security alerts (the alert resource
// of /security/alerts_v2, from Defender XDR and the products it unifies) and
// the page wrapper {"@odata.context": ".../$metadata#security/alerts_v2",
// "value": [...]}, which may be empty.
type graphFormat struct{}

func (graphFormat) Name() string { return "graph" }

func (graphFormat) Detect(o map[string]json.RawMessage) bool {
	if graphAlertKeys(o) {
		return true
	}
	first, isArray := rawFirst(o, "value")
	if !isArray {
		return false
	}
	if strings.Contains(rawString(o, "@odata.context"), "security/alerts_v2") {
		return true
	}
	return first != nil && graphAlertKeys(first)
}

func graphAlertKeys(o map[string]json.RawMessage) bool {
	return rawString(o, "@odata.type") == "#microsoft.graph.security.alert" ||
		(rawHas(o, "serviceSource") && rawHas(o, "createdDateTime")) ||
		(rawHas(o, "providerAlertId") && rawHas(o, "createdDateTime"))
}

func (graphFormat) Decode(raw []byte) (Result, error) {
	doc, err := parseObject("graph", raw)
	if err != nil {
		return Result{}, err
	}
	if _, isPage := doc["value"].([]any); isPage {
		items, err := rawItems(raw, "value")
		if err != nil {
			return Result{}, &FieldError{Format: "graph", Field: "value", Reason: describe(raw, err)}
		}
		return page("graph", "value", items, graphOne)
	}
	if v, ok := doc["value"]; ok && v == nil && get(doc, "title") == nil {
		return Result{}, nil
	}
	return single(graphOne, doc, raw)
}

// graphServiceCategories classify an alert by the product that raised it
// when its category names no class: identity products raise identity
// alerts, Defender for Endpoint raises host compromises.
var graphServiceCategories = map[string]string{
	"microsoftdefenderforidentity": catIdentity,
	"microsoftentraidprotection":   catIdentity,
	"azureadidentityprotection":    catIdentity,
	"microsoftdefenderforendpoint": catMalware,
	"microsoftdefenderforservers":  catMalware,
}

func graphOne(doc map[string]any, raw []byte) (alert.Alert, string, error) {
	b := newBuilder("graph")
	a := &b.a
	// As for Defender, the title is the detection's name and so the rule.
	a.Title = str(doc, "title")
	if a.Title == "" {
		return alert.Alert{}, "", missing("graph", "title")
	}
	a.Rule = a.Title
	a.Description = str(doc, "description")
	a.ID = str(doc, "id", "providerAlertId")

	// firstActivityDateTime is when the activity happened; createdDateTime
	// when the alert was raised, the fallback.
	t, err := timeAt("graph", doc, "firstActivityDateTime", "createdDateTime", "lastUpdateDateTime")
	if err != nil {
		return alert.Alert{}, "", err
	}
	a.Time = t
	sev, vendor, err := microsoftSeverity("graph", doc)
	if err != nil {
		return alert.Alert{}, "", err
	}
	b.severity(sev, vendor)

	category, service := str(doc, "category"), str(doc, "serviceSource")
	a.Category = firstOf(classCategory(category), graphServiceCategories[normKey(service)])
	b.techniques(strs(doc, "mitreTechniques")...)

	for _, ev := range objects(doc, "evidence") {
		graphEvidence(b, ev)
	}

	b.label("incident_id", str(doc, "incidentId"))
	b.label("service_source", service)
	b.label("detection_source", str(doc, "detectionSource"))
	b.label("detector_id", str(doc, "detectorId"))
	b.label("provider_alert_id", str(doc, "providerAlertId"))
	b.label("status", str(doc, "status"))
	b.label("vendor_category", category)
	b.label("threat_family", str(doc, "threatFamilyName"))
	b.label("actor", str(doc, "actorDisplayName"))
	b.label("alert_web_url", str(doc, "alertWebUrl"))
	b.label("tenant_id", str(doc, "tenantId"))

	out, err := b.finish(raw, "evidence")
	return out, "", err
}

// graphEvidence maps one evidence item by its @odata.type. An IP's roles
// give its direction: "attacker" or "source" is a source, "destination" a
// destination.
func graphEvidence(b *builder, ev map[string]any) {
	typ := str(ev, "@odata.type")
	if i := strings.LastIndexByte(typ, '.'); i >= 0 {
		typ = typ[i+1:]
	}
	graphUser := func(u map[string]any) {
		if u != nil {
			b.user(str(u, "accountName"), str(u, "domainName"), str(u, "userPrincipalName"), str(u, "azureAdUserId", "userSid"))
		}
	}
	switch typ {
	case "deviceEvidence":
		b.host(str(ev, "deviceDnsName", "hostName"), str(ev, "mdeDeviceId", "azureAdDeviceId"), strs(ev, "ipInterfaces"), str(ev, "osPlatform"))
		for _, u := range objects(ev, "loggedOnUsers") {
			b.user(str(u, "accountName"), str(u, "domainName"), "", "")
		}
	case "userEvidence":
		graphUser(obj(ev, "userAccount"))
	case "ipEvidence":
		dir := alert.DirectionUnknown
		for _, r := range strs(ev, "roles") {
			switch strings.ToLower(r) {
			case "attacker", "source":
				dir = alert.DirectionSource
			case "destination":
				dir = alert.DirectionDestination
			}
		}
		b.ip("evidence.ipAddress", str(ev, "ipAddress"), dir, 0)
	case "urlEvidence":
		u := str(ev, "url")
		b.url(u)
		b.domain(urlHost(u))
	case "fileEvidence":
		f := obj(ev, "fileDetails")
		b.file(alert.FileHash{Name: str(f, "fileName"), Path: str(f, "filePath"),
			MD5: str(f, "md5"), SHA1: str(f, "sha1"), SHA256: str(f, "sha256")})
	case "processEvidence":
		img := obj(ev, "imageFile")
		b.process(alert.Process{
			Name:        str(img, "fileName"),
			PID:         pid(ev, "processId"),
			CommandLine: str(ev, "processCommandLine"),
			Parent:      str(ev, "parentProcessImageFile.fileName"),
			SHA256:      str(img, "sha256"),
		})
		if str(img, "sha1") != "" || str(img, "sha256") != "" || str(img, "md5") != "" {
			b.file(alert.FileHash{Name: str(img, "fileName"), Path: str(img, "filePath"),
				MD5: str(img, "md5"), SHA1: str(img, "sha1"), SHA256: str(img, "sha256")})
		}
		graphUser(obj(ev, "userAccount"))
	case "mailboxEvidence":
		graphUser(obj(ev, "userAccount"))
		b.user("", "", str(ev, "primaryAddress"), "")
	case "analyzedMessageEvidence":
		b.ip("evidence.senderIp", str(ev, "senderIp"), alert.DirectionSource, 0)
		b.user("", "", str(ev, "recipientEmailAddress"), "")
	case "cloudLogonSessionEvidence":
		graphUser(obj(ev, "account.userAccount"))
	}
}

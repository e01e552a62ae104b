package decode

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/socflow/socflow/alert"
)

// falconFormat decodes CrowdStrike Falcon streaming API events
// ({"metadata": {"eventType", "customerIDString", "offset",
// "eventCreationTime", ...}, "event": {...}}), as the Event Streams API and
// the Falcon SIEM Connector emit them. DetectionSummaryEvent and its
// successor EppDetectionSummaryEvent (2024 onwards: Name, Hostname, AgentId,
// CompositeId, TechniqueId, ...), in any letter case, become alerts; every
// other event type (audit, authentication, incident, remote response) is
// skipped.
type falconFormat struct{}

func (falconFormat) Name() string { return "falcon" }

func (falconFormat) Detect(o map[string]json.RawMessage) bool {
	m := rawObject(o, "metadata")
	if m == nil || rawString(m, "eventType") == "" || rawObject(o, "event") == nil {
		return false
	}
	return rawHas(m, "customerIDString") || rawHas(m, "offset") || rawHas(m, "eventCreationTime")
}

func (falconFormat) Decode(raw []byte) (Result, error) {
	doc, err := parseObject("falcon", raw)
	if err != nil {
		return Result{}, err
	}
	return single(falconOne, doc, raw)
}

// falconSeverity maps Falcon's 1-5 Severity (1 informational, 2 low,
// 3 medium, 4 high, 5 critical, as SeverityName spells them) one to one.
// Without a number, SeverityName is read; without either, defaultSeverity.
func falconSeverity(ev map[string]any) (alert.Severity, string, error) {
	if n, ok := num(ev, "Severity"); ok {
		v := rawStr(ev, "Severity")
		switch {
		case n < 1.5:
			return alert.SeverityInfo, v, nil
		case n < 2.5:
			return alert.SeverityLow, v, nil
		case n < 3.5:
			return alert.SeverityMedium, v, nil
		case n < 4.5:
			return alert.SeverityHigh, v, nil
		default:
			return alert.SeverityCritical, v, nil
		}
	}
	if name := rawStr(ev, "SeverityName"); name != "" {
		sev, err := alert.ParseSeverity(name)
		if err != nil {
			return "", "", &FieldError{Format: "falcon", Field: "event.SeverityName", Reason: "unknown value " + quote(name)}
		}
		return sev, name, nil
	}
	return defaultSeverity, "", nil
}

// falconDetectionTypes are the event types that are detections: the legacy
// DetectionSummaryEvent and its successor EppDetectionSummaryEvent.
var falconDetectionTypes = []string{"DetectionSummaryEvent", "EppDetectionSummaryEvent"}

// falconDetection reports whether eventType names a detection, without
// regard to case: the stream writes "EppDetectionSummaryEvent", while
// CrowdStrike's own pages and connectors also spell it
// "EPPDetectionSummaryEvent", and a detection skipped for its spelling is
// a host nobody contains.
func falconDetection(eventType string) bool {
	for _, t := range falconDetectionTypes {
		if strings.EqualFold(eventType, t) {
			return true
		}
	}
	return false
}

func falconOne(doc map[string]any, raw []byte) (alert.Alert, string, error) {
	et := str(doc, "metadata.eventType")
	switch {
	case et == "":
		return alert.Alert{}, "", missing("falcon", "metadata.eventType")
	case !falconDetection(et):
		return alert.Alert{}, "eventType " + et, nil
	}
	ev := obj(doc, "event")
	if ev == nil {
		return alert.Alert{}, "", missing("falcon", "event")
	}
	b := newBuilder("falcon")
	a := &b.a
	a.Source = "crowdstrike"

	a.Rule = str(ev, "DetectName", "Name")
	if a.Rule == "" {
		return alert.Alert{}, "", missing("falcon", "event.DetectName")
	}
	a.Title = a.Rule
	a.Description = str(ev, "DetectDescription", "Description")
	a.ID = str(ev, "DetectId", "CompositeId")

	// eventCreationTime is when Falcon raised the detection (epoch ms);
	// ProcessStartTime (epoch s) is when the offending process started, the
	// best left when the metadata lacks it.
	t, err := timeAt("falcon", doc, "metadata.eventCreationTime", "event.Timestamp", "event.ProcessStartTime")
	if err != nil {
		return alert.Alert{}, "", err
	}
	a.Time = t

	sev, vendor, err := falconSeverity(ev)
	if err != nil {
		return alert.Alert{}, "", err
	}
	b.severity(sev, firstOf(str(ev, "SeverityName"), vendor))

	tactic, technique := str(ev, "Tactic"), str(ev, "Technique")
	b.techniques(str(ev, "TechniqueId"))
	var tactics []string
	for _, m := range objects(ev, "MitreAttack") {
		b.techniques(str(m, "technique_id"))
		tactics = append(tactics, str(m, "tactic"), str(m, "tactic_id"))
	}
	b.techniques(technique)
	// Falcon is an endpoint sensor: a detection whose tactic names no better
	// class is a host compromise, answered by the malware playbook.
	a.Category = firstOf(classCategory(append(tactics, tactic, str(ev, "TacticId"))...), catMalware)

	b.host(str(ev, "ComputerName", "Hostname"), str(ev, "SensorId", "AgentId"), strs(ev, "LocalIP"), str(ev, "Platform", "PlatformName"))
	b.user(str(ev, "UserName"), str(ev, "LogonDomain"), "", str(ev, "UserId"))

	fileName, filePath := str(ev, "FileName"), str(ev, "FilePath")
	// ProcessId is Falcon's own process identifier (TargetProcessId), not
	// the operating system's PID, so it is a label.
	b.process(alert.Process{
		Name:        fileName,
		CommandLine: str(ev, "CommandLine"),
		Parent:      baseName(str(ev, "ParentImageFileName")),
		SHA256:      str(ev, "SHA256String"),
	})
	b.file(alert.FileHash{Name: fileName, Path: filePath,
		MD5: str(ev, "MD5String"), SHA1: str(ev, "SHA1String"), SHA256: str(ev, "SHA256String")})

	// The indicator Falcon matched, when the detection is an IOC hit.
	switch ioc := str(ev, "IOCValue"); str(ev, "IOCType") {
	case "hash_sha256", "hash_md5", "hash_sha1":
		b.fileByHash("", "", ioc)
	case "domain":
		b.domain(ioc)
	case "ipv4", "ipv6":
		b.ip("event.IOCValue", ioc, alert.DirectionUnknown, 0)
	case "url":
		b.url(ioc)
	}
	for _, n := range objects(ev, "NetworkAccesses") {
		// ConnectionDirection is not documented consistently across sensor
		// versions, so the remote side is kept without a direction.
		b.ip("event.NetworkAccesses.RemoteAddress", str(n, "RemoteAddress"), alert.DirectionUnknown, port(n, "RemotePort"))
	}
	for _, d := range objects(ev, "DnsRequests") {
		b.domain(str(d, "DomainName"))
	}

	b.label("tactic", tactic)
	b.label("tactic_id", str(ev, "TacticId"))
	b.label("technique", technique)
	b.label("technique_id", str(ev, "TechniqueId"))
	// PatternId names the detection logic that fired (the same for every
	// detection of one behaviour), for tuning and for CrowdStrike support.
	b.label("pattern_id", str(ev, "PatternId"))
	b.label("objective", str(ev, "Objective"))
	b.label("disposition", str(ev, "PatternDispositionDescription"))
	b.label("falcon_link", str(ev, "FalconHostLink"))
	b.label("machine_domain", str(ev, "MachineDomain"))
	b.label("parent_command_line", str(ev, "ParentCommandLine"))
	b.label("falcon_process_id", str(ev, "ProcessId"))
	b.label("customer_id", str(doc, "metadata.customerIDString"))
	if off, ok := integer(doc, "metadata.offset"); ok {
		b.label("stream_offset", strconv.Itoa(off))
	}

	out, err := b.finish(raw, "event.ComputerName, event.UserName, event.FileName, event.SHA256String, event.CommandLine")
	return out, "", err
}

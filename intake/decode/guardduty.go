package decode

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/socflow/socflow/alert"
)

// guarddutyFormat decodes AWS GuardDuty findings in the three shapes they
// travel in: the finding itself (as exported to S3 or returned by the API),
// the EventBridge event {"detail-type": "GuardDuty Finding", "source":
// "aws.guardduty", "detail": {finding}}, and the GetFindings response
// {"Findings": [...]}, which the AWS CLI and SDKs print with PascalCase keys
// ("AccountId", "Service": {"Action": ...}); those are read as their
// camelCase API spelling.
type guarddutyFormat struct{}

func (guarddutyFormat) Name() string { return "guardduty" }

func (guarddutyFormat) Detect(o map[string]json.RawMessage) bool {
	if rawString(o, "source") == "aws.guardduty" || strings.HasPrefix(rawString(o, "detail-type"), "GuardDuty ") {
		return true
	}
	for _, k := range []string{"Findings", "findings"} {
		if first, isArray := rawFirst(o, k); isArray {
			return first == nil || guarddutyFindingKeys(first)
		}
	}
	return guarddutyFindingKeys(o)
}

// guarddutyFindingKeys reports whether an object is a finding, in either
// spelling. Security Hub's ASFF has SchemaVersion too, but Types and
// Resources in the plural, so it does not match.
func guarddutyFindingKeys(o map[string]json.RawMessage) bool {
	has := func(k string) bool { return rawHas(o, k) || rawHas(o, strings.ToUpper(k[:1])+k[1:]) }
	return has("schemaVersion") && has("type") && (has("service") || has("resource"))
}

func (guarddutyFormat) Decode(raw []byte) (Result, error) {
	doc, err := parseObject("guardduty", raw)
	if err != nil {
		return Result{}, err
	}
	if str(doc, "source") == "aws.guardduty" || get(doc, "detail-type") != nil {
		if dt := str(doc, "detail-type"); dt != "GuardDuty Finding" {
			if dt == "" {
				return Result{}, missing("guardduty", "detail-type")
			}
			// Malware scan results, runtime agent health and other
			// GuardDuty events are not findings.
			return Result{Skipped: 1, SkipReason: "detail-type " + dt}, nil
		}
		detail := obj(doc, "detail")
		if detail == nil {
			return Result{}, missing("guardduty", "detail")
		}
		a, err := guarddutyOne(detail, raw, "detail.")
		if err != nil {
			return Result{}, err
		}
		return Result{Alerts: []alert.Alert{a}}, nil
	}
	for _, k := range []string{"Findings", "findings"} {
		if _, isPage := doc[k].([]any); isPage {
			items, err := rawItems(raw, k)
			if err != nil {
				return Result{}, &FieldError{Format: "guardduty", Field: k, Reason: describe(raw, err)}
			}
			return page("guardduty", k, items, func(f map[string]any, item []byte) (alert.Alert, string, error) {
				a, err := guarddutyOne(f, item, "")
				return a, "", err
			})
		}
	}
	a, err := guarddutyOne(doc, raw, "")
	if err != nil {
		return Result{}, err
	}
	return Result{Alerts: []alert.Alert{a}}, nil
}

// guarddutySeverity maps the 1.0-10.0 severity with AWS's documented bands:
// low 1.0-3.9, medium 4.0-6.9, high 7.0-8.9, and critical 9.0-10.0, which
// GuardDuty uses for Extended Threat Detection attack sequences. Values below
// 1 (some test findings) are low.
func guarddutySeverity(n float64) alert.Severity {
	switch {
	case n >= 9:
		return alert.SeverityCritical
	case n >= 7:
		return alert.SeverityHigh
	case n >= 4:
		return alert.SeverityMedium
	default:
		return alert.SeverityLow
	}
}

// guarddutyCategory classifies a finding by its type,
// ThreatPurpose:ResourceTypeAffected/ThreatFamilyName.DetectionMechanism!Artifact:
// brute force → identity; Exfiltration → exfiltration; Trojan, Backdoor,
// CryptoCurrency and malicious-file findings → malware; Recon and Behavior →
// network; any other purpose against IAM users or access keys → identity.
// Otherwise the action decides: network connections, port probes and DNS
// requests → network, API calls → identity.
func guarddutyCategory(typ, actionType string) string {
	purpose, rest, _ := strings.Cut(typ, ":")
	resource, _, _ := strings.Cut(rest, "/")
	switch {
	case strings.Contains(typ, "BruteForce"):
		return catIdentity
	case purpose == "Exfiltration":
		return catExfiltration
	case purpose == "Trojan" || purpose == "Backdoor" || purpose == "CryptoCurrency" || strings.Contains(typ, "MaliciousFile"):
		return catMalware
	case purpose == "Recon" || purpose == "Behavior":
		return catNetwork
	case resource == "IAMUser" || resource == "AccessKey":
		return catIdentity
	}
	switch actionType {
	case "NETWORK_CONNECTION", "PORT_PROBE", "DNS_REQUEST":
		return catNetwork
	case "AWS_API_CALL":
		return catIdentity
	}
	return ""
}

// lowerFirstKeys rewrites the PascalCase keys of the CLI's and SDKs'
// output ("PrivateIpAddress") to the API's camelCase ("privateIpAddress").
func lowerFirstKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			r, n := utf8.DecodeRuneInString(k)
			if unicode.IsUpper(r) {
				k = string(unicode.ToLower(r)) + k[n:]
			}
			out[k] = lowerFirstKeys(val)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, el := range t {
			out[i] = lowerFirstKeys(el)
		}
		return out
	}
	return v
}

// guarddutyOne decodes one finding; prefix is where the finding sits in the
// entry ("detail." in an EventBridge event), for error messages.
func guarddutyOne(f map[string]any, raw []byte, prefix string) (alert.Alert, error) {
	if f["SchemaVersion"] != nil || f["Type"] != nil || f["AccountId"] != nil {
		f, _ = lowerFirstKeys(f).(map[string]any)
	}
	b := newBuilder("guardduty")
	a := &b.a
	typ := str(f, "type")
	if typ == "" {
		return alert.Alert{}, missing("guardduty", prefix+"type")
	}
	a.Rule = typ
	a.Title = firstOf(str(f, "title"), typ)
	a.Description = str(f, "description")
	a.ID = str(f, "id")

	// eventFirstSeen is when the activity began; a finding that recurs keeps
	// its ID and first-seen time, and GuardDuty updates count and
	// eventLastSeen, kept as labels.
	t, err := timeAt("guardduty", f, "service.eventFirstSeen", "createdAt", "updatedAt", "service.eventLastSeen")
	if err != nil {
		return alert.Alert{}, prefixed(err, prefix)
	}
	a.Time = t

	a.Severity = defaultSeverity
	if s := rawStr(f, "severity"); s != "" {
		if n, ok := number(get(f, "severity")); ok {
			b.severity(guarddutySeverity(n), s)
		} else if sev, err := alert.ParseSeverity(s); err == nil {
			b.severity(sev, s)
		} else {
			return alert.Alert{}, &FieldError{Format: "guardduty", Field: prefix + "severity", Reason: "unknown value " + quote(s)}
		}
	}

	res := obj(f, "resource")
	if inst := obj(res, "instanceDetails"); inst != nil {
		name := ""
		for _, tag := range objects(inst, "tags") {
			if str(tag, "key") == "Name" {
				name = str(tag, "value")
			}
		}
		var ips []string
		for _, ni := range objects(inst, "networkInterfaces") {
			ips = append(ips, str(ni, "privateIpAddress"))
			for _, p := range objects(ni, "privateIpAddresses") {
				ips = append(ips, str(p, "privateIpAddress"))
			}
			ips = append(ips, str(ni, "publicIp"))
			ips = append(ips, strs(ni, "ipv6Addresses")...)
		}
		id := str(inst, "instanceId")
		b.host(firstOf(name, id), id, ips, str(inst, "platform"))
	}
	if ak := obj(res, "accessKeyDetails"); ak != nil {
		b.user(str(ak, "userName"), "", "", str(ak, "principalId"))
		b.label("access_key_id", str(ak, "accessKeyId"))
		b.label("user_type", str(ak, "userType"))
	}
	b.user(str(res, "kubernetesDetails.kubernetesUserDetails.username"), "", "", str(res, "kubernetesDetails.kubernetesUserDetails.uid"))
	b.label("resource_type", str(res, "resourceType"))
	b.label("eks_cluster", str(res, "eksClusterDetails.name"))
	b.label("lambda_function", str(res, "lambdaDetails.functionName"))
	b.label("rds_instance", str(res, "rdsDbInstanceDetails.dbInstanceIdentifier"))
	var buckets []string
	for _, s3 := range objects(res, "s3BucketDetails") {
		if n := str(s3, "name"); n != "" {
			buckets = append(buckets, n)
		}
	}
	b.label("s3_buckets", strings.Join(buckets, ","))

	act := obj(f, "service.action")
	actionType := str(act, "actionType")
	remoteIP := func(o map[string]any) string {
		return str(o, "remoteIpDetails.ipAddressV4", "remoteIpDetails.ipAddressV6")
	}
	if nc := obj(act, "networkConnectionAction"); nc != nil {
		remote, local := remoteIP(nc), str(nc, "localIpDetails.ipAddressV4", "localIpDetails.ipAddressV6")
		rport, lport := port(nc, "remotePortDetails.port"), port(nc, "localPortDetails.port")
		field := prefix + "service.action.networkConnectionAction.remoteIpDetails.ipAddressV4"
		localField := prefix + "service.action.networkConnectionAction.localIpDetails.ipAddressV4"
		// connectionDirection says who opened the connection: for INBOUND
		// the remote address is the source, for OUTBOUND the destination.
		switch strings.ToUpper(str(nc, "connectionDirection")) {
		case "INBOUND":
			b.ip(field, remote, alert.DirectionSource, rport)
			b.ip(localField, local, alert.DirectionDestination, lport)
		case "OUTBOUND":
			b.ip(localField, local, alert.DirectionSource, lport)
			b.ip(field, remote, alert.DirectionDestination, rport)
		default:
			b.ip(field, remote, alert.DirectionUnknown, rport)
		}
		b.label("protocol", str(nc, "protocol"))
		b.label("blocked", str(nc, "blocked"))
	}
	if api := obj(act, "awsApiCallAction"); api != nil {
		b.ip(prefix+"service.action.awsApiCallAction.remoteIpDetails.ipAddressV4", remoteIP(api), alert.DirectionSource, 0)
		b.domain(str(api, "domainDetails.domain"))
		b.label("api", str(api, "api"))
		b.label("service_name", str(api, "serviceName"))
		b.label("caller_type", str(api, "callerType"))
		b.label("error_code", str(api, "errorCode"))
	}
	var probed []string
	for _, pd := range objects(act, "portProbeAction.portProbeDetails") {
		b.ip(prefix+"service.action.portProbeAction.portProbeDetails.remoteIpDetails.ipAddressV4", remoteIP(pd), alert.DirectionSource, 0)
		if p := str(pd, "localPortDetails.port"); p != "" && !contains(probed, p) {
			probed = append(probed, p)
		}
	}
	b.label("probed_ports", strings.Join(probed, ","))
	if dns := obj(act, "dnsRequestAction"); dns != nil {
		b.domain(str(dns, "domain"))
		b.label("blocked", str(dns, "blocked"))
	}
	if k8s := obj(act, "kubernetesApiCallAction"); k8s != nil {
		b.ip(prefix+"service.action.kubernetesApiCallAction.remoteIpDetails.ipAddressV4", remoteIP(k8s), alert.DirectionSource, 0)
		b.label("request_uri", str(k8s, "requestUri"))
	}
	if rds := obj(act, "rdsLoginAttemptAction"); rds != nil {
		b.ip(prefix+"service.action.rdsLoginAttemptAction.remoteIpDetails.ipAddressV4", remoteIP(rds), alert.DirectionSource, 0)
	}

	// Runtime Monitoring and Malware Protection findings name the process
	// and the infected files.
	if p := obj(f, "service.runtimeDetails.process"); p != nil {
		b.process(alert.Process{
			Name:   firstOf(str(p, "name"), baseName(str(p, "executablePath"))),
			PID:    pid(p, "pid"),
			SHA256: str(p, "executableSha256"),
		})
	}
	for _, th := range objects(f, "service.ebsVolumeScanDetails.scanDetections.threatDetectedByName.threatNames") {
		b.label("threat_name", str(th, "name"))
		for _, fp := range objects(th, "filePaths") {
			b.file(alert.FileHash{Name: str(fp, "fileName"), Path: str(fp, "filePath"), SHA256: str(fp, "hash")})
		}
	}

	a.Category = guarddutyCategory(typ, actionType)
	b.label("account_id", str(f, "accountId"))
	b.label("region", str(f, "region"))
	b.label("arn", str(f, "arn"))
	b.label("count", str(f, "service.count"))
	b.label("last_seen", str(f, "service.eventLastSeen"))
	b.label("archived", str(f, "service.archived"))
	b.label("threat_list", str(f, "service.additionalInfo.threatListName"))

	return b.finish(raw, prefix+"resource.instanceDetails, "+prefix+"resource.accessKeyDetails, "+prefix+"service.action")
}

// prefixed puts the finding's position in front of the field an error
// names.
func prefixed(err error, prefix string) error {
	if fe, ok := err.(*FieldError); ok && prefix != "" {
		f := *fe
		f.Field = prefix + f.Field
		return &f
	}
	return err
}

package decode

import (
	"encoding/json"
	"strings"

	"github.com/socflow/socflow/alert"
)

// suricataFormat decodes Suricata EVE JSON records (one line of eve.json).
// Records with event_type "alert" become alerts; every other record type
// (flow, dns, http, tls, stats, ...) is skipped and counted, because eve.json
// interleaves them with alerts and they are telemetry, not detections.
type suricataFormat struct{}

func (suricataFormat) Name() string { return "suricata" }

// eveEventTypes are the event_type values Suricata writes (up to 8.0).
// Detection requires one of them, so that another product's "event_type"
// field is not mistaken for EVE.
var eveEventTypes = map[string]bool{
	"alert": true, "anomaly": true, "arp": true, "bittorrent_dht": true, "dcerpc": true, "dhcp": true,
	"dnp3": true, "dns": true, "doh2": true, "drop": true, "enip": true, "fileinfo": true, "files": true,
	"flow": true, "frame": true, "ftp": true, "ftp_data": true, "http": true, "http2": true, "ike": true,
	"ikev2": true, "krb5": true, "ldap": true, "mdns": true, "modbus": true, "mqtt": true, "netflow": true,
	"nfs": true, "pgsql": true, "pop3": true, "quic": true, "rdp": true, "rfb": true, "sip": true, "smb": true,
	"smtp": true, "snmp": true, "ssh": true, "stats": true, "tftp": true, "tls": true, "websocket": true,
}

func (suricataFormat) Detect(o map[string]json.RawMessage) bool {
	return eveEventTypes[rawString(o, "event_type")] && rawHas(o, "timestamp")
}

func (suricataFormat) Decode(raw []byte) (Result, error) {
	doc, err := parseObject("suricata", raw)
	if err != nil {
		return Result{}, err
	}
	return single(suricataOne, doc, raw)
}

// suricataSeverity maps alert.severity, which is the signature's
// classification priority: 1 is the most severe. 1 → high, 2 → medium,
// 3 → low, 4 and above → info. Suricata gives a signature without a
// classtype priority 3, so an absent severity is low. Emerging Threats rules
// also state metadata.signature_severity; "Critical" there raises a
// priority-1 alert to critical, the one level Suricata's scale cannot say.
func suricataSeverity(prio int, sigSeverity []string) alert.Severity {
	switch {
	case prio <= 1:
		for _, s := range sigSeverity {
			if strings.EqualFold(s, "critical") {
				return alert.SeverityCritical
			}
		}
		return alert.SeverityHigh
	case prio == 2:
		return alert.SeverityMedium
	case prio == 3:
		return alert.SeverityLow
	default:
		return alert.SeverityInfo
	}
}

func suricataOne(doc map[string]any, raw []byte) (alert.Alert, string, error) {
	if et := str(doc, "event_type"); et != "alert" {
		if et == "" {
			return alert.Alert{}, "", missing("suricata", "event_type")
		}
		return alert.Alert{}, "event_type " + et, nil
	}
	al := obj(doc, "alert")
	if al == nil {
		return alert.Alert{}, "", missing("suricata", "alert")
	}
	b := newBuilder("suricata")
	a := &b.a
	a.Rule = str(al, "signature")
	if a.Rule == "" {
		return alert.Alert{}, "", missing("suricata", "alert.signature")
	}
	a.Title = a.Rule
	a.Description = str(al, "category")
	// Every Suricata alert is a network detection.
	a.Category = catNetwork

	t, err := timeAt("suricata", doc, "timestamp")
	if err != nil {
		return alert.Alert{}, "", err
	}
	a.Time = t

	prio := 3
	if p, ok := integer(al, "severity"); ok {
		prio = p
	}
	sigSev := strs(al, "metadata.signature_severity")
	b.severity(suricataSeverity(prio, sigSev), rawStr(al, "severity"))

	b.ip("src_ip", str(doc, "src_ip"), alert.DirectionSource, port(doc, "src_port"))
	b.ip("dest_ip", str(doc, "dest_ip"), alert.DirectionDestination, port(doc, "dest_port"))

	// Application-layer names the alert carries.
	host := str(doc, "http.hostname")
	b.domain(host)
	if u := str(doc, "http.url"); u != "" {
		if host != "" && strings.HasPrefix(u, "/") {
			u = "http://" + host + u
		}
		b.url(u)
	}
	b.domain(str(doc, "tls.sni"))
	for _, p := range []string{"dns.query.rrname", "dns.queries.rrname", "dns.rrname"} {
		b.domain(str(doc, p))
	}
	for _, f := range append(objects(doc, "files"), objects(doc, "fileinfo")...) {
		b.file(alert.FileHash{Name: baseName(str(f, "filename")), Path: str(f, "filename"),
			MD5: str(f, "md5"), SHA1: str(f, "sha1"), SHA256: str(f, "sha256")})
	}

	b.techniques(strs(al, "metadata.mitre_technique_id")...)
	b.techniques(strs(al, "metadata.mitre_attack")...)

	b.label("signature_id", str(al, "signature_id"))
	b.label("gid", str(al, "gid"))
	b.label("rev", str(al, "rev"))
	b.label("action", str(al, "action"))
	b.label("proto", str(doc, "proto"))
	b.label("app_proto", str(doc, "app_proto"))
	b.label("flow_id", str(doc, "flow_id"))
	b.label("community_id", str(doc, "community_id"))
	b.label("in_iface", str(doc, "in_iface"))
	b.label("signature_severity", strings.Join(sigSev, ","))
	// host is the sensor's name (sensor-name in suricata.yaml): where the
	// traffic was seen, not a party to it, so it is a label, not a host.
	b.label("sensor", str(doc, "host"))

	out, err := b.finish(raw, "src_ip, dest_ip")
	return out, "", err
}

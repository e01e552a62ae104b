package decode

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/socflow/socflow/alert"
)

// ocsfFormat decodes OCSF Detection Findings (class_uid 2004, OCSF 1.1 and
// later), as Amazon Security Lake, AWS Security Hub's OCSF output, and the
// many products that emit OCSF write them. Observables are read from
// evidences[] and, as some producers write them, from the top level
// (device, src_endpoint, dst_endpoint, actor). Every other OCSF class is
// rejected with a message naming class_uid.
type ocsfFormat struct{}

func (ocsfFormat) Name() string { return "ocsf" }

// ocsfDetectionFinding is the class_uid of Detection Finding.
const ocsfDetectionFinding = 2004

func (ocsfFormat) Detect(o map[string]json.RawMessage) bool {
	if !rawHas(o, "class_uid") {
		return false
	}
	m := rawObject(o, "metadata")
	return m != nil && (rawHas(m, "product") || rawHas(m, "version"))
}

func (ocsfFormat) Decode(raw []byte) (Result, error) {
	doc, err := parseObject("ocsf", raw)
	if err != nil {
		return Result{}, err
	}
	return single(ocsfOne, doc, raw)
}

// ocsfSeverity maps severity_id: 1 Informational → info, 2 Low → low,
// 3 Medium → medium, 4 High → high, 5 Critical and 6 Fatal → critical.
// 0 Unknown and 99 Other defer to the severity caption when it names a
// level; otherwise, as when absent, defaultSeverity.
func ocsfSeverity(doc map[string]any) (alert.Severity, string, error) {
	caption := rawStr(doc, "severity")
	id, ok := integer(doc, "severity_id")
	if !ok && get(doc, "severity_id") != nil {
		return "", "", &FieldError{Format: "ocsf", Field: "severity_id", Reason: quote(rawStr(doc, "severity_id")) + " is not a severity_id"}
	}
	switch id {
	case 1:
		return alert.SeverityInfo, caption, nil
	case 2:
		return alert.SeverityLow, caption, nil
	case 3:
		return alert.SeverityMedium, caption, nil
	case 4:
		return alert.SeverityHigh, caption, nil
	case 5, 6:
		return alert.SeverityCritical, caption, nil
	}
	if sev, err := alert.ParseSeverity(caption); err == nil && caption != "" && !strings.EqualFold(caption, "unknown") {
		return sev, caption, nil
	}
	return defaultSeverity, caption, nil
}

// ocsfHashAlgorithms are OCSF's fingerprint algorithm_id values for the
// hashes socflow keeps: 1 MD5, 2 SHA-1, 3 SHA-256.
var ocsfHashAlgorithms = map[int]string{1: "md5", 2: "sha1", 3: "sha256"}

// ocsfFile reads an OCSF file object's name, path and hashes.
func ocsfFile(f map[string]any) alert.FileHash {
	out := alert.FileHash{Name: str(f, "name"), Path: str(f, "path")}
	for _, h := range objects(f, "hashes") {
		id, _ := integer(h, "algorithm_id")
		alg := ocsfHashAlgorithms[id]
		if alg == "" {
			// "SHA-256", "SHA256", "sha-1", "MD5" by name.
			alg = normKey(str(h, "algorithm"))
		}
		switch alg {
		case "md5":
			out.MD5 = str(h, "value")
		case "sha1":
			out.SHA1 = str(h, "value")
		case "sha256":
			out.SHA256 = str(h, "value")
		}
	}
	return out
}

func ocsfOne(doc map[string]any, raw []byte) (alert.Alert, string, error) {
	class, ok := integer(doc, "class_uid")
	if !ok {
		if get(doc, "class_uid") == nil {
			return alert.Alert{}, "", missing("ocsf", "class_uid")
		}
		return alert.Alert{}, "", &FieldError{Format: "ocsf", Field: "class_uid", Reason: quote(rawStr(doc, "class_uid")) + " is not a class number"}
	}
	if class != ocsfDetectionFinding {
		name := str(doc, "class_name")
		if name != "" {
			name = " (" + name + ")"
		}
		return alert.Alert{}, "", &FieldError{Format: "ocsf", Field: "class_uid",
			Reason: strconv.Itoa(class) + name + " is not a Detection Finding (2004); only Detection Findings are alerts"}
	}
	b := newBuilder("ocsf")
	a := &b.a
	fi := obj(doc, "finding_info")
	a.Rule = str(fi, "analytic.name", "analytic.uid", "title")
	if a.Rule == "" {
		return alert.Alert{}, "", missing("ocsf", "finding_info.analytic.name")
	}
	a.Title = firstOf(str(fi, "title"), str(doc, "message"), a.Rule)
	a.Description = firstOf(str(fi, "desc"), str(doc, "message"))
	a.ID = str(doc, "finding_info.uid", "metadata.uid")
	// The source is the product that made the finding, so that routing and
	// fingerprints tell two OCSF producers apart.
	product := str(doc, "metadata.product.name")
	vendor := str(doc, "metadata.product.vendor_name")
	a.Source = firstOf(strings.ToLower(product), strings.ToLower(vendor), "ocsf")

	t, err := timeAt("ocsf", doc, "time", "time_dt", "finding_info.created_time", "finding_info.first_seen_time")
	if err != nil {
		return alert.Alert{}, "", err
	}
	a.Time = t
	sev, vendorSev, err := ocsfSeverity(doc)
	if err != nil {
		return alert.Alert{}, "", err
	}
	b.severity(sev, vendorSev)

	var tactics []string
	for _, at := range objects(fi, "attacks") {
		tactics = append(tactics, str(at, "tactic.name"), str(at, "tactic.uid"))
		for _, tac := range objects(at, "tactics") {
			tactics = append(tactics, str(tac, "name"), str(tac, "uid"))
		}
		b.techniques(str(at, "technique.uid"), str(at, "sub_technique.uid"))
	}
	a.Category = firstOf(classCategory(tactics...), keywordCategory(strings.Join(strs(fi, "types"), " ")))

	// Observables: each evidence artifact, then the same objects at the top
	// level.
	sources := append(objects(doc, "evidences"), doc)
	for _, ev := range sources {
		ocsfObservables(b, ev)
	}
	for _, r := range objects(doc, "resources") {
		typ := strings.ToLower(str(r, "type"))
		if strings.Contains(typ, "instance") || strings.Contains(typ, "host") || strings.Contains(typ, "device") || strings.Contains(typ, "vm") {
			b.host(str(r, "name", "hostname"), str(r, "uid"), strs(r, "ip"), "")
		}
	}
	if a.Category == "" && len(a.Entities.IPs) > 0 && len(a.Entities.Processes) == 0 && len(a.Entities.Files) == 0 {
		// Endpoints and nothing on a host: a network finding.
		a.Category = catNetwork
	}

	b.label("ocsf_product", product)
	b.label("ocsf_vendor", vendor)
	b.label("ocsf_version", str(doc, "metadata.version"))
	b.label("analytic_uid", str(fi, "analytic.uid"))
	b.label("status", str(doc, "status"))
	b.label("confidence", str(doc, "confidence"))

	out, err := b.finish(raw, "evidences, device, src_endpoint, dst_endpoint, actor.user, resources")
	return out, "", err
}

// ocsfObservables maps the OCSF objects an evidence artifact (or the
// finding's top level) may hold.
func ocsfObservables(b *builder, ev map[string]any) {
	if d := obj(ev, "device"); d != nil {
		b.host(str(d, "hostname", "name"), str(d, "uid"), append(strs(d, "ip"), strs(d, "network_interfaces.ip")...), str(d, "os.name"))
	}
	for _, u := range []map[string]any{obj(ev, "actor.user"), obj(ev, "user")} {
		if u != nil {
			b.user(str(u, "name"), str(u, "domain"), str(u, "email_addr"), str(u, "uid"))
		}
	}
	b.ip("src_endpoint.ip", str(ev, "src_endpoint.ip"), alert.DirectionSource, port(ev, "src_endpoint.port"))
	b.ip("dst_endpoint.ip", str(ev, "dst_endpoint.ip"), alert.DirectionDestination, port(ev, "dst_endpoint.port"))
	for _, p := range []map[string]any{obj(ev, "process"), obj(ev, "actor.process")} {
		if p == nil {
			continue
		}
		f := ocsfFile(obj(p, "file"))
		b.process(alert.Process{
			Name:        firstOf(str(p, "name"), f.Name),
			PID:         pid(p, "pid"),
			CommandLine: str(p, "cmd_line"),
			Parent:      str(p, "parent_process.name", "parent_process.file.name"),
			SHA256:      f.SHA256,
		})
		b.file(f)
	}
	if f := obj(ev, "file"); f != nil {
		b.file(ocsfFile(f))
	}
	b.domain(str(ev, "query.hostname"))
	if u := str(ev, "url.url_string"); u != "" {
		b.url(u)
		b.domain(firstOf(str(ev, "url.hostname"), urlHost(u)))
	}
}

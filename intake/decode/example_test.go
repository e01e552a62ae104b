package decode_test

import (
	"fmt"

	"github.com/socflow/socflow/intake/decode"
)

func ExampleRegistry_Decode() {
	eve := []byte(`{"timestamp":"2026-05-14T09:12:31.448312+0000","flow_id":1844674407370955161,"event_type":"alert",` +
		`"src_ip":"203.0.113.7","src_port":51734,"dest_ip":"10.0.5.20","dest_port":445,"proto":"TCP",` +
		`"alert":{"signature":"ET EXPLOIT Possible ETERNALBLUE MS17-010 Echo Response","signature_id":2024218,"severity":1}}`)
	res, err := decode.Builtin().Decode(eve, "")
	if err != nil {
		fmt.Println(err)
		return
	}
	a := res.Alerts[0]
	fmt.Println(a.Source, a.Severity, a.Category, a.SourceIP(), "->", a.DestinationIP())
	fmt.Println(a.Rule)

	_, err = decode.Builtin().Decode([]byte(`{"timestamp":"2026-05-14T09:12:31Z","event_type":"alert","alert":{"severity":1}}`), "")
	fmt.Println(err)

	res, _ = decode.Builtin().Decode([]byte(`{"timestamp":"2026-05-14T09:12:31Z","event_type":"flow","src_ip":"10.0.0.1"}`), "")
	fmt.Println(res.Skipped, res.SkipReason)
	// Output:
	// suricata high network 203.0.113.7 -> 10.0.5.20
	// ET EXPLOIT Possible ETERNALBLUE MS17-010 Echo Response
	// suricata: alert.signature: missing
	// 1 event_type flow
}

func ExampleNewGeneric() {
	acme, err := decode.NewGeneric(decode.GenericMapping{
		Name:   "acme-ids",
		Detect: map[string]string{"vendor": "acme"},
		Fields: map[string]string{
			"rule": "event.sig", "severity": "event.prio", "time": "event.ts",
			"src_ip": "net.src", "dst_ip": "net.dst", "host": "asset.host.name",
		},
		Source:      "acme",
		SeverityMap: map[string]string{"P1": "critical", "*": "low"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := decode.Builtin()
	if err := r.Add(acme); err != nil {
		fmt.Println(err)
		return
	}
	res, err := r.Decode([]byte(`{"vendor":"acme","event":{"sig":"SMB lateral movement","prio":"P1","ts":1778750000},`+
		`"net":{"src":"10.0.2.77","dst":"10.0.0.10"},"asset":{"host.name":"dc01"}}`), "")
	if err != nil {
		fmt.Println(err)
		return
	}
	a := res.Alerts[0]
	fmt.Println(a.Source, a.Rule, a.Severity, a.Time.Format("2006-01-02T15:04:05Z"), a.PrimaryHost(), a.SourceIP())
	// Output: acme SMB lateral movement critical 2026-05-14T09:13:20Z dc01 10.0.2.77
}

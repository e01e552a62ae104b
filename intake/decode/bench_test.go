package decode

import "testing"

// BenchmarkDecode measures the decode rate of each format on a complete,
// realistic alert, detection included (the path intake takes): ns/alert
// and alerts/s, with -cpu 1 for one core.
func BenchmarkDecode(b *testing.B) {
	cases := []struct {
		format, file string
		entry        int
	}{
		{"elastic", "elastic/process_alert_8x.json", 0},
		{"splunk", "splunk/webhook_cim_malware.json", 0},
		{"suricata", "suricata/alert_http.json", 0},
		{"falcon", "falcon/detection_summary.json", 0},
		{"defender", "defender/alert_with_evidence.json", 0},
		{"graph", "graph/alert_endpoint.json", 0},
		{"guardduty", "guardduty/ssh_bruteforce_finding.json", 0},
		{"wazuh", "wazuh/windows_sysmon.json", 0},
		{"ocsf", "ocsf/detection_finding_full.json", 0},
		{"native", "native/full.json", 0},
		{"generic", "generic/acme_ids.json", 0},
	}
	r := testRegistry(b)
	for _, bc := range cases {
		raw := readFixture(b, bc.file, bc.entry)
		b.Run(bc.format, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			alerts := 0
			for b.Loop() {
				res, err := r.Decode(raw, "")
				if err != nil {
					b.Fatal(err)
				}
				alerts += len(res.Alerts)
			}
			if alerts == 0 {
				b.Fatal("no alerts decoded")
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(alerts), "ns/alert")
			b.ReportMetric(float64(alerts)/b.Elapsed().Seconds(), "alerts/s")
		})
	}
}

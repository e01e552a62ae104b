package decode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/socflow/socflow/alert"
)

// realdataDir is the shared folder of real third-party payloads, next to
// the repository. Tests that use it skip when it is absent.
const realdataDir = "../../../shared/realdata/alerts"

func readRealdata(t *testing.T, rel string) []byte {
	t.Helper()
	p := filepath.Join(realdataDir, rel)
	data, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		t.Skipf("%s is absent", p)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRealdata decodes Microsoft's documented examples verbatim.
func TestRealdata(t *testing.T) {
	tests := []struct {
		file   string
		format string
		want   want
	}{
		{
			file: "defender_endpoint/mde_docs_alert_single_with_evidence.json", format: "defender",
			want: want{
				ID: "da637472900382838869_1364969609", Source: "defender",
				Rule:     "Low-reputation arbitrary code executed by signed executable",
				Title:    "Low-reputation arbitrary code executed by signed executable",
				Category: "malware", Severity: alert.SeverityLow, Time: "2021-01-26T20:31:32.9562661Z",
				Techniques: []string{"T1064", "T1085", "T1220"},
				Entities: []string{
					"host temp123.middleeast.corp.microsoft.com id=111e6dd8c833c8a052ea231ec1b19adaf497b625",
					"user temp123 domain=DOMAIN",
					"user name domain=DOMAIN email=temp123@microsoft.com id=11118379-2a59-1111-ac3c-a51eb4a3c627",
					`process rundll32.exe pid=3276 cmd=rundll32.exe  c:\temp\suspicious.dll,RepeatAfterMe parent=rundll32.exe sha256=a4752c71d81afd3d5865d24ddb11a6b0c615062fcc448d24050c2172d2cbccd6`,
					`file rundll32.exe path=C:\Windows\SysWOW64 sha1=ff836cfb1af40252bd2a2ea843032e99a5b262ed sha256=a4752c71d81afd3d5865d24ddb11a6b0c615062fcc448d24050c2172d2cbccd6`,
					`file suspicious.dll path=c:\temp sha1=8563f95b2f8a284fc99da44500cd51a77c1ff36c sha256=dc0ade0c95d6db98882bc8fa6707e64353cd6f7767ff48d6a81a6c2aef21c608`,
				},
				Labels: map[string]string{"incident_id": "1126093", "detection_source": "WindowsDefenderAtp", "vendor_category": "Execution"},
				Desc:   "Binaries signed by Microsoft",
			},
		},
		{
			// The process ran as NT AUTHORITY\SYSTEM, which is no user to
			// act on; the registry key evidence names nothing socflow keeps.
			file: "microsoft_graph_security/graph_security_alert_v2_get_response.json", format: "graph",
			want: want{
				ID: "da637578995287051192_756343937", Source: "graph",
				Rule: "Suspicious execution of hidden file", Title: "Suspicious execution of hidden file",
				Category: "malware", Severity: alert.SeverityLow, Time: "2021-04-26T07:45:50.116Z",
				Techniques: []string{"T1564.001"},
				Entities: []string{
					"host tempDns id=73e7e2de709dff64ef64b1d0c30e67fab63279db ip=1.1.1.1 os=Windows10",
					`process MsSense.exe pid=4780 cmd="MsSense.exe" parent=services.exe sha256=8963a19fb992ad9a76576c5638fd68292cffb9aaac29eb8285f9abf6196a7dec`,
					`file MsSense.exe path=C:\Program Files\temp sha1=5f1e8acedc065031aad553b710838eb366cfee9a sha256=8963a19fb992ad9a76576c5638fd68292cffb9aaac29eb8285f9abf6196a7dec`,
				},
				Labels: map[string]string{"incident_id": "28282", "service_source": "microsoftDefenderForEndpoint", "detection_source": "antivirus"},
				Desc:   "A hidden file has been launched.",
			},
		},
	}
	r := Builtin()
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			raw := readRealdata(t, tt.file)
			f, err := r.Detect(raw)
			if err != nil || f.Name() != tt.format {
				t.Fatalf("Detect = %v, %v; want %s", f, err, tt.format)
			}
			res, err := r.Decode(raw, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Alerts) != 1 {
				t.Fatalf("got %d alerts, want 1", len(res.Alerts))
			}
			checkAlert(t, res.Alerts[0], tt.want, raw)
			// Graph's example carries U+FFFD; the raw payload keeps it.
			if strings.Contains(string(raw), "\uFFFD") && !strings.Contains(res.Alerts[0].Raw, "\uFFFD") {
				t.Error("raw payload lost its U+FFFD characters")
			}
		})
	}
}

// TestRealdataAsPage wraps the real examples in their list wrappers, as
// the list endpoints return them.
func TestRealdataAsPage(t *testing.T) {
	tests := []struct {
		file, context, format string
	}{
		{"defender_endpoint/mde_docs_alert_single_with_evidence.json", "https://api.securitycenter.microsoft.com/api/$metadata#Alerts", "defender"},
		{"microsoft_graph_security/graph_security_alert_v2_get_response.json", "https://graph.microsoft.com/v1.0/$metadata#security/alerts_v2", "graph"},
	}
	r := Builtin()
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			raw := readRealdata(t, tt.file)
			page := `{"@odata.context":"` + tt.context + `","value":[` + string(raw) + `,` + string(raw) + `]}`
			f, err := r.Detect([]byte(page))
			if err != nil || f.Name() != tt.format {
				t.Fatalf("Detect = %v, %v; want %s", f, err, tt.format)
			}
			res, err := r.Decode([]byte(page), "")
			if err != nil || len(res.Alerts) != 2 {
				t.Fatalf("Decode = %d alerts, %v; want 2", len(res.Alerts), err)
			}
		})
	}
}

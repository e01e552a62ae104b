package events

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
)

func TestValidate(t *testing.T) {
	ok := Event{Time: base, Kind: KindDNS, Host: "ws-042", Domain: "example.com"}
	tests := []struct {
		name   string
		edit   func(e *Event)
		fields []string // the fields named, in order; none means valid
	}{
		{"valid", func(*Event) {}, nil},
		{"only a destination", func(e *Event) { e.Host, e.DstIP = "", "203.0.113.7" }, nil},
		{"no time", func(e *Event) { e.Time = time.Time{} }, []string{"time"}},
		{"no kind", func(e *Event) { e.Kind = "" }, []string{"kind"}},
		{"unknown kind", func(e *Event) { e.Kind = "telepathy" }, []string{"kind"}},
		{"no entity", func(e *Event) { e.Host = "" }, []string{"host"}},
		{"bad src_ip", func(e *Event) { e.SrcIP = "10.0.0.300" }, []string{"src_ip"}},
		{"cidr as dst_ip", func(e *Event) { e.DstIP = "10.0.0.0/8" }, []string{"dst_ip"}},
		{"port out of range", func(e *Event) { e.DstPort = 70000 }, []string{"dst_port"}},
		{"negative port", func(e *Event) { e.DstPort = -1 }, []string{"dst_port"}},
		{"authentication without outcome or user", func(e *Event) { e.Kind = KindAuthentication }, []string{"outcome", "user"}},
		{"authentication", func(e *Event) { e.Kind, e.User, e.Outcome = KindAuthentication, "bob", OutcomeFailure }, nil},
		{"unknown outcome", func(e *Event) { e.Outcome = "maybe" }, []string{"outcome"}},
		{"long command line", func(e *Event) { e.CommandLine = strings.Repeat("a", MaxTextBytes+1) }, []string{"command_line"}},
		{"large raw", func(e *Event) { e.Raw = json.RawMessage(`"` + strings.Repeat("a", MaxRawBytes) + `"`) }, []string{"raw"}},
		{"raw not JSON", func(e *Event) { e.Raw = json.RawMessage(`{"a":`) }, []string{"raw"}},
		{"several problems", func(e *Event) { e.Time, e.Kind, e.DstPort = time.Time{}, "x", 99999 }, []string{"time", "kind", "dst_port"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.edit(&e)
			err := e.Validate()
			var got []string
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var fe *FieldError
					if !errors.As(e, &fe) {
						t.Fatalf("%v is not a *FieldError", e)
					}
					got = append(got, fe.Field)
				}
			}
			if !reflect.DeepEqual(got, tt.fields) {
				t.Errorf("fields %v, want %v (error: %v)", got, tt.fields, err)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	in := Event{
		Time: time.Date(2026, 3, 14, 13, 0, 0, 123456789, time.FixedZone("CET", 3600)), Kind: " Authentication ",
		Host: " WS-042 ", User: "ALICE@Example.com", SrcIP: " ::FFFF:203.0.113.5 ", DstIP: "2001:DB8:0:0::1",
		CommandLine: "cmd\x00.exe \xff", Domain: "Evil.Example.COM.", Outcome: "Success",
	}
	want := Event{
		Time: time.Date(2026, 3, 14, 12, 0, 0, 123456000, time.UTC), Kind: "authentication",
		Host: "ws-042", User: "alice@example.com", SrcIP: "203.0.113.5", DstIP: "2001:db8::1",
		CommandLine: "cmd\uFFFD.exe \uFFFD", Domain: "evil.example.com", Outcome: "success",
	}
	if got := in.Normalize(); !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize:\n got %#v\nwant %#v", got, want)
	}
	if got := want.Normalize(); !reflect.DeepEqual(got, want) {
		t.Errorf("Normalize is not idempotent: %#v", got)
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Kind: KindProcessStart, Process: "powershell.exe", CommandLine: "powershell.exe -enc SQBFAFgA", ParentProcess: "winword.exe", User: "alice", Host: "ws-042"},
			"process_start powershell.exe -enc SQBFAFgA (parent winword.exe) by alice on ws-042"},
		{Event{Kind: KindProcessStart, Process: "cmd.exe", Host: "ws-042"}, "process_start cmd.exe on ws-042"},
		{Event{Kind: KindFirewallBlock, SrcIP: "10.0.1.42", DstIP: "203.0.113.7", DstPort: 443}, "firewall_block 10.0.1.42 -> 203.0.113.7:443"},
		{Event{Kind: KindFirewallAllow, SrcIP: "10.0.1.42", DstIP: "2001:db8::7", DstPort: 53, Host: "fw-1"}, "firewall_allow 10.0.1.42 -> [2001:db8::7]:53 on fw-1"},
		{Event{Kind: KindNetworkConnection, SrcIP: "10.0.1.42", DstIP: "203.0.113.7", DstPort: 8443, Domain: "c2.example", Process: "rundll32.exe", User: "alice", Host: "ws-042"},
			"network_connection 10.0.1.42 -> 203.0.113.7:8443 (c2.example) by rundll32.exe as alice on ws-042"},
		{Event{Kind: KindNetworkConnection, DstIP: "203.0.113.7", Host: "ws-042"}, "network_connection -> 203.0.113.7 on ws-042"},
		{Event{Kind: KindAuthentication, Outcome: OutcomeFailure, User: "bob", SrcIP: "203.0.113.50"}, "authentication failure bob from 203.0.113.50"},
		{Event{Kind: KindAuthentication, Outcome: OutcomeSuccess, User: "bob", SrcIP: "203.0.113.50", Host: "dc01", Source: "okta"},
			"authentication success bob from 203.0.113.50 on dc01 via okta"},
		{Event{Kind: KindDNS, Domain: "evil.example", SrcIP: "10.0.1.42", Host: "ws-042"}, "dns evil.example from 10.0.1.42 on ws-042"},
		{Event{Kind: KindProcessStart, CommandLine: "evil\n[ok] all clear\x1b[2J\u202egnp.exe", Host: "ws-042"},
			"process_start evil\uFFFD[ok] all clear\uFFFD[2J\uFFFDgnp.exe on ws-042"},
		{Event{Kind: KindProcessStart, CommandLine: "powershell.exe -enc " + strings.Repeat("A", 200), Host: "ws-042"},
			"process_start powershell.exe -enc " + strings.Repeat("A", 80) + "... on ws-042"},
	}
	for _, tt := range tests {
		if got := Summary(tt.e); got != tt.want {
			t.Errorf("Summary:\n got %q\nwant %q", got, tt.want)
		}
	}
}

func TestRelatedEvents(t *testing.T) {
	e := Event{Time: base, Kind: KindFirewallBlock, SrcIP: "10.0.1.42", DstIP: "203.0.113.7", DstPort: 443}
	got := RelatedEvents([]Event{e})
	want := []alert.RelatedEvent{{Time: base, Kind: KindFirewallBlock, Summary: "firewall_block 10.0.1.42 -> 203.0.113.7:443"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestEventJSON(t *testing.T) {
	e := Event{Time: base, Kind: KindNetworkConnection, Host: "ws-042", SrcIP: "10.0.1.42", DstIP: "203.0.113.7", DstPort: 443,
		CommandLine: "x", ParentProcess: "y", Raw: json.RawMessage(`{"a":1}`)}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-03-14T12:00:00Z","kind":"network_connection","host":"ws-042","src_ip":"10.0.1.42","dst_ip":"203.0.113.7","dst_port":443,"command_line":"x","parent_process":"y","raw":{"a":1}}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	evs, rej := DecodeBatch(b)
	if len(rej) != 0 || len(evs) != 1 || !reflect.DeepEqual(evs[0], e) {
		t.Errorf("DecodeBatch of Marshal = %+v, %+v; want the event back", evs, rej)
	}
}

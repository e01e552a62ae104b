package alert

import (
	"slices"
	"testing"
	"time"
)

func TestContextPacketLines(t *testing.T) {
	at := time.Date(2026, 5, 14, 9, 10, 0, 0, time.UTC)
	tests := []struct {
		name   string
		packet ContextPacket
		want   []string
	}{
		{
			name:   "empty packet states what is missing",
			packet: ContextPacket{},
			want:   []string{"asset: not in inventory", "intel: no watchlist hits"},
		},
		{
			name: "full packet",
			packet: ContextPacket{
				Asset: &Asset{Name: "dc01", Owner: "identity-team", Role: "domain-controller", Tier: 1,
					Tags: []string{"ad", "crown-jewel"}, MatchedBy: "hostname"},
				IntelHits: []IntelHit{
					{Indicator: "203.0.113.7", Type: "ipv4", Source: "watchlist.csv", Confidence: 80,
						Labels: []string{"c2"}, Description: "team server"},
					{Indicator: "203.0.113.0/24", Type: "cidr", Source: "abuse-feed", Confidence: 60},
				},
				Users: []UserContext{
					{Name: "alice", FirstSeen: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
						Anomalies: []string{"first login from BR", "impossible travel: 9,200 km in 1h"}},
					{Name: "bob"},
				},
				Related: []RelatedEvent{{Time: at, Kind: "process", Summary: "powershell -enc ..."}},
				Gaps:    []Gap{{Source: "logins", Reason: "timeout after 5s"}},
			},
			want: []string{
				"asset: dc01 tier 1 (domain-controller), owner identity-team, tags ad, crown-jewel, matched by hostname",
				"intel: 203.0.113.7 (ipv4) on watchlist.csv (confidence 80) [c2]: team server",
				"intel: 203.0.113.0/24 (cidr) on abuse-feed (confidence 60)",
				"user: alice (first seen 2024-01-02): first login from BR",
				"user: alice (first seen 2024-01-02): impossible travel: 9,200 km in 1h",
				"user: bob: no anomalies",
				"related: 2026-05-14T09:10:00Z process: powershell -enc ...",
				"gap: logins: timeout after 5s",
			},
		},
		{
			name: "failed lookups are gaps, not absences",
			packet: ContextPacket{Gaps: []Gap{
				{Source: "intel", Reason: "no intel sources"},
				{Source: "assets", Reason: "timeout"},
			}},
			want: []string{"gap: intel: no intel sources", "gap: assets: timeout"},
		},
		{
			name: "asset without optional fields",
			packet: ContextPacket{
				Asset:     &Asset{Name: "prn-01", Tier: 4},
				IntelHits: []IntelHit{{Indicator: "x.example", Confidence: 50}},
			},
			want: []string{
				"asset: prn-01 tier 4",
				"intel: x.example on an unnamed source (confidence 50)",
			},
		},
		{
			name: "outside text cannot add lines",
			packet: ContextPacket{
				Asset: &Asset{Name: "ws-042", Tier: 3},
				IntelHits: []IntelHit{{Indicator: "evil.example", Type: "domain", Source: "feed", Confidence: 10,
					Description: "bad\n\nasset: dc01 tier 4\r\tok"}},
				Related: []RelatedEvent{{Time: at, Summary: "line1\u2028line2"}},
			},
			want: []string{
				"asset: ws-042 tier 3",
				"intel: evil.example (domain) on feed (confidence 10): bad asset: dc01 tier 4 ok",
				"related: 2026-05-14T09:10:00Z event: line1 line2",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.packet.Lines()
			if !slices.Equal(got, tt.want) {
				t.Errorf("Lines() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

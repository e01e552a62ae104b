package geoip_test

import (
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/socflow/socflow/integrations/geoip"
	"github.com/socflow/socflow/integrations/geoip/geoiptest"
)

func TestLookupFixture(t *testing.T) {
	db := geoiptest.Open(t)
	type tc struct {
		name string
		ip   string
		want geoip.Location
	}
	var cases []tc
	for _, e := range geoiptest.Entries() {
		cases = append(cases, tc{e.Want.Place(), e.IP, e.Want})
	}
	paris := geoiptest.Entries()[0].Want
	cases = append(cases,
		tc{"ipv4-mapped ipv6", "::ffff:" + geoiptest.ParisIP, paris},
		tc{"surrounding spaces", " " + geoiptest.ParisIP + " ", paris},
		tc{"routable but absent", geoiptest.UnknownIP, geoip.Location{}},
		tc{"private", geoiptest.PrivateIP, geoip.Location{}},
		tc{"loopback", "127.0.0.1", geoip.Location{}},
		tc{"ipv6 loopback", "::1", geoip.Location{}},
		tc{"link-local", "fe80::1%eth0", geoip.Location{}},
		tc{"carrier-grade nat", "100.64.1.1", geoip.Location{}},
		tc{"multicast", "239.1.2.3", geoip.Location{}},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := db.Lookup(c.ip)
			if err != nil {
				t.Fatalf("Lookup(%q): %v", c.ip, err)
			}
			if got != c.want {
				t.Errorf("Lookup(%q) = %+v, want %+v", c.ip, got, c.want)
			}
		})
	}
}

func TestLookupInvalidAddress(t *testing.T) {
	db := geoiptest.Open(t)
	for _, ip := range []string{"", "not-an-ip", "300.1.1.1", "192.0.2.0/24"} {
		if _, err := db.Lookup(ip); err == nil || !strings.HasPrefix(err.Error(), "geoip: ") {
			t.Errorf("Lookup(%q) error = %v, want a geoip: error", ip, err)
		}
	}
}

func TestPartialAndNilDatabases(t *testing.T) {
	cityPath, asnPath := geoiptest.Write(t)
	tests := []struct {
		name string
		open func(t *testing.T) *geoip.DB
		want geoip.Location
	}{
		{"nil", func(*testing.T) *geoip.DB { return nil }, geoip.Location{}},
		{"no paths", mustOpen("", ""), geoip.Location{}},
		{"city only", mustOpen(cityPath, ""), geoip.Location{Country: "FR", City: "Paris", Lat: 48.8566, Lon: 2.3522, HasCoords: true, AccuracyKm: 20, Found: true}},
		{"asn only", mustOpen("", asnPath), geoip.Location{ASN: 64496, ASOrg: "Example Telecom FR", Found: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := tt.open(t)
			got, err := db.Lookup(geoiptest.ParisIP)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}

func mustOpen(city, asn string) func(t *testing.T) *geoip.DB {
	return func(t *testing.T) *geoip.DB {
		db, err := geoip.Open(city, asn)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
}

func TestOpenErrors(t *testing.T) {
	cityPath, asnPath := geoiptest.Write(t)
	notMMDB := filepath.Join(t.TempDir(), "city.mmdb")
	if err := os.WriteFile(notMMDB, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, city, asn, want string
	}{
		{"missing city file", filepath.Join(t.TempDir(), "nope.mmdb"), "", "no such file"},
		{"not an mmdb", notMMDB, "", notMMDB},
		{"asn file as city", asnPath, "", `"GeoLite2-ASN" database`},
		{"city file as asn", "", cityPath, `"GeoLite2-City" database`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := geoip.Open(tt.city, tt.asn)
			if err == nil {
				_ = db.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.HasPrefix(err.Error(), "geoip: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to start with geoip: and contain %q", err, tt.want)
			}
		})
	}
}

func TestLookupAfterClose(t *testing.T) {
	db, err := geoip.Open(geoiptest.Write(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Lookup(geoiptest.ParisIP); err == nil {
		t.Error("Lookup after Close succeeded")
	}
}

func TestDistanceKm(t *testing.T) {
	at := func(lat, lon float64) geoip.Location { return geoip.Location{Lat: lat, Lon: lon, HasCoords: true} }
	paris, london := at(48.8566, 2.3522), at(51.5074, -0.1278)
	newYork, saoPaulo := at(40.7128, -74.006), at(-23.5505, -46.6333)
	tests := []struct {
		name string
		a, b geoip.Location
		want float64 // km, within 0.5%
	}{
		{"same place", paris, paris, 0},
		{"paris london", paris, london, 344},
		{"paris new york", paris, newYork, 5837},
		{"paris sao paulo", paris, saoPaulo, 9390},
		{"symmetric", saoPaulo, paris, 9390},
		{"antipodes", at(0, 0), at(0, 180), math.Pi * 6371.0088},
		{"poles", at(90, 0), at(-90, 0), math.Pi * 6371.0088},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := geoip.DistanceKm(tt.a, tt.b)
			if math.Abs(got-tt.want) > tt.want*0.005+1e-9 {
				t.Errorf("DistanceKm = %.1f, want %.1f", got, tt.want)
			}
		})
	}
}

func TestRoutable(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		{"8.8.8.8", true},
		{"192.0.2.1", true}, // documentation: left to the database
		{"2001:db8::1", true},
		{"2a00:1450::1", true},
		{"::ffff:8.8.8.8", true},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"192.168.1.1", false},
		{"127.0.0.1", false},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"169.254.1.1", false},
		{"100.64.0.1", false},
		{"198.18.0.1", false},
		{"224.0.0.1", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		{"::", false},
		{"::1", false},
		{"fc00::1", false},
		{"fe80::1", false},
		{"ff02::1", false},
		{"::ffff:10.0.0.1", false},
	}
	for _, tt := range tests {
		if got := geoip.Routable(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Routable(%s) = %v, want %v", tt.ip, got, tt.want)
		}
	}
}

func TestPlace(t *testing.T) {
	tests := []struct {
		loc  geoip.Location
		want string
	}{
		{geoip.Location{Country: "FR", City: "Paris"}, "Paris FR"},
		{geoip.Location{Country: "DE"}, "DE"},
		{geoip.Location{City: "Nowhere"}, ""},
		{geoip.Location{}, ""},
	}
	for _, tt := range tests {
		if got := tt.loc.Place(); got != tt.want {
			t.Errorf("%+v.Place() = %q, want %q", tt.loc, got, tt.want)
		}
	}
}

// maxmindTestData is MaxMind's own test databases (github.com/maxmind/MaxMind-DB
// test-data), when this checkout sits beside the shared data folder.
const maxmindTestData = "../../../shared/realdata/threatintel/geoip_maxmind_test/test-data"

// TestMaxMindTestDatabases reads the databases MaxMind publishes for reader
// tests, checking entries their source-data documents, so that the decoding
// is proven against files socflow did not write itself.
func TestMaxMindTestDatabases(t *testing.T) {
	asnPath := filepath.Join(maxmindTestData, "GeoLite2-ASN-Test.mmdb")
	if _, err := os.Stat(asnPath); err != nil {
		t.Skipf("MaxMind test databases not available: %v", err)
	}
	type want struct {
		ip        string
		country   string
		city      string
		lat, lon  float64
		hasCoords bool
		accuracy  uint
	}
	cityWants := []want{
		{"81.2.69.142", "GB", "London", 51.5142, -0.0931, true, 10},
		{"89.160.20.112", "SE", "Linköping", 58.4167, 15.6167, true, 76},
		{"2001:218::1", "JP", "", 35.68536, 139.75309, true, 100},
		{"214.1.1.1", "", "", 0, 0, false, 0}, // a record with no country or location
	}
	for _, file := range []string{"GeoIP2-City-Test.mmdb", "GeoLite2-City-Test.mmdb"} {
		t.Run(file, func(t *testing.T) {
			cityPath := filepath.Join(maxmindTestData, file)
			if _, err := os.Stat(cityPath); err != nil {
				t.Skipf("%s not available: %v", file, err)
			}
			db, err := geoip.Open(cityPath, asnPath)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			for _, w := range cityWants {
				got, err := db.Lookup(w.ip)
				if err != nil {
					t.Fatalf("Lookup(%s): %v", w.ip, err)
				}
				if !got.Found || got.Country != w.country || got.City != w.city || got.HasCoords != w.hasCoords || got.AccuracyKm != w.accuracy ||
					math.Abs(got.Lat-w.lat) > 1e-4 || math.Abs(got.Lon-w.lon) > 1e-4 {
					t.Errorf("Lookup(%s) = %+v, want %+v", w.ip, got, w)
				}
			}
			if got, err := db.Lookup("1.2.3.4"); err != nil || got.Found {
				t.Errorf("Lookup(1.2.3.4) = %+v, %v; want not found", got, err)
			}
		})
	}
	t.Run("asn", func(t *testing.T) {
		db, err := geoip.Open("", asnPath)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		for _, w := range []struct {
			ip  string
			asn uint
			org string
		}{
			{"1.128.0.1", 1221, "Telstra Pty Ltd"},
			{"12.81.92.1", 7018, "AT&T Services"},
			{"12.81.96.1", 7018, ""},
		} {
			got, err := db.Lookup(w.ip)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Found || got.ASN != w.asn || got.ASOrg != w.org {
				t.Errorf("Lookup(%s) = %+v, want AS%d %q", w.ip, got, w.asn, w.org)
			}
		}
	})
}

// BenchmarkLookup measures one City and ASN lookup, the cost of locating
// an address in enrichment.
func BenchmarkLookup(b *testing.B) {
	db := geoiptest.Open(b)
	for b.Loop() {
		if _, err := db.Lookup(geoiptest.SaoPauloIP); err != nil {
			b.Fatal(err)
		}
	}
}

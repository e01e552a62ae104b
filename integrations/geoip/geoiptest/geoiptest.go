// Package geoiptest writes small GeoLite2-City-like and GeoLite2-ASN-like
// MaxMind databases for tests, so that tests of geolocation and login
// history need neither MaxMind's licensed files nor network access.
//
// The databases map documentation addresses (RFC 5737, RFC 3849) to a few
// well-known places; Entries lists them.
package geoiptest

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"github.com/socflow/socflow/integrations/geoip"
)

// Addresses inside the fixture's networks, one per place.
const (
	ParisIP     = "192.0.2.10"
	MarseilleIP = "192.0.2.200"
	SaoPauloIP  = "198.51.100.20"
	NewYorkIP   = "203.0.113.30"
	// CountryOnlyIP is in a network with a country (DE) but no city,
	// coordinates or ASN, as MaxMind has for some mobile ranges.
	CountryOnlyIP = "2001:db8:de::1"
	// UnknownIP is routable but in no network of the fixture.
	UnknownIP = "2001:db8:ff::1"
	// PrivateIP is an RFC 1918 address: never looked up.
	PrivateIP = "10.0.1.42"
)

// Entry is one network of the fixture and what a lookup in it returns.
type Entry struct {
	Network string
	// IP is an address inside Network.
	IP   string
	Want geoip.Location
}

// Entries returns the fixture's networks.
func Entries() []Entry {
	return []Entry{
		{"192.0.2.0/25", ParisIP, geoip.Location{Country: "FR", City: "Paris", Lat: 48.8566, Lon: 2.3522, HasCoords: true, AccuracyKm: 20, ASN: 64496, ASOrg: "Example Telecom FR", Found: true}},
		{"192.0.2.128/25", MarseilleIP, geoip.Location{Country: "FR", City: "Marseille", Lat: 43.2965, Lon: 5.3698, HasCoords: true, AccuracyKm: 20, ASN: 64499, ASOrg: "Example Mobile FR", Found: true}},
		{"198.51.100.0/24", SaoPauloIP, geoip.Location{Country: "BR", City: "São Paulo", Lat: -23.5505, Lon: -46.6333, HasCoords: true, AccuracyKm: 20, ASN: 64497, ASOrg: "Exemplo Telecom BR", Found: true}},
		{"203.0.113.0/24", NewYorkIP, geoip.Location{Country: "US", City: "New York", Lat: 40.7128, Lon: -74.006, HasCoords: true, AccuracyKm: 20, ASN: 64498, ASOrg: "Example Cloud US", Found: true}},
		{"2001:db8:de::/48", CountryOnlyIP, geoip.Location{Country: "DE", Found: true}},
	}
}

// Write writes the fixture's City and ASN databases to a fresh temporary
// directory and returns their paths.
func Write(t testing.TB) (cityPath, asnPath string) {
	t.Helper()
	dir := t.TempDir()
	cityPath = filepath.Join(dir, "GeoLite2-City-Fixture.mmdb")
	asnPath = filepath.Join(dir, "GeoLite2-ASN-Fixture.mmdb")
	if err := WriteFiles(cityPath, asnPath); err != nil {
		t.Fatal(err)
	}
	return cityPath, asnPath
}

// Open writes the fixture and opens it; the databases are closed when the
// test ends.
func Open(t testing.TB) *geoip.DB {
	t.Helper()
	db, err := geoip.Open(Write(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// WriteFiles writes the fixture's databases to the given paths.
func WriteFiles(cityPath, asnPath string) error {
	city, err := newTree("GeoLite2-City")
	if err != nil {
		return err
	}
	asn, err := newTree("GeoLite2-ASN")
	if err != nil {
		return err
	}
	for _, e := range Entries() {
		_, network, err := net.ParseCIDR(e.Network)
		if err != nil {
			return fmt.Errorf("geoiptest: %w", err)
		}
		if err := city.Insert(network, cityRecord(e.Want)); err != nil {
			return fmt.Errorf("geoiptest: city %s: %w", e.Network, err)
		}
		if e.Want.ASN != 0 {
			rec := mmdbtype.Map{
				"autonomous_system_number":       mmdbtype.Uint32(e.Want.ASN),
				"autonomous_system_organization": mmdbtype.String(e.Want.ASOrg),
			}
			if err := asn.Insert(network, rec); err != nil {
				return fmt.Errorf("geoiptest: asn %s: %w", e.Network, err)
			}
		}
	}
	if err := writeTree(city, cityPath); err != nil {
		return err
	}
	return writeTree(asn, asnPath)
}

func newTree(dbType string) (*mmdbwriter.Tree, error) {
	t, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: dbType,
		Description:  map[string]string{"en": "socflow test fixture, not real data"},
		Languages:    []string{"en"},
		RecordSize:   24,
		// A fixed build time keeps the files byte-for-byte reproducible.
		BuildEpoch: 1704067200,
		// The fixture uses documentation ranges, which the writer otherwise
		// refuses as reserved.
		IncludeReservedNetworks: true,
	})
	if err != nil {
		return nil, fmt.Errorf("geoiptest: new %s tree: %w", dbType, err)
	}
	return t, nil
}

// cityRecord lays a location out as GeoLite2-City does.
func cityRecord(l geoip.Location) mmdbtype.Map {
	rec := mmdbtype.Map{
		"country": mmdbtype.Map{"iso_code": mmdbtype.String(l.Country)},
	}
	if l.City != "" {
		rec["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(l.City)}}
	}
	if l.HasCoords {
		rec["location"] = mmdbtype.Map{
			"latitude":        mmdbtype.Float64(l.Lat),
			"longitude":       mmdbtype.Float64(l.Lon),
			"accuracy_radius": mmdbtype.Uint16(l.AccuracyKm),
		}
	}
	return rec
}

func writeTree(t *mmdbwriter.Tree, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("geoiptest: %w", err)
	}
	if _, err := t.WriteTo(f); err != nil {
		_ = f.Close()
		return fmt.Errorf("geoiptest: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("geoiptest: write %s: %w", path, err)
	}
	return nil
}

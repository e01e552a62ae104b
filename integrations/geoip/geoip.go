// Package geoip answers "where is this address?" from MaxMind DB (mmdb)
// files: a City database (GeoLite2-City, GeoIP2-City) for country, city and
// coordinates, and an ASN database (GeoLite2-ASN, GeoIP2-ISP) for the
// autonomous system. The files are memory-mapped and read without I/O per
// lookup, so that enrichment can run lookups as local activities.
package geoip

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Location is what the databases know about one address. Fields a database
// does not hold, or that no database was opened for, are zero.
type Location struct {
	// Country is the ISO 3166-1 alpha-2 code ("FR"), from the City database.
	Country string `json:"country,omitempty"`
	// City is the English city name, when the database has one.
	City string `json:"city,omitempty"`
	// Lat and Lon are in degrees; they mean something only when HasCoords
	// is true, because 0,0 is a real place in the Gulf of Guinea.
	Lat       float64 `json:"lat,omitempty"`
	Lon       float64 `json:"lon,omitempty"`
	HasCoords bool    `json:"has_coords,omitempty"`
	// AccuracyKm is the radius around Lat, Lon within which MaxMind
	// believes the address is: tens of km for a city, 1,000 for a country
	// centroid. Zero when the database does not say.
	AccuracyKm uint `json:"accuracy_km,omitempty"`
	// ASN is the autonomous system number and ASOrg its organisation, from
	// the ASN database.
	ASN   uint   `json:"asn,omitempty"`
	ASOrg string `json:"as_org,omitempty"`
	// Found reports that at least one database had a record for the
	// address. Private and reserved addresses are never found.
	Found bool `json:"found"`
}

// Place renders the location for people: "Paris FR", "FR", or "" when the
// country is unknown.
func (l Location) Place() string {
	switch {
	case l.Country == "":
		return ""
	case l.City == "":
		return l.Country
	}
	return l.City + " " + l.Country
}

// DB looks addresses up in the configured databases. It is safe for
// concurrent use. A nil *DB, or one opened with no paths, finds nothing, so
// that geolocation can be left unconfigured without special cases.
type DB struct {
	city *maxminddb.Reader
	asn  *maxminddb.Reader
}

// Open opens the City database at cityPath and the ASN database at asnPath.
// Either may be "" to go without it. It refuses a file whose metadata says
// it is another kind of database, because decoding an ASN file as a City
// one would silently find nothing.
func Open(cityPath, asnPath string) (*DB, error) {
	db := &DB{}
	if cityPath != "" {
		r, err := openKind(cityPath, "City", "Country", "Enterprise")
		if err != nil {
			return nil, err
		}
		db.city = r
	}
	if asnPath != "" {
		r, err := openKind(asnPath, "ASN", "ISP")
		if err != nil {
			_ = db.Close()
			return nil, err
		}
		db.asn = r
	}
	return db, nil
}

// openKind opens one mmdb file and checks that its database_type contains
// one of the accepted words.
func openKind(path string, kinds ...string) (*maxminddb.Reader, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geoip: open %s: %w", path, err)
	}
	for _, k := range kinds {
		if strings.Contains(r.Metadata.DatabaseType, k) {
			return r, nil
		}
	}
	_ = r.Close()
	return nil, fmt.Errorf("geoip: %s is a %q database, want one whose type contains %s",
		path, r.Metadata.DatabaseType, strings.Join(kinds, " or "))
}

// Close releases the databases. Lookups after Close fail.
func (db *DB) Close() error {
	if db == nil {
		return nil
	}
	var errs []error
	for _, r := range []*maxminddb.Reader{db.city, db.asn} {
		if r != nil {
			errs = append(errs, r.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("geoip: close: %w", err)
	}
	return nil
}

// cityRecord is the part of a GeoIP2/GeoLite2 City record socflow uses.
// Coordinates are pointers so that a record without a location is told
// apart from one at 0,0.
type cityRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Location struct {
		Latitude       *float64 `maxminddb:"latitude"`
		Longitude      *float64 `maxminddb:"longitude"`
		AccuracyRadius uint     `maxminddb:"accuracy_radius"`
	} `maxminddb:"location"`
}

// asnRecord is a GeoLite2-ASN (or GeoIP2-ISP) record.
type asnRecord struct {
	Number uint   `maxminddb:"autonomous_system_number"`
	Org    string `maxminddb:"autonomous_system_organization"`
}

// Lookup returns what the databases know about ip. An address that is not
// in the databases, or that is private, loopback, link-local, multicast or
// otherwise not routable on the internet, gives Found=false and no error;
// only an unparsable address or a corrupt database is an error.
func (db *DB) Lookup(ip string) (Location, error) {
	addr, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return Location{}, fmt.Errorf("geoip: lookup: %w", err)
	}
	addr = addr.Unmap().WithZone("")
	if db == nil || !Routable(addr) {
		return Location{}, nil
	}
	var loc Location
	if found, err := lookup(db.city, addr, func(r maxminddb.Result) error {
		var rec cityRecord
		if err := r.Decode(&rec); err != nil {
			return err
		}
		loc.Country = rec.Country.ISOCode
		loc.City = rec.City.Names["en"]
		if rec.Location.Latitude != nil && rec.Location.Longitude != nil {
			loc.Lat, loc.Lon, loc.HasCoords = *rec.Location.Latitude, *rec.Location.Longitude, true
			loc.AccuracyKm = rec.Location.AccuracyRadius
		}
		return nil
	}); err != nil {
		return Location{}, fmt.Errorf("geoip: city lookup %s: %w", addr, err)
	} else if found {
		loc.Found = true
	}
	if found, err := lookup(db.asn, addr, func(r maxminddb.Result) error {
		var rec asnRecord
		if err := r.Decode(&rec); err != nil {
			return err
		}
		loc.ASN, loc.ASOrg = rec.Number, rec.Org
		return nil
	}); err != nil {
		return Location{}, fmt.Errorf("geoip: asn lookup %s: %w", addr, err)
	} else if found {
		loc.Found = true
	}
	return loc, nil
}

// lookup finds addr in r (which may be nil) and, when there is a record,
// hands it to decode.
func lookup(r *maxminddb.Reader, addr netip.Addr, decode func(maxminddb.Result) error) (bool, error) {
	if r == nil {
		return false, nil
	}
	// An IPv4-only database cannot hold an IPv6 address; asking it is an
	// error in the reader, but for the caller the address is simply unknown.
	if addr.Is6() && r.Metadata.IPVersion == 4 {
		return false, nil
	}
	res := r.Lookup(addr)
	if err := res.Err(); err != nil {
		return false, err
	}
	if !res.Found() {
		return false, nil
	}
	return true, decode(res)
}

// nonRoutable lists ranges that IsPrivate and friends do not cover but that
// never locate anyone: "this network", carrier-grade NAT, benchmarking, the
// IPv4 reserved block, and the IPv6 discard and ORCHID ranges.
//
// The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
// 2001:db8::/32) are deliberately absent: socflow's examples and tests use
// them as stand-ins for internet addresses, and real databases have no
// records for them anyway.
var nonRoutable = [...]netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:10::/28"),
}

// Routable reports whether addr can belong to someone on the internet, and
// so is worth looking up: not private (RFC 1918, ULA), loopback, link-local,
// multicast, unspecified, carrier-grade NAT or reserved.
func Routable(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsPrivate() || addr.IsLoopback() || addr.IsUnspecified() ||
		addr.IsLinkLocalUnicast() || addr.IsMulticast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonRoutable {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// earthRadiusKm is the mean Earth radius (IUGG), the usual choice for the
// haversine formula; its error against the ellipsoid is under 0.5%, far
// below GeoIP's own imprecision.
const earthRadiusKm = 6371.0088

// DistanceKm is the great-circle distance between two locations by the
// haversine formula. It does not look at HasCoords: callers decide what an
// unknown location means.
func DistanceKm(a, b Location) float64 {
	rad := func(deg float64) float64 { return deg * math.Pi / 180 }
	dLat := rad(b.Lat - a.Lat)
	dLon := rad(b.Lon - a.Lon)
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(rad(a.Lat))*math.Cos(rad(b.Lat))*math.Sin(dLon/2)*math.Sin(dLon/2)
	// Rounding can push h a hair above 1 for antipodal points.
	return 2 * earthRadiusKm * math.Asin(math.Sqrt(math.Min(h, 1)))
}

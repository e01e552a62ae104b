// Package logins is the login history: for a user logging in from an
// address at a time, has the user been seen before and since when, from
// this country and this network (ASN) before, and could the user have
// travelled here from the previous login's location in time?
//
// The history is the event store's successful authentication events, so
// it is fed both by telemetry (POST /v1/events) and by alerts (Record):
// there is no second copy to keep consistent, and retention applies to it
// like to any other event.
package logins

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/integrations/geoip"
)

// Store is the part of the event store the history uses.
type Store interface {
	Append(ctx context.Context, evs []events.Event) (int, error)
	Related(ctx context.Context, q events.Query) ([]events.Event, error)
}

// Defaults for Options.
const (
	// DefaultMaxSpeedKmh is faster than any airliner (about 900 km/h), so
	// a faster trip means two people or a proxy, not one traveller.
	DefaultMaxSpeedKmh = 1000
	// DefaultLookback is how far back the history reaches.
	DefaultLookback = 90 * 24 * time.Hour
	// DefaultMaxLogins is how many recent logins give the countries and
	// networks a user is known from.
	DefaultMaxLogins = 1000
)

// Options tune the history. The zero value uses the defaults.
type Options struct {
	// MaxSpeedKmh is the fastest believable travel between two logins.
	MaxSpeedKmh float64
	// Lookback bounds the history: a user not seen for longer is new
	// again. It should not exceed the event store's retention, which
	// bounds it anyway.
	Lookback time.Duration
	// MaxLogins bounds the recent logins read per assessment; a country
	// last seen before them counts as new.
	MaxLogins int
}

// History answers questions about users' logins. It is safe for
// concurrent use.
type History struct {
	store Store
	geo   *geoip.DB
	opts  Options
}

// New returns a history over store, locating addresses with geo (which
// may be nil: then nothing is located, and only first-seen is answered).
func New(store Store, geo *geoip.DB, opts Options) *History {
	if opts.MaxSpeedKmh <= 0 {
		opts.MaxSpeedKmh = DefaultMaxSpeedKmh
	}
	if opts.Lookback <= 0 {
		opts.Lookback = DefaultLookback
	}
	if opts.MaxLogins <= 0 {
		opts.MaxLogins = DefaultMaxLogins
	}
	opts.MaxLogins = min(opts.MaxLogins, events.MaxLimit)
	return &History{store: store, geo: geo, opts: opts}
}

// Record stores one authentication, so that an alert naming a user and
// the address they logged in from feeds the history as telemetry does.
// source names what reported it ("okta", an alert's source).
func (h *History) Record(ctx context.Context, user, ip string, at time.Time, success bool, source string) error {
	outcome := events.OutcomeFailure
	if success {
		outcome = events.OutcomeSuccess
	}
	e := events.Event{Time: at, Kind: events.KindAuthentication, User: user, SrcIP: ip, Outcome: outcome, Source: source}
	if _, err := h.store.Append(ctx, []events.Event{e}); err != nil {
		return fmt.Errorf("logins: record: %w", err)
	}
	return nil
}

// Login is one successful login from the history.
type Login struct {
	Time     time.Time      `json:"time"`
	IP       string         `json:"ip"`
	Location geoip.Location `json:"location"`
	Source   string         `json:"source,omitempty"`
}

// Assessment is what the history says about one login.
type Assessment struct {
	// User, IP and Time are the login assessed, normalised.
	User     string         `json:"user"`
	IP       string         `json:"ip,omitempty"`
	Time     time.Time      `json:"time"`
	Location geoip.Location `json:"location"`
	// FirstSeen is the user's oldest successful login in the history;
	// zero when there is none (NewUser).
	FirstSeen time.Time `json:"first_seen,omitzero"`
	NewUser   bool      `json:"new_user,omitempty"`
	// NewCountry and NewASN report a known user logging in from a country
	// or network none of their recent logins came from. They are false
	// when this login's own country or network is unknown.
	NewCountry bool `json:"new_country,omitempty"`
	NewASN     bool `json:"new_asn,omitempty"`
	// Country is this login's country, PreviousCountry the previous
	// login's ("" when unknown).
	Country         string `json:"country,omitempty"`
	PreviousCountry string `json:"previous_country,omitempty"`
	// Previous is the user's last successful login before this one.
	Previous *Login `json:"previous,omitempty"`
	// TravelFrom is the last previous login with a known location, the
	// one travel is measured from: a login from an unlocatable address
	// (a VPN's private range) in between must not hide a jump.
	TravelFrom *Login  `json:"travel_from,omitempty"`
	DistanceKm float64 `json:"distance_km,omitempty"`
	SpeedKmh   float64 `json:"speed_kmh,omitempty"`
	// ImpossibleTravel reports that even the shortest distance the
	// locations' accuracy radii allow is faster than MaxSpeedKmh.
	ImpossibleTravel bool `json:"impossible_travel,omitempty"`
	// Anomalies are the findings in words, for the context packet.
	Anomalies []string `json:"anomalies,omitempty"`
}

// UserContext is the assessment as the context packet carries it.
func (a Assessment) UserContext() alert.UserContext {
	return alert.UserContext{Name: a.User, FirstSeen: a.FirstSeen, Anomalies: a.Anomalies}
}

// Assess judges a login by user from ip at time at against the user's
// successful logins before it. ip may be "" when the source gave none.
// The login itself may already be in the store (its telemetry arrived
// first, or Record ran first): an entry at exactly at from ip is not
// counted as history.
func (h *History) Assess(ctx context.Context, user, ip string, at time.Time) (Assessment, error) {
	user = strings.ToLower(strings.TrimSpace(user))
	if user == "" {
		return Assessment{}, errors.New("logins: assess: user is required")
	}
	if at.IsZero() {
		return Assessment{}, errors.New("logins: assess: time is required")
	}
	// The store keeps microseconds, so compare at that resolution.
	at = at.UTC().Truncate(time.Microsecond)
	a := Assessment{User: user, Time: at}
	if ip = strings.TrimSpace(ip); ip != "" {
		addr, err := netip.ParseAddr(ip)
		if err != nil {
			return Assessment{}, fmt.Errorf("logins: assess: ip: %w", err)
		}
		a.IP = addr.Unmap().String()
	}
	locate := h.locator()
	loc, err := locate(a.IP)
	if err != nil {
		return Assessment{}, err
	}
	a.Location, a.Country = loc, loc.Country

	q := events.Query{
		Users: []string{user}, Before: at, Window: h.opts.Lookback,
		Kinds: []string{events.KindAuthentication}, Outcome: events.OutcomeSuccess,
	}
	self := func(e events.Event) bool { return e.Time.Equal(at) && e.SrcIP == a.IP }
	// The oldest two: the oldest may be this very login.
	q.OldestFirst, q.Limit = true, 2
	oldest, err := h.store.Related(ctx, q)
	if err != nil {
		return Assessment{}, fmt.Errorf("logins: assess: %w", err)
	}
	q.OldestFirst, q.Limit = false, h.opts.MaxLogins
	recent, err := h.store.Related(ctx, q)
	if err != nil {
		return Assessment{}, fmt.Errorf("logins: assess: %w", err)
	}
	oldest = slices.DeleteFunc(oldest, self)
	recent = slices.DeleteFunc(recent, self)
	if len(recent) == 0 {
		a.NewUser = true
		a.Anomalies = append(a.Anomalies, "first time this user is seen")
		return a, nil
	}
	a.FirstSeen = recent[len(recent)-1].Time
	if len(oldest) > 0 {
		a.FirstSeen = oldest[0].Time
	}

	countries := map[string]bool{}
	asns := map[uint]bool{}
	for i, e := range recent {
		l, err := locate(e.SrcIP)
		if err != nil {
			return Assessment{}, err
		}
		if l.Country != "" {
			countries[l.Country] = true
		}
		if l.ASN != 0 {
			asns[l.ASN] = true
		}
		login := &Login{Time: e.Time, IP: e.SrcIP, Location: l, Source: e.Source}
		if i == 0 {
			a.Previous, a.PreviousCountry = login, l.Country
		}
		if a.TravelFrom == nil && l.HasCoords {
			a.TravelFrom = login
		}
	}
	a.NewCountry = loc.Country != "" && !countries[loc.Country]
	a.NewASN = loc.ASN != 0 && !asns[loc.ASN]
	switch {
	case a.NewCountry:
		a.Anomalies = append(a.Anomalies, fmt.Sprintf("first login from %s (seen before: %s)", loc.Country, seenList(countries, func(c string) string { return c })))
	case a.NewASN:
		// A new country nearly always means a new network too; saying so
		// twice would only add noise.
		a.Anomalies = append(a.Anomalies, fmt.Sprintf("first login from %s (seen before: %s)", asName(loc), seenList(asns, func(n uint) string { return "AS" + strconv.FormatUint(uint64(n), 10) })))
	}
	if a.TravelFrom != nil && loc.HasCoords {
		h.travel(&a)
	}
	return a, nil
}

// minTravelTime stands in for the time between two logins in the same
// instant, so that the speed stays finite and two far-apart logins in the
// same second still count as impossible travel.
const minTravelTime = time.Second

// travel measures the trip from a.TravelFrom to this login.
func (h *History) travel(a *Assessment) {
	from := a.TravelFrom.Location
	elapsed := max(a.Time.Sub(a.TravelFrom.Time), minTravelTime)
	hours := elapsed.Hours()
	a.DistanceKm = geoip.DistanceKm(from, a.Location)
	a.SpeedKmh = a.DistanceKm / hours
	// Either end may be anywhere within its accuracy radius; judge the
	// shortest trip they allow, so that imprecise locations (a country's
	// centroid, 1,000 km) do not raise false alarms.
	shortest := max(0, a.DistanceKm-float64(from.AccuracyKm)-float64(a.Location.AccuracyKm))
	if shortest/hours <= h.opts.MaxSpeedKmh {
		return
	}
	a.ImpossibleTravel = true
	a.Anomalies = append(a.Anomalies, fmt.Sprintf("impossible travel: %s km from %s to %s in %s (%s km/h)",
		thousands(a.DistanceKm), place(from), place(a.Location), shortDuration(a.Time.Sub(a.TravelFrom.Time)), thousands(a.SpeedKmh)))
}

// locator returns a lookup that remembers its answers, because a user's
// history repeats the same few addresses.
func (h *History) locator() func(ip string) (geoip.Location, error) {
	seen := map[string]geoip.Location{}
	return func(ip string) (geoip.Location, error) {
		if ip == "" {
			return geoip.Location{}, nil
		}
		if l, ok := seen[ip]; ok {
			return l, nil
		}
		l, err := h.geo.Lookup(ip)
		if err != nil {
			return geoip.Location{}, fmt.Errorf("logins: assess: %w", err)
		}
		seen[ip] = l
		return l, nil
	}
}

// maxListed bounds the "seen before" list in an anomaly.
const maxListed = 5

// seenList renders a set sorted, at most maxListed entries.
func seenList[K comparable](set map[K]bool, name func(K) string) string {
	if len(set) == 0 {
		return "none located"
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, name(k))
	}
	slices.Sort(names)
	if len(names) > maxListed {
		return strings.Join(names[:maxListed], ", ") + fmt.Sprintf(" and %d more", len(names)-maxListed)
	}
	return strings.Join(names, ", ")
}

func asName(l geoip.Location) string {
	s := "AS" + strconv.FormatUint(uint64(l.ASN), 10)
	if l.ASOrg != "" {
		s += " " + l.ASOrg
	}
	return s
}

// place names a location for people, falling back to its coordinates.
func place(l geoip.Location) string {
	if p := l.Place(); p != "" {
		return p
	}
	return fmt.Sprintf("%.2f,%.2f", l.Lat, l.Lon)
}

// thousands renders a non-negative number rounded to an integer with
// comma separators: 9170.4 → "9,170".
func thousands(f float64) string {
	s := strconv.FormatFloat(f, 'f', 0, 64)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// shortDuration renders a duration to the minute ("1h0m", "45m"), or to
// the second under a minute ("12s", "0s").
func shortDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	d = d.Round(time.Minute)
	if d < time.Hour {
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
}

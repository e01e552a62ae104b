package logins_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/integrations/geoip"
	"github.com/socflow/socflow/integrations/geoip/geoiptest"
	"github.com/socflow/socflow/integrations/logins"
)

// login is one entry of a test's history, at an offset from the login
// assessed.
type login struct {
	user    string
	ip      string
	ago     time.Duration
	success bool
}

func ok(ip string, ago time.Duration) login { return login{"alice", ip, ago, true} }

// want is what a test checks of an assessment.
type want struct {
	newUser, newCountry, newASN, impossible bool
	country, previousCountry                string
	firstSeenAgo                            time.Duration // ignored when newUser
	previousIP, travelFromIP                string
	anomalies                               []string
}

func TestAssess(t *testing.T) {
	const (
		paris, marseille, saoPaulo = geoiptest.ParisIP, geoiptest.MarseilleIP, geoiptest.SaoPauloIP
		newYork, private, unknown  = geoiptest.NewYorkIP, geoiptest.PrivateIP, geoiptest.UnknownIP
	)
	day := 24 * time.Hour
	tests := []struct {
		name    string
		opts    logins.Options
		noGeo   bool
		history []login
		user    string // "alice" when empty
		ip      string
		want    want
	}{
		{
			name: "first time seen",
			ip:   paris,
			want: want{newUser: true, country: "FR", anomalies: []string{"first time this user is seen"}},
		},
		{
			name:    "failed logins are not history",
			history: []login{{"alice", paris, day, false}, ok(paris, day).forUser("bob")},
			ip:      paris,
			want:    want{newUser: true, country: "FR", anomalies: []string{"first time this user is seen"}},
		},
		{
			name:    "known country and network",
			history: []login{ok(paris, 10*day), ok(paris, 2*day)},
			ip:      paris,
			want:    want{country: "FR", previousCountry: "FR", firstSeenAgo: 10 * day, previousIP: paris, travelFromIP: paris},
		},
		{
			name:    "user names are case-insensitive",
			history: []login{ok(paris, 2*day).forUser("Alice")},
			user:    "ALICE ",
			ip:      paris,
			want:    want{country: "FR", previousCountry: "FR", firstSeenAgo: 2 * day, previousIP: paris, travelFromIP: paris},
		},
		{
			name:    "new country, travel possible",
			history: []login{ok(paris, 10*day), ok(newYork, 5*day), ok(paris, 2*day)},
			ip:      saoPaulo,
			want: want{newCountry: true, newASN: true, country: "BR", previousCountry: "FR", firstSeenAgo: 10 * day,
				previousIP: paris, travelFromIP: paris, anomalies: []string{"first login from BR (seen before: FR, US)"}},
		},
		{
			name:    "known country, new network",
			history: []login{ok(paris, day)},
			ip:      marseille,
			want: want{newASN: true, country: "FR", previousCountry: "FR", firstSeenAgo: day, previousIP: paris, travelFromIP: paris,
				anomalies: []string{"first login from AS64499 Example Mobile FR (seen before: AS64496)"}},
		},
		{
			name:    "impossible travel",
			history: []login{ok(paris, day), ok(paris, time.Hour)},
			ip:      saoPaulo,
			want: want{newCountry: true, newASN: true, impossible: true, country: "BR", previousCountry: "FR", firstSeenAgo: day,
				previousIP: paris, travelFromIP: paris, anomalies: []string{
					"first login from BR (seen before: FR)",
					"impossible travel: 9,402 km from Paris FR to São Paulo BR in 1h0m (9,402 km/h)",
				}},
		},
		{
			name:    "travel possible at airliner speed",
			history: []login{ok(paris, 12*time.Hour)},
			ip:      newYork,
			want: want{newCountry: true, newASN: true, country: "US", previousCountry: "FR", firstSeenAgo: 12 * time.Hour,
				previousIP: paris, travelFromIP: paris, anomalies: []string{"first login from US (seen before: FR)"}},
		},
		{
			name:    "threshold is configurable",
			opts:    logins.Options{MaxSpeedKmh: 400},
			history: []login{ok(paris, 12*time.Hour)},
			ip:      newYork,
			want: want{newCountry: true, newASN: true, impossible: true, country: "US", previousCountry: "FR", firstSeenAgo: 12 * time.Hour,
				previousIP: paris, travelFromIP: paris, anomalies: []string{
					"first login from US (seen before: FR)",
					"impossible travel: 5,837 km from Paris FR to New York US in 12h0m (486 km/h)",
				}},
		},
		{
			name:    "same second, far apart",
			history: []login{ok(paris, 300*time.Millisecond)},
			ip:      saoPaulo,
			want: want{newCountry: true, newASN: true, impossible: true, country: "BR", previousCountry: "FR", firstSeenAgo: 300 * time.Millisecond,
				previousIP: paris, travelFromIP: paris, anomalies: []string{
					"first login from BR (seen before: FR)",
					"impossible travel: 9,402 km from Paris FR to São Paulo BR in 0s (33,846,853 km/h)",
				}},
		},
		{
			name:    "nearby city too fast",
			history: []login{ok(paris, 30*time.Minute)},
			ip:      marseille,
			want: want{newASN: true, impossible: true, country: "FR", previousCountry: "FR", firstSeenAgo: 30 * time.Minute,
				previousIP: paris, travelFromIP: paris, anomalies: []string{
					"first login from AS64499 Example Mobile FR (seen before: AS64496)",
					"impossible travel: 660 km from Paris FR to Marseille FR in 30m (1,321 km/h)",
				}},
		},
		{
			// 880 km/h measured, but the locations' 20 km accuracy radii
			// allow a 620 km trip: 827 km/h.
			name:    "nearby city, within the accuracy radii",
			history: []login{ok(paris, 45*time.Minute)},
			ip:      marseille,
			want: want{newASN: true, country: "FR", previousCountry: "FR", firstSeenAgo: 45 * time.Minute, previousIP: paris, travelFromIP: paris,
				anomalies: []string{"first login from AS64499 Example Mobile FR (seen before: AS64496)"}},
		},
		{
			name:    "travel measured from the last located login",
			history: []login{ok(paris, time.Hour), ok(private, 30*time.Minute)},
			ip:      saoPaulo,
			want: want{newCountry: true, newASN: true, impossible: true, country: "BR", firstSeenAgo: time.Hour,
				previousIP: private, travelFromIP: paris, anomalies: []string{
					"first login from BR (seen before: FR)",
					"impossible travel: 9,402 km from Paris FR to São Paulo BR in 1h0m (9,402 km/h)",
				}},
		},
		{
			name:    "this login already recorded",
			history: []login{ok(paris, time.Hour), ok(saoPaulo, 0)},
			ip:      saoPaulo,
			want: want{newCountry: true, newASN: true, impossible: true, country: "BR", previousCountry: "FR", firstSeenAgo: time.Hour,
				previousIP: paris, travelFromIP: paris, anomalies: []string{
					"first login from BR (seen before: FR)",
					"impossible travel: 9,402 km from Paris FR to São Paulo BR in 1h0m (9,402 km/h)",
				}},
		},
		{
			name:    "only this login recorded",
			history: []login{ok(saoPaulo, 0)},
			ip:      saoPaulo,
			want:    want{newUser: true, country: "BR", anomalies: []string{"first time this user is seen"}},
		},
		{
			name:    "unknown addresses",
			history: []login{ok(unknown, day), ok(private, time.Hour)},
			ip:      private,
			want:    want{firstSeenAgo: day, previousIP: private},
		},
		{
			name:    "unknown address now, known before",
			history: []login{ok(paris, time.Minute)},
			ip:      unknown,
			want:    want{previousCountry: "FR", firstSeenAgo: time.Minute, previousIP: paris, travelFromIP: paris},
		},
		{
			name:    "no address now",
			history: []login{ok(paris, time.Minute)},
			ip:      "",
			want:    want{previousCountry: "FR", firstSeenAgo: time.Minute, previousIP: paris, travelFromIP: paris},
		},
		{
			name:    "new country only known from before",
			history: []login{ok(unknown, time.Hour)},
			ip:      saoPaulo,
			want: want{newCountry: true, newASN: true, country: "BR", firstSeenAgo: time.Hour, previousIP: unknown,
				anomalies: []string{"first login from BR (seen before: none located)"}},
		},
		{
			name:    "country without coordinates",
			history: []login{ok(paris, time.Minute)},
			ip:      geoiptest.CountryOnlyIP,
			want: want{newCountry: true, country: "DE", previousCountry: "FR", firstSeenAgo: time.Minute, previousIP: paris, travelFromIP: paris,
				anomalies: []string{"first login from DE (seen before: FR)"}},
		},
		{
			name:    "no geolocation configured",
			noGeo:   true,
			history: []login{ok(paris, time.Hour)},
			ip:      saoPaulo,
			want:    want{firstSeenAgo: time.Hour, previousIP: paris},
		},
		{
			name:    "history older than the lookback",
			opts:    logins.Options{Lookback: 7 * day},
			history: []login{ok(paris, 8*day)},
			ip:      paris,
			want:    want{newUser: true, country: "FR", anomalies: []string{"first time this user is seen"}},
		},
	}
	at := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	fixture := geoiptest.Open(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			geo := fixture
			if tt.noGeo {
				geo = nil
			}
			h := logins.New(openStore(t), geo, tt.opts)
			for _, l := range tt.history {
				if err := h.Record(context.Background(), l.user, l.ip, at.Add(-l.ago), l.success, "test"); err != nil {
					t.Fatal(err)
				}
			}
			user := tt.user
			if user == "" {
				user = "alice"
			}
			a, err := h.Assess(context.Background(), user, tt.ip, at)
			if err != nil {
				t.Fatal(err)
			}
			got := want{
				newUser: a.NewUser, newCountry: a.NewCountry, newASN: a.NewASN, impossible: a.ImpossibleTravel,
				country: a.Country, previousCountry: a.PreviousCountry, anomalies: a.Anomalies,
			}
			if !a.FirstSeen.IsZero() {
				got.firstSeenAgo = at.Sub(a.FirstSeen)
			}
			if a.Previous != nil {
				got.previousIP = a.Previous.IP
			}
			if a.TravelFrom != nil {
				got.travelFromIP = a.TravelFrom.IP
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("assessment\n got %+v\nwant %+v", got, tt.want)
			}
			if a.User != "alice" || !a.Time.Equal(at) {
				t.Errorf("assessed %q at %v, want alice at %v", a.User, a.Time, at)
			}
			if a.ImpossibleTravel && (a.SpeedKmh <= 0 || a.DistanceKm <= 0) {
				t.Errorf("impossible travel without distance and speed: %+v", a)
			}
		})
	}
}

func (l login) forUser(user string) login { l.user = user; return l }

func openStore(t *testing.T) *events.SQLStore {
	t.Helper()
	s, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestAssessFedByTelemetry(t *testing.T) {
	// Authentication events posted as telemetry are history too, whatever
	// their source.
	s := openStore(t)
	at := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	evs, rej := events.DecodeBatch([]byte(`{"time":"2026-03-14T11:00:00Z","kind":"authentication","user":"alice","src_ip":"` + geoiptest.ParisIP + `","outcome":"success","source":"okta"}
{"time":"2026-03-14T11:30:00Z","kind":"authentication","user":"alice","src_ip":"` + geoiptest.NewYorkIP + `","outcome":"failure","source":"okta"}`))
	if len(rej) != 0 {
		t.Fatal(rej)
	}
	if _, err := s.Append(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	a, err := logins.New(s, geoiptest.Open(t), logins.Options{}).Assess(context.Background(), "alice", geoiptest.SaoPauloIP, at)
	if err != nil {
		t.Fatal(err)
	}
	if !a.ImpossibleTravel || a.Previous == nil || a.Previous.Source != "okta" || a.Previous.Location.City != "Paris" {
		t.Errorf("got %+v, want impossible travel from the Paris okta login", a)
	}
	uc := a.UserContext()
	want := alert.UserContext{Name: "alice", FirstSeen: at.Add(-time.Hour), Anomalies: a.Anomalies}
	if !reflect.DeepEqual(uc, want) || len(uc.Anomalies) != 2 {
		t.Errorf("UserContext = %+v, want %+v with two anomalies", uc, want)
	}
}

// failingStore is an event store that is down.
type failingStore struct{ err error }

func (f failingStore) Append(context.Context, []events.Event) (int, error) { return 0, f.err }
func (f failingStore) Related(context.Context, events.Query) ([]events.Event, error) {
	return nil, f.err
}

func TestErrors(t *testing.T) {
	at := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	down := errors.New("database is down")
	closedGeo, err := geoip.Open(geoiptest.Write(t))
	if err != nil {
		t.Fatal(err)
	}
	_ = closedGeo.Close()
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"assess without user", func() error {
			_, err := logins.New(openStore(t), nil, logins.Options{}).Assess(context.Background(), " ", geoiptest.ParisIP, at)
			return err
		}, "user is required"},
		{"assess without time", func() error {
			_, err := logins.New(openStore(t), nil, logins.Options{}).Assess(context.Background(), "alice", geoiptest.ParisIP, time.Time{})
			return err
		}, "time is required"},
		{"assess a bad address", func() error {
			_, err := logins.New(openStore(t), nil, logins.Options{}).Assess(context.Background(), "alice", "not-an-ip", at)
			return err
		}, "ip:"},
		{"assess with the store down", func() error {
			_, err := logins.New(failingStore{down}, nil, logins.Options{}).Assess(context.Background(), "alice", geoiptest.ParisIP, at)
			return err
		}, "database is down"},
		{"assess with geolocation closed", func() error {
			_, err := logins.New(openStore(t), closedGeo, logins.Options{}).Assess(context.Background(), "alice", geoiptest.ParisIP, at)
			return err
		}, "geoip"},
		{"record without user", func() error {
			return logins.New(openStore(t), nil, logins.Options{}).Record(context.Background(), "", geoiptest.ParisIP, at, true, "test")
		}, "user: is required"},
		{"record a bad address", func() error {
			return logins.New(openStore(t), nil, logins.Options{}).Record(context.Background(), "alice", "10.0.0.300", at, true, "test")
		}, "src_ip"},
		{"record with the store down", func() error {
			return logins.New(failingStore{down}, nil, logins.Options{}).Record(context.Background(), "alice", geoiptest.ParisIP, at, true, "test")
		}, "database is down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			if err == nil || !strings.HasPrefix(err.Error(), "logins: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a logins: error containing %q", err, tt.want)
			}
		})
	}
}

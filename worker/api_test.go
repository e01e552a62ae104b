package worker_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/worker"
)

func TestAllowedHosts(t *testing.T) {
	tests := []struct {
		addr  string
		extra []string
		want  []string
	}{
		{"127.0.0.1:8080", nil, nil},
		{"127.0.0.1:8080", []string{"socflow.example.com"}, []string{"socflow.example.com"}},
		{"10.1.2.3:8080", nil, []string{"10.1.2.3"}},
		{"soc-api.internal:8080", []string{"soc.example.com"}, []string{"soc.example.com", "soc-api.internal"}},
		{"0.0.0.0:8080", nil, []string{"*"}},
		{":8080", nil, []string{"*"}},
		{"[::]:8080", []string{"soc.example.com"}, []string{"soc.example.com"}},
	}
	for _, tt := range tests {
		got := worker.AllowedHosts(config.Server{Addr: tt.addr, AllowedHosts: tt.extra})
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s with %v: %v, want %v", tt.addr, tt.extra, got, tt.want)
		}
	}
}

// TestCheckAuth: serve starts only with a way to authenticate an admin
// (bootstrap token, OIDC, or a stored admin token), or with
// --insecure-no-auth on loopback.
func TestCheckAuth(t *testing.T) {
	ctx := context.Background()
	cfg := func(admin string, oidc bool) *config.Config {
		c := &config.Config{}
		c.Server.AdminToken = config.Secret{Ref: "SOCFLOW_ADMIN_TOKEN"}
		if admin != "" {
			c.Server.AdminToken = config.NewSecret(admin)
		}
		if oidc {
			c.Server.OIDC = config.OIDC{Issuer: "https://idp.example.com", Audience: "socflow"}
		}
		return c
	}
	store, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, tc := range []struct {
		name     string
		addr     string
		o        worker.APIOptions
		store    bool
		wantErr  string
		addAdmin bool
	}{
		{name: "nothing", addr: "0.0.0.0:8080", o: worker.APIOptions{Config: cfg("", false)}, wantErr: "SOCFLOW_ADMIN_TOKEN"},
		{name: "nothing, even on loopback", addr: "127.0.0.1:8080", o: worker.APIOptions{Config: cfg("", false)}, store: true, wantErr: "--insecure-no-auth"},
		{name: "bootstrap admin token", addr: "0.0.0.0:8080", o: worker.APIOptions{Config: cfg("0123456789abcdef0123", false)}},
		{name: "OIDC", addr: "0.0.0.0:8080", o: worker.APIOptions{Config: cfg("", true)}},
		{name: "dev token", addr: "127.0.0.1:8080", o: worker.APIOptions{Config: cfg("", false), DevToken: "sft_x"}},
		{name: "insecure on loopback", addr: "127.0.0.1:8080", o: worker.APIOptions{Config: cfg("", false), Insecure: true}},
		{name: "insecure beyond loopback", addr: "0.0.0.0:8080", o: worker.APIOptions{Config: cfg("", false), Insecure: true}, wantErr: "only listen on loopback"},
		{name: "a stored admin token", addr: "0.0.0.0:8080", o: worker.APIOptions{Config: cfg("", false)}, store: true, addAdmin: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.addAdmin {
				if err := store.CreateToken(ctx, auth.TokenRecord{ID: "tok_a", Name: "ops", Roles: []auth.Role{auth.RoleAdmin}, CreatedAt: time.Now()}, "hash-a"); err != nil {
					t.Fatal(err)
				}
			}
			var ts auth.TokenStore
			if tc.store {
				ts = store
			}
			err := worker.CheckAuth(ctx, tc.addr, tc.o, ts)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want one naming %q", err, tc.wantErr)
			}
		})
	}
}

// TestWebUI: the view links the Temporal UI server.ui names, else the one
// Slack's messages link; the CSRF key comes from server.ui.csrf_key.
func TestWebUI(t *testing.T) {
	cfg := config.Default()
	cfg.Temporal.Namespace = "prod"
	cfg.Integrations.Slack.UIBaseURL = "https://temporal.slack-links.example"
	if got := worker.WebUI(cfg); got.TemporalUIURL != "https://temporal.slack-links.example" || got.Namespace != "prod" || got.CSRFKey != nil {
		t.Errorf("without server.ui: %+v, want Slack's Temporal UI link, the namespace and no key (a random one per process)", got)
	}
	cfg.Server.UI = config.WebUI{TemporalUIURL: "https://temporal.example", SlackWorkspaceURL: "https://acme.slack.com",
		CSRFKey: config.NewSecret(strings.Repeat("k", 32)), SecureCookies: true}
	got := worker.WebUI(cfg)
	if got.TemporalUIURL != "https://temporal.example" || got.SlackWorkspaceURL != "https://acme.slack.com" || string(got.CSRFKey) != strings.Repeat("k", 32) || !got.SecureCookies {
		t.Errorf("with server.ui: %+v", got)
	}
}

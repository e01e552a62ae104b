package config_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/socflow/socflow/config"
)

const edrHead = "integrations:\n  edr:\n    provider: defender\n    url: https://api.example\n"

func TestServiceAuthMethods(t *testing.T) {
	vars := env(map[string]string{"EDR_TOKEN": "tok-s3cret", "EDR_SECRET": "cs-s3cret", "EDR_PASSWORD": "pw-s3cret"})
	for _, tc := range []struct {
		name, yml, method string
		check             func(t *testing.T, s config.Service)
	}{
		{"legacy token", "    token: $EDR_TOKEN\n", config.AuthToken, func(t *testing.T, s config.Service) {
			if s.Token.Value() != "tok-s3cret" {
				t.Errorf("token = %q", s.Token.Value())
			}
		}},
		{"auth token", "    auth: {token: $EDR_TOKEN}\n", config.AuthToken, func(t *testing.T, s config.Service) {
			// Readers of Token see the token from either spelling.
			if s.Token.Value() != "tok-s3cret" || s.Token.Ref != "EDR_TOKEN" {
				t.Errorf("token = %+v", s.Token)
			}
		}},
		{"oauth2", "    auth:\n      oauth2:\n        client_id: socflow\n        client_secret: $EDR_SECRET\n        token_url: https://login.example/token\n        scopes: [api.read, api.write]\n", config.AuthOAuth2, func(t *testing.T, s config.Service) {
			o := s.Auth.OAuth2
			if o.ClientID != "socflow" || o.ClientSecret.Value() != "cs-s3cret" || o.TokenURL != "https://login.example/token" || len(o.Scopes) != 2 {
				t.Errorf("oauth2 = %+v", o)
			}
		}},
		{"oauth2 on loopback http", "    auth:\n      oauth2: {client_id: socflow, client_secret: $EDR_SECRET, token_url: \"http://127.0.0.1:9000/token\"}\n", config.AuthOAuth2, nil},
		{"basic", "    auth:\n      basic: {username: svc, password: $EDR_PASSWORD}\n", config.AuthBasic, func(t *testing.T, s config.Service) {
			if s.Auth.Basic.Username != "svc" || s.Auth.Basic.Password.Value() != "pw-s3cret" {
				t.Errorf("basic = %+v", s.Auth.Basic)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.Parse([]byte(edrHead+tc.yml), "s.yaml", vars)
			if err != nil {
				t.Fatal(err)
			}
			s := c.Integrations.EDR
			if got := s.AuthMethod(); got != tc.method {
				t.Errorf("AuthMethod = %q, want %q", got, tc.method)
			}
			if tc.check != nil {
				tc.check(t, s)
			}
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), "s3cret") {
				t.Errorf("a secret leaked into JSON: %s", b)
			}
		})
	}
}

func TestServiceAuthErrors(t *testing.T) {
	vars := env(map[string]string{"EDR_TOKEN": "tok-s3cret", "EDR_SECRET": "cs-s3cret", "EDR_PASSWORD": "pw-s3cret"})
	for _, tc := range []struct{ name, yml, want string }{
		{"no method", "", "s.yaml:3: integrations.edr.token: is required: name the environment variable, as in $DEFENDER_TOKEN, or set auth.oauth2 or auth.basic"},
		{"two methods", "    token: $EDR_TOKEN\n    auth:\n      basic: {username: svc, password: $EDR_PASSWORD}\n", "s.yaml:7: integrations.edr.auth: sets token and basic: choose exactly one method"},
		{"both token spellings", "    token: $EDR_TOKEN\n    auth: {token: $EDR_TOKEN}\n", "s.yaml:6: integrations.edr.auth.token: token is set as well"},
		{"auth token unset", "    auth: {token: $NOPE}\n", "s.yaml:5: integrations.edr.auth.token: environment variable NOPE is not set"},
		{"oauth2 over http", "    auth:\n      oauth2:\n        client_id: socflow\n        client_secret: $EDR_SECRET\n        token_url: http://login.example/token\n", `s.yaml:9: integrations.edr.auth.oauth2.token_url: "http://login.example/token" is not an https URL (http only on loopback)`},
		{"oauth2 without token url", "    auth:\n      oauth2:\n        client_id: socflow\n        client_secret: $EDR_SECRET\n", "s.yaml:7: integrations.edr.auth.oauth2.token_url: is required"},
		{"oauth2 without client id", "    auth:\n      oauth2:\n        client_secret: $EDR_SECRET\n        token_url: https://login.example/token\n", "s.yaml:7: integrations.edr.auth.oauth2.client_id: is required"},
		{"oauth2 without secret", "    auth:\n      oauth2:\n        client_id: socflow\n        token_url: https://login.example/token\n", "s.yaml:7: integrations.edr.auth.oauth2.client_secret: is required: name the environment variable, as in $DEFENDER_CLIENT_SECRET"},
		{"oauth2 secret unset", "    auth:\n      oauth2:\n        client_id: socflow\n        client_secret: $NOPE\n        token_url: https://login.example/token\n", "s.yaml:8: integrations.edr.auth.oauth2.client_secret: environment variable NOPE is not set"},
		{"oauth2 literal secret", "    auth:\n      oauth2:\n        client_id: socflow\n        client_secret: hunter2\n", "s.yaml:8: a secret must be an environment reference"},
		{"oauth2 bad scope", "    auth:\n      oauth2:\n        client_id: socflow\n        client_secret: $EDR_SECRET\n        token_url: https://login.example/token\n        scopes: [\"a b\"]\n", `s.yaml:10: integrations.edr.auth.oauth2.scopes[0]: "a b" is not a scope`},
		{"basic without password", "    auth:\n      basic: {username: svc}\n", "s.yaml:6: integrations.edr.auth.basic.password: is required"},
		{"basic user with colon", "    auth:\n      basic: {username: \"a:b\", password: $EDR_PASSWORD}\n", "s.yaml:6: integrations.edr.auth.basic.username: must not contain a colon"},
		{"unknown auth field", "    auth:\n      kerberos: {}\n", "s.yaml:6: field kerberos not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(edrHead+tc.yml), "s.yaml", vars)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("a secret leaked into the error: %v", err)
			}
			var ce *config.Error
			if !errors.As(err, &ce) {
				t.Errorf("%T is not a *config.Error", err)
			}
		})
	}
}

func TestDisabledServiceIgnoresAuth(t *testing.T) {
	yml := "integrations:\n  idp:\n    provider: \"\"\n    auth: {token: $NOPE}\n"
	if _, err := config.Parse([]byte(yml), "s.yaml", env(nil)); err != nil {
		t.Fatalf("a service with no provider is off, its auth unchecked: %v", err)
	}
}

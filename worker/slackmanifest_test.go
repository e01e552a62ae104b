package worker_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/events"
	"github.com/socflow/socflow/worker"
)

// slackManifest is the part of Slack's app manifest format socflow's
// manifest must get right.
type slackManifest struct {
	DisplayInformation struct {
		Name string `yaml:"name"`
	} `yaml:"display_information"`
	Features struct {
		BotUser struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		SocketModeEnabled *bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

// slackMethodScopes maps each slack-go call integrations/slack makes with
// the bot token to the bot scope Slack requires for it ("" for none).
var slackMethodScopes = map[string]string{
	"PostMessage":         "chat:write",
	"UpdateMessage":       "chat:write",
	"PostEphemeral":       "chat:write",
	"SendMessage":         "", // only to a click's response_url, which needs no scope
	"GetUserGroups":       "usergroups:read",
	"GetUserGroupMembers": "usergroups:read",
	"GetConversationInfo": "channels:read",
}

// TestSlackManifest: deploy/slack-app-manifest.yaml asks for exactly the
// bot scopes of the Slack methods socflow calls (a new call with a new
// scope fails here until the manifest has it), sends clicks to the route
// the API serves, and leaves Socket Mode off unless one opts in.
func TestSlackManifest(t *testing.T) {
	data, err := os.ReadFile("../deploy/slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m slackManifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("deploy/slack-app-manifest.yaml: %v", err)
	}
	if m.DisplayInformation.Name == "" || m.Features.BotUser.DisplayName == "" {
		t.Error("the manifest needs display_information.name and features.bot_user.display_name")
	}

	need := neededSlackScopes(t)
	got := slices.Sorted(slices.Values(m.OAuthConfig.Scopes.Bot))
	if !slices.Equal(got, need) {
		t.Errorf("bot scopes %v, want %v (those of the Slack methods integrations/slack calls)", got, need)
	}

	in := m.Settings.Interactivity
	u, err := url.Parse(in.RequestURL)
	if !in.IsEnabled || err != nil || u.Scheme != "https" {
		t.Fatalf("interactivity: enabled %v, request_url %q: want enabled with an https URL", in.IsEnabled, in.RequestURL)
	}
	if m.Settings.SocketModeEnabled == nil || *m.Settings.SocketModeEnabled {
		t.Error("settings.socket_mode_enabled: want it present and false (the comment says how to turn it on)")
	}

	// The request URL's path is the API's Slack route: unsigned, it is
	// refused by the Slack handler (401), not missing (404).
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5"}
	cfg, err := config.Parse([]byte("{}\n"), "socflow.yaml", func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	store, err := events.OpenSQLite("")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h, closeAPI, err := worker.NewAPI(worker.APIOptions{Config: cfg, Events: store, DevToken: "sft_test"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = closeAPI(t.Context()) }()
	for path, want := range map[string]int{u.Path: http.StatusUnauthorized, u.Path + "x": http.StatusNotFound} {
		req := httptest.NewRequest("POST", "http://127.0.0.1"+path, strings.NewReader("payload=%7B%7D"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("POST %s: code %d, want %d: %s", path, rec.Code, want, rec.Body)
		}
	}
}

// neededSlackScopes reads integrations/slack's Slack Web API calls
// (".api.XContext(") and answers the scopes they need, sorted.
func neededSlackScopes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../integrations/slack/*.go")
	if err != nil {
		t.Fatal(err)
	}
	call := regexp.MustCompile(`\.api\.([A-Za-z]+)Context\(`)
	scopes := map[string]bool{}
	calls := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			calls++
			scope, ok := slackMethodScopes[m[1]]
			if !ok {
				t.Errorf("%s calls %s: add the scope it needs to slackMethodScopes and to deploy/slack-app-manifest.yaml", filepath.Base(f), m[1])
				continue
			}
			if scope != "" {
				scopes[scope] = true
			}
		}
	}
	if calls == 0 {
		t.Fatal("found no Slack call in integrations/slack: the pattern is out of date")
	}
	return slices.Sorted(maps.Keys(scopes))
}

package worker

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/socflow/socflow/activities"
	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/integrations/defender/defendertest"
	"github.com/socflow/socflow/integrations/entra/entratest"
	"github.com/socflow/socflow/integrations/falcon/falcontest"
	"github.com/socflow/socflow/integrations/mail/mailtest"
	"github.com/socflow/socflow/integrations/okta/oktatest"
	"github.com/socflow/socflow/integrations/panos/panostest"
)

// serve mounts h on a loopback server for the test.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

// fromConfig builds the integration blocks of yml as the worker does
// (the mail gateway's with fromConfigMail).
func fromConfig(t *testing.T, yml string, vars map[string]string) (edr, idp, fw any) {
	t.Helper()
	edr, idp, fw, _ = fromConfigMail(t, yml, vars)
	return edr, idp, fw
}

func fromConfigMail(t *testing.T, yml string, vars map[string]string) (edr, idp, fw, mg any) {
	t.Helper()
	cfg, err := config.Parse([]byte(yml), "s.yaml", lookup(vars))
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 10 * time.Second}
	in := cfg.Integrations
	if edr, err = build("edr", edrProviders(), hc, in.EDR, nil); err != nil {
		t.Fatal(err)
	}
	if idp, err = build("idp", idpProviders(), hc, in.IDP, nil); err != nil {
		t.Fatal(err)
	}
	if fw, err = build("firewall", firewallProviders(in.Firewall), hc, in.Firewall.Service, nil); err != nil {
		t.Fatal(err)
	}
	if mg, err = build("mail", mailProviders(in.Mail), hc, in.Mail.Service, nil); err != nil {
		t.Fatal(err)
	}
	return edr, idp, fw, mg
}

// want names the capabilities a configured provider must offer.
type want struct{ isolate, block, accounts, sessions, hashes, domains, hosts bool }

func (w want) check(t *testing.T, c capabilities) {
	t.Helper()
	got := want{c.contain.Isolator != nil, c.contain.Blocker != nil, c.contain.Accounts != nil,
		c.contain.Sessions != nil, c.contain.Hashes != nil, c.contain.Domains != nil, c.hosts != nil}
	if got != w {
		t.Errorf("capabilities %+v, want %+v", got, w)
	}
}

// TestConfiguredProvidersHaveTheirCapabilities: each provider, built from
// a configuration against its fake, offers what it should and nothing
// else.
func TestConfiguredProvidersHaveTheirCapabilities(t *testing.T) {
	falconURL := serve(t, falcontest.New())
	defenderURL := serve(t, defendertest.New(defendertest.WithToken("t")))
	oktaURL := serve(t, oktatest.New(oktatest.WithToken("t")))
	entraURL := serve(t, entratest.New(entratest.WithClient("socflow", "s3cret")))
	panosURL := serve(t, panostest.New())
	vars := map[string]string{"SECRET": "s3cret", "FALCON_SECRET": falcontest.DefaultClientSecret, "TOKEN": "t", "PANOS_KEY": panostest.DefaultKey, "MAIL_TOKEN": "m"}
	for _, tc := range []struct {
		name, yml string
		want      want
	}{
		{"falcon", fmt.Sprintf("integrations:\n  edr:\n    provider: falcon\n    url: %s\n    auth: {oauth2: {client_id: %s, client_secret: $FALCON_SECRET, token_url: %s/oauth2/token}}\n",
			falconURL, falcontest.DefaultClientID, falconURL), want{isolate: true, hashes: true, hosts: true}},
		{"defender", fmt.Sprintf("integrations:\n  edr:\n    provider: defender\n    url: %s\n    token: $TOKEN\n", defenderURL),
			want{isolate: true, block: true, hashes: true, hosts: true}},
		{"okta", fmt.Sprintf("integrations:\n  idp:\n    provider: okta\n    url: %s\n    token: $TOKEN\n", oktaURL), want{accounts: true, sessions: true}},
		{"entra", fmt.Sprintf("integrations:\n  idp:\n    provider: entra\n    url: %s%s\n    auth: {oauth2: {client_id: socflow, client_secret: $SECRET, token_url: %s%s}}\n",
			entraURL, entratest.GraphPath, entraURL, entratest.TokenPath("contoso")), want{accounts: true, sessions: true}},
		{"panos", fmt.Sprintf("integrations:\n  firewall:\n    provider: panos\n    url: %s\n    auth: {token: $PANOS_KEY}\n    address_group: socflow-blocked\n", panosURL),
			want{block: true}},
		{"http", "integrations:\n  firewall:\n    provider: http\n    url: https://fw.example/api/\n    auth: {token: $TOKEN}\n    block: {url: 'block/{{urlpath .IP}}'}\n    unblock: {url: 'block/{{urlpath .IP}}'}\n",
			want{block: true}},
		{"mail", mailYAML("https://mailgw.example", true), want{domains: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edr, idp, fw, mg := fromConfigMail(t, tc.yml, vars)
			tc.want.check(t, findCapabilities(fw, edr, idp, mg))
		})
	}
}

// scenario runs one capability through the contain activity: the action
// (pending, then verified), its undo (pending, then verified), and a
// second target that was contained before socflow came (left as found).
type scenario struct {
	kind alert.ActionKind
	// target is contained by the test; already was contained before.
	target, already string
	// pending says the vendor confirms after the call, not with it.
	pending bool
}

func (sc scenario) run(t *testing.T, c *activities.Contain) {
	t.Helper()
	ctx := context.Background()
	in := activities.ContainInput{IncidentID: "INC-1", Action: alert.NewAction(sc.kind, sc.target, "test")}
	do, undo := c.IsolateHost, c.ReleaseHost
	switch sc.kind {
	case alert.ActionBlockIP:
		do, undo = c.BlockIP, c.UnblockIP
	case alert.ActionDisableUser:
		do, undo = c.DisableUser, c.EnableUser
	case alert.ActionRevokeSessions:
		do, undo = c.RevokeSessions, nil
	case alert.ActionBlockHash:
		do, undo = c.BlockHash, c.UnblockHash
	case alert.ActionBlockSenderDomain:
		do, undo = c.BlockSenderDomain, c.UnblockSenderDomain
	}
	verify := func(undo bool, ref string) {
		t.Helper()
		v := activities.VerifyInput{IncidentID: in.IncidentID, Action: in.Action, Reference: ref, Undo: undo}
		deadline := time.Now().Add(5 * time.Second)
		for {
			res, err := c.Verify(ctx, v)
			if err != nil || res.Failed != "" {
				t.Fatalf("Verify(undo %v) = %+v, %v", undo, res, err)
			}
			if res.Done {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Verify(undo %v) never done: %+v", undo, res)
			}
		}
	}

	res, err := do(ctx, in)
	if err != nil || res.Already || res.Pending != sc.pending {
		t.Fatalf("action = %+v, %v; want pending %v", res, err, sc.pending)
	}
	verify(false, res.Reference)
	if undo == nil {
		// No undo: the result says so, and there is nothing more to run.
		if !strings.Contains(res.Detail, "nothing to undo") {
			t.Errorf("detail %q does not say there is nothing to undo", res.Detail)
		}
		return
	}
	in.Reference = res.Reference
	ures, err := undo(ctx, in)
	if err != nil || ures.Already || ures.Pending != sc.pending {
		t.Fatalf("undo = %+v, %v; want pending %v", ures, err, sc.pending)
	}
	verify(true, ures.Reference)

	if sc.already != "" {
		in := activities.ContainInput{IncidentID: "INC-2", Action: alert.NewAction(sc.kind, sc.already, "test")}
		res, err := do(ctx, in)
		if err != nil || !res.Already || !strings.Contains(res.Detail, "left as found") {
			t.Fatalf("already so = %+v, %v", res, err)
		}
	}
}

// TestContainThroughEachProvider: contain, verify, undo and already-so
// through the activity and each provider's adapter against its fake.
func TestContainThroughEachProvider(t *testing.T) {
	t.Run("falcon", func(t *testing.T) {
		fake := falcontest.New(falcontest.WithPendingReads(1), falcontest.WithDevices(
			falcontest.Device{Hostname: "web1"}, falcontest.Device{Hostname: "web2", Status: falcontest.StatusContained}))
		url := serve(t, fake)
		edr, _, _ := fromConfig(t, fmt.Sprintf("integrations:\n  edr:\n    provider: falcon\n    url: %s\n    auth: {oauth2: {client_id: %s, client_secret: $S, token_url: %s/oauth2/token}}\n",
			url, falcontest.DefaultClientID, url), map[string]string{"S": falcontest.DefaultClientSecret})
		c := findCapabilities(edr).contain
		scenario{kind: alert.ActionIsolateHost, target: "web1", already: "web2", pending: true}.run(t, &c)
	})
	t.Run("defender", func(t *testing.T) {
		fake := defendertest.New(defendertest.WithToken("t"), defendertest.WithPendingReads(1))
		url := serve(t, fake)
		edr, _, _ := fromConfig(t, fmt.Sprintf("integrations:\n  edr:\n    provider: defender\n    url: %s\n    token: $T\n", url), map[string]string{"T": "t"})
		c := findCapabilities(edr).contain
		// web2 was isolated from the portal.
		if _, err := c.Isolator.IsolateHost(context.Background(), alert.Host{Name: "web2"}, "portal"); err != nil {
			t.Fatal(err)
		}
		fake.CompleteActions()
		scenario{kind: alert.ActionIsolateHost, target: "web1", already: "web2", pending: true}.run(t, &c)
		if _, err := c.Blocker.BlockIP(context.Background(), "198.51.100.9", "another team"); err != nil {
			t.Fatal(err)
		}
		scenario{kind: alert.ActionBlockIP, target: "203.0.113.7", already: "198.51.100.9"}.run(t, &c)
	})
	t.Run("defender action failed", func(t *testing.T) {
		fake := defendertest.New(defendertest.WithToken("t"), defendertest.WithPendingReads(1), defendertest.WithOutcome(defendertest.StatusFailed))
		edr, _, _ := fromConfig(t, fmt.Sprintf("integrations:\n  edr:\n    provider: defender\n    url: %s\n    token: $T\n", serve(t, fake)), map[string]string{"T": "t"})
		c := findCapabilities(edr).contain
		in := activities.ContainInput{IncidentID: "INC-1", Action: alert.NewAction(alert.ActionIsolateHost, "web1", "test")}
		res, err := c.IsolateHost(context.Background(), in)
		if err != nil || !res.Pending {
			t.Fatalf("isolate = %+v, %v", res, err)
		}
		v, err := c.Verify(context.Background(), activities.VerifyInput{Action: in.Action, Reference: res.Reference})
		if err != nil || v.Done || !strings.Contains(v.Failed, "Isolate Failed (errorHResult 0x80004005)") {
			t.Errorf("Verify = %+v, %v; want the vendor's failure", v, err)
		}
	})
	t.Run("okta", func(t *testing.T) {
		fake := oktatest.New(oktatest.WithToken("t"), oktatest.WithUsers(
			oktatest.User{Login: "alice@example.com"}, oktatest.User{Login: "bob@example.com", Status: "SUSPENDED"}))
		_, idp, _ := fromConfig(t, fmt.Sprintf("integrations:\n  idp:\n    provider: okta\n    url: %s\n    token: $T\n", serve(t, fake)), map[string]string{"T": "t"})
		c := findCapabilities(idp).contain
		scenario{kind: alert.ActionDisableUser, target: "alice@example.com", already: "bob@example.com"}.run(t, &c)
		if n := fake.SessionsCleared("alice@example.com"); n != 1 {
			t.Errorf("alice's sessions cleared %d times, want 1", n)
		}
		if fake.SessionsCleared("bob@example.com") != 0 || !fake.Suspended("bob@example.com") {
			t.Error("bob, suspended before, was touched")
		}
	})
	t.Run("entra", func(t *testing.T) {
		fake := entratest.New(entratest.WithClient("socflow", "s3cret"), entratest.WithUsers(
			entratest.User{UserPrincipalName: "alice@contoso.com"}, entratest.User{UserPrincipalName: "bob@contoso.com", Disabled: true}))
		url := serve(t, fake)
		_, idp, _ := fromConfig(t, fmt.Sprintf("integrations:\n  idp:\n    provider: entra\n    url: %s%s\n    auth: {oauth2: {client_id: socflow, client_secret: $S, token_url: %s%s}}\n",
			url, entratest.GraphPath, url, entratest.TokenPath("contoso")), map[string]string{"S": "s3cret"})
		c := findCapabilities(idp).contain
		scenario{kind: alert.ActionDisableUser, target: "alice@contoso.com", already: "bob@contoso.com"}.run(t, &c)
		if fake.Revocations("alice@contoso.com") != 1 || fake.Revocations("bob@contoso.com") != 0 {
			t.Errorf("revocations: alice %d, bob %d", fake.Revocations("alice@contoso.com"), fake.Revocations("bob@contoso.com"))
		}
	})
	t.Run("panos", func(t *testing.T) {
		fake := panostest.New(panostest.WithGroup("vsys1", "socflow-blocked"))
		url := serve(t, fake)
		vars := map[string]string{"K": panostest.DefaultKey}
		_, _, fw := fromConfig(t, fmt.Sprintf("integrations:\n  firewall:\n    provider: panos\n    url: %s\n    auth: {token: $K}\n    address_group: socflow-blocked\n", url), vars)
		c := findCapabilities(fw).contain
		// Someone blocked 198.51.100.9 with socflow's own object name.
		if _, err := c.Blocker.BlockIP(context.Background(), "198.51.100.9", "by hand"); err != nil {
			t.Fatal(err)
		}
		scenario{kind: alert.ActionBlockIP, target: "203.0.113.7", already: "198.51.100.9"}.run(t, &c)
		if m := fake.Members("vsys1", "socflow-blocked", true); len(m) != 1 || m[0] != "socflow-198.51.100.9" {
			t.Errorf("running members %v", m)
		}
	})
	t.Run("http", func(t *testing.T) {
		var mu sync.Mutex
		var got []string
		url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, r.Method+" "+r.URL.Path)
		}))
		_, _, fw := fromConfig(t, "integrations:\n  firewall:\n    provider: http\n    url: "+url+"/api/\n    auth: {token: $T}\n    block: {url: 'block/{{urlpath .IP}}'}\n    unblock: {url: 'block/{{urlpath .IP}}'}\n",
			map[string]string{"T": "t"})
		c := findCapabilities(fw).contain
		scenario{kind: alert.ActionBlockIP, target: "203.0.113.7"}.run(t, &c)
		mu.Lock()
		defer mu.Unlock()
		if strings.Join(got, ",") != "POST /api/block/203.0.113.7,DELETE /api/block/203.0.113.7" {
			t.Errorf("requests %v", got)
		}
	})
}

// mailYAML is an integrations.mail block for a mailtest gateway at url,
// with or without its state read.
func mailYAML(url string, state bool) string {
	y := "integrations:\n  mail:\n    provider: http\n    url: " + url + "/api/v1/\n    auth: {token: $MAIL_TOKEN}\n" +
		"    block: {url: blocked-senders, body: '{\"domain\": {{json .Domain}}, \"note\": {{json .Comment}}}', expect: {status: [201], ref: /id}}\n" +
		"    unblock: {url: 'blocked-senders/{{urlpath .Ref}}', expect: {status: [204, 404]}}\n"
	if state {
		y += "    state: {url: 'blocked-senders/by-domain/{{urlpath .Domain}}', expect: {status: [200], absent: [404], ref: /id}}\n"
	}
	return y
}

// TestNewKindsThroughEachProvider: revoke sessions (Okta, Entra), block a
// hash (Defender, Falcon) and block a sender domain (the mail template
// provider, with and without its state read) through the activity and
// each adapter against its fake: the action, its verification, its undo
// (none for the revocation) and a target that was so before socflow came.
func TestNewKindsThroughEachProvider(t *testing.T) {
	const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	const theirs = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	t.Run("okta revoke", func(t *testing.T) {
		fake := oktatest.New(oktatest.WithToken("t"), oktatest.WithUsers(oktatest.User{Login: "alice@example.com"}))
		_, idp, _ := fromConfig(t, fmt.Sprintf("integrations:\n  idp:\n    provider: okta\n    url: %s\n    token: $T\n", serve(t, fake)), map[string]string{"T": "t"})
		c := findCapabilities(idp).contain
		scenario{kind: alert.ActionRevokeSessions, target: "alice@example.com"}.run(t, &c)
		if fake.SessionsCleared("alice@example.com") != 1 || fake.Suspended("alice@example.com") {
			t.Errorf("sessions cleared %d times, suspended %v; want once, the account left enabled", fake.SessionsCleared("alice@example.com"), fake.Suspended("alice@example.com"))
		}
	})
	t.Run("entra revoke", func(t *testing.T) {
		fake := entratest.New(entratest.WithClient("socflow", "s3cret"), entratest.WithUsers(entratest.User{UserPrincipalName: "alice@contoso.com"}))
		url := serve(t, fake)
		_, idp, _ := fromConfig(t, fmt.Sprintf("integrations:\n  idp:\n    provider: entra\n    url: %s%s\n    auth: {oauth2: {client_id: socflow, client_secret: $S, token_url: %s%s}}\n",
			url, entratest.GraphPath, url, entratest.TokenPath("contoso")), map[string]string{"S": "s3cret"})
		c := findCapabilities(idp).contain
		scenario{kind: alert.ActionRevokeSessions, target: "alice@contoso.com"}.run(t, &c)
		if fake.Revocations("alice@contoso.com") != 1 || !fake.Enabled("alice@contoso.com") {
			t.Errorf("revocations %d, enabled %v; want one, the account left enabled", fake.Revocations("alice@contoso.com"), fake.Enabled("alice@contoso.com"))
		}
	})
	t.Run("defender hash", func(t *testing.T) {
		fake := defendertest.New(defendertest.WithToken("t"))
		edr, _, _ := fromConfig(t, fmt.Sprintf("integrations:\n  edr:\n    provider: defender\n    url: %s\n    token: $T\n", serve(t, fake)), map[string]string{"T": "t"})
		c := findCapabilities(edr).contain
		// Another team blocked theirs from the portal.
		if _, err := c.Hashes.BlockHash(context.Background(), theirs, "portal"); err != nil {
			t.Fatal(err)
		}
		scenario{kind: alert.ActionBlockHash, target: sha, already: theirs}.run(t, &c)
		if fake.HashBlocked(sha) || !fake.HashBlocked(theirs) {
			t.Errorf("blocked: ours %v, theirs %v; want ours undone, theirs left", fake.HashBlocked(sha), fake.HashBlocked(theirs))
		}
	})
	t.Run("falcon hash", func(t *testing.T) {
		fake := falcontest.New(falcontest.WithIOCs(falcontest.IOC{Type: "sha256", Value: theirs, Action: "prevent"}))
		url := serve(t, fake)
		edr, _, _ := fromConfig(t, fmt.Sprintf("integrations:\n  edr:\n    provider: falcon\n    url: %s\n    auth: {oauth2: {client_id: %s, client_secret: $S, token_url: %s/oauth2/token}}\n",
			url, falcontest.DefaultClientID, url), map[string]string{"S": falcontest.DefaultClientSecret})
		c := findCapabilities(edr).contain
		scenario{kind: alert.ActionBlockHash, target: sha, already: theirs}.run(t, &c)
		if fake.Prevented(sha) || !fake.Prevented(theirs) {
			t.Errorf("prevented: ours %v, theirs %v; want ours undone, theirs left", fake.Prevented(sha), fake.Prevented(theirs))
		}
	})
	t.Run("mail with a state read", func(t *testing.T) {
		gw := mailtest.New()
		gw.Block("phish.example")
		_, _, _, mg := fromConfigMail(t, mailYAML(serve(t, gw), true), map[string]string{"MAIL_TOKEN": mailtest.Token})
		c := findCapabilities(mg).contain
		scenario{kind: alert.ActionBlockSenderDomain, target: "evil.example", already: "phish.example"}.run(t, &c)
		if gw.Blocked("evil.example") || !gw.Blocked("phish.example") {
			t.Errorf("blocked: ours %v, the earlier one %v", gw.Blocked("evil.example"), gw.Blocked("phish.example"))
		}
	})
	t.Run("mail without a state read", func(t *testing.T) {
		gw := mailtest.New()
		_, _, _, mg := fromConfigMail(t, mailYAML(serve(t, gw), false), map[string]string{"MAIL_TOKEN": mailtest.Token})
		c := findCapabilities(mg).contain
		in := activities.ContainInput{IncidentID: "INC-1", Action: alert.NewAction(alert.ActionBlockSenderDomain, "evil.example", "test")}
		res, err := c.BlockSenderDomain(context.Background(), in)
		if err != nil || res.Pending || !strings.Contains(res.Detail, "confirmed by the vendor's answer") || !gw.Blocked("evil.example") {
			t.Fatalf("block = %+v, %v", res, err)
		}
		in.Reference = res.Reference
		if _, err := c.UnblockSenderDomain(context.Background(), in); err != nil || gw.Blocked("evil.example") {
			t.Errorf("unblock: %v, blocked %v", err, gw.Blocked("evil.example"))
		}
	})
}

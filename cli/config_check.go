package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/alert"
	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/playbooks"
	"github.com/socflow/socflow/policy"
)

func newCmdConfig(f *Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check the configuration"}
	cmd.AddCommand(newCmdConfigCheck(f, nil))
	return group(cmd)
}

// ConfigCheckOptions are what `socflow config check` reads and prints.
type ConfigCheckOptions struct {
	// Now dates the suppression expiry warnings: the factory's clock when
	// the command runs.
	Now time.Time

	IO IOStreams
	// Config loads the configuration.
	Config func() (*config.Config, error)
	// Playbooks are the playbooks the routing may name.
	Playbooks *playbooks.Registry
}

func newCmdConfigCheck(f *Factory, runF func(context.Context, *ConfigCheckOptions) error) *cobra.Command {
	opts := &ConfigCheckOptions{Config: func() (*config.Config, error) { return f.loadConfig("") }, Playbooks: f.playbooks()}
	return &cobra.Command{
		Use:   "check",
		Short: "Validate socflow.yaml and print what socflow understood from it",
		Long: `check reads the configuration exactly as the worker would (strictly: unknown
fields are errors; secrets only as $ENV references), reports every problem with
its file, line and field, and exits 3 if there is any. Otherwise it prints the
effective policy: tiers, routing, scoring, suppressions and integrations.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Now, opts.IO = f.now(), f.streams()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runConfigCheck(opts)
		},
	}
}

func runConfigCheck(opts *ConfigCheckOptions) error {
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	reg := opts.Playbooks
	if err := cfg.ValidatePlaybooks(reg.Has); err != nil {
		return err
	}
	if opts.IO.JSON {
		return printJSON(opts.IO.Out, cfg)
	}
	renderConfig(opts.IO.Out, cfg, reg, opts.Now)
	return nil
}

func renderConfig(w io.Writer, cfg *config.Config, reg *playbooks.Registry, now time.Time) {
	p := &cfg.Policy
	fmt.Fprintf(w, "%s: OK\n", orBuiltin(cfg.Path))
	fmt.Fprintf(w, "temporal %s namespace %s · api %s (token %s) · data %s\n",
		cfg.Temporal.Address, cfg.Temporal.Namespace, cfg.Server.Addr, setOrNot(cfg.Server.Token.IsSet()), cfg.DataDir)
	if cc := cfg.Codec; cc.Enabled() {
		ids := make([]string, len(cc.Keys))
		for i, k := range cc.Keys {
			ids[i] = k.ID
		}
		fmt.Fprintf(w, "payloads encrypted (AES-256-GCM) with key %s; decrypted with %s · codec-server %s, CORS %s\n",
			ids[0], strings.Join(ids, ", "), cc.Addr, dash(strings.Join(cc.CORSOrigins, ", ")))
	} else {
		fmt.Fprintf(w, "payloads in clear (no codec.keys)\n")
	}

	heading(w, "Escalation ladder")
	tw := table(w)
	fmt.Fprintln(tw, "  TIER\tCHANNEL\tAPPROVERS\tTIMEOUT\tON TIMEOUT")
	var warnings []string
	for _, t := range p.Tiers {
		appr := strings.Join(t.Approvers, ", ")
		if appr == "" {
			appr = "anyone"
			warnings = append(warnings, fmt.Sprintf("tier %s has no approvers: anyone may decide", t.Name))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", t.Name, dash(t.Channel), appr, t.Timeout, t.OnTimeout)
	}
	_ = tw.Flush()

	heading(w, "Scoring: clamp(base x asset(tier) + intel + anomaly + correlation + repetition, 0, 100)")
	var bases []string
	for _, s := range alert.SeverityNames() {
		bases = append(bases, fmt.Sprintf("%s=%g", s, p.Scoring.SeverityBase[alert.Severity(s)]))
	}
	fmt.Fprintf(w, "  severity base: %s\n", strings.Join(bases, " "))
	fmt.Fprintf(w, "  asset tier multiplier: 1=x%g 2=x%g 3=x%g 4=x%g unknown=x%g\n",
		p.Scoring.AssetTierMultiplier[1], p.Scoring.AssetTierMultiplier[2], p.Scoring.AssetTierMultiplier[3],
		p.Scoring.AssetTierMultiplier[4], p.Scoring.UnknownAssetMultiplier)
	fmt.Fprintf(w, "  intel: +confidence x %g · anomaly: +%g each (max %g) · correlation: +%g · repetition: +%g per doubling (max %g)\n",
		p.Scoring.IntelWeight, p.Scoring.AnomalyPoints, p.Scoring.MaxAnomalyPoints, p.Scoring.CorrelationPoints, p.Scoring.DuplicatePoints, p.Scoring.MaxDuplicatePoints)
	fmt.Fprintf(w, "  a CVSS vector on the alert replaces the severity base with 10 x its base score\n")
	if ss := p.Scoring.SSVC; ss.Enabled && ss.Decisions != nil {
		fmt.Fprintf(w, "  SSVC: table %s (%s); priority floor %v\n", ss.Decisions.Name, strings.Join(ss.Decisions.Points, ", "), ss.PriorityFloor)
	}
	tw = table(w)
	fmt.Fprintln(tw, "  PRIORITY\tMIN SCORE\tFIRST TIER\tIF NOBODY ANSWERS")
	for _, pr := range []alert.Priority{alert.P1, alert.P2, alert.P3, alert.P4} {
		min := "-"
		if v, ok := p.Scoring.Priorities[pr]; ok {
			min = fmt.Sprint(v)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", pr, min, p.Scoring.Paths[pr], p.Scoring.OnTimeout[pr])
	}
	_ = tw.Flush()

	heading(w, "Routing (first match wins)")
	tw = table(w)
	fmt.Fprintln(tw, "  RULE\tMATCH\tGROUP BY\tWINDOW\tPLAYBOOK")
	for _, r := range p.Routing.Rules {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.Name, matchText(r.Match), strings.Join(r.GroupBy, ","), r.Window, r.Playbook)
	}
	d := p.Routing.Default
	fmt.Fprintf(tw, "  default\t*\t%s\t%s\t%s\n", strings.Join(d.GroupBy, ","), d.Window, d.Playbook)
	_ = tw.Flush()

	heading(w, "Escalation trigger matrix (any match goes straight to "+lastTier(p.Tiers)+")")
	if len(p.EscalationTriggers) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	tw = table(w)
	for _, t := range p.EscalationTriggers {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", t.Name, t.When.Describe(), t.Reason)
	}
	_ = tw.Flush()

	heading(w, "Correlation rules")
	if len(p.Correlations.Rules) == 0 {
		fmt.Fprintf(w, "  (none; set correlation.rules_dir)\n")
	}
	for _, r := range p.Correlations.Rules {
		level := r.Level
		if p.Correlations.Referenced(&r) {
			level = "feeds another rule"
		}
		fmt.Fprintf(w, "  %s (%s): %s\n    %s\n", r.Key(), dash(level), r.Title, r.Describe())
	}

	heading(w, "Triage")
	fmt.Fprintf(w, "  dedupe window %s · %d fingerprint rule(s)\n", p.Triage.DedupeWindow, len(p.Triage.Fingerprints))
	for _, s := range p.Triage.Suppressions {
		state := "active until " + s.Expires.Format(time.DateOnly)
		if !now.Before(s.Expires) {
			state = "EXPIRED " + s.Expires.Format(time.DateOnly)
			warnings = append(warnings, fmt.Sprintf("suppression %s expired on %s", s.Name, s.Expires.Format(time.DateOnly)))
		}
		fmt.Fprintf(w, "  suppress %s: %s (%s) — %s\n", s.Name, matchText(s.Match), state, s.Reason)
	}

	heading(w, "Enrichment and integrations")
	en := cfg.Enrichment
	fmt.Fprintf(w, "  intel files %s · %d TAXII collection(s) · reload %s · asset files %s · timeout %s\n",
		dash(strings.Join(en.Intel.Files, ", ")), len(en.Intel.TAXII), en.Intel.Reload, dash(strings.Join(en.Assets.Files, ", ")), en.Timeout)
	events := "SQLite " + en.Events.Path
	if en.Events.PostgresDSN.IsSet() {
		events = "PostgreSQL ($" + en.Events.PostgresDSN.Ref + ")"
	}
	fmt.Fprintf(w, "  events %s, kept %s, related window %s · impossible travel above %g km/h\n",
		events, en.Events.Retention, en.Events.Window, en.Logins.MaxSpeedKmh)
	fmt.Fprintf(w, "  servicenow %s · geoip city %s asn %s · virustotal %s · abuseipdb %s\n",
		dash(en.Assets.ServiceNow.URL), dash(en.GeoIP.City), dash(en.GeoIP.ASN),
		setOrNot(en.VirusTotal.APIKey.IsSet()), setOrNot(en.AbuseIPDB.APIKey.IsSet()))
	sl, j := cfg.Integrations.Slack, cfg.Integrations.Jira
	if sl.Enabled() {
		mode := "interactions at POST /slack/interactions"
		if sl.AppToken.IsSet() {
			mode = "Socket Mode"
		}
		fmt.Fprintf(w, "  slack: on (%s; signing secret %s)\n", mode, setOrNot(sl.SigningSecret.IsSet()))
	} else {
		fmt.Fprintf(w, "  slack: off ($%s not set): console notifications, decide with the CLI\n", sl.BotToken.Ref)
	}
	if j.Enabled() {
		fmt.Fprintf(w, "  jira: %s project %s, tickets from %s\n", j.URL, j.Project, dash(j.MinPriority))
	} else {
		fmt.Fprintf(w, "  jira: off (JIRA_URL not set)\n")
	}
	for _, m := range cfg.Intake.Formats {
		fmt.Fprintf(w, "  intake format %s (mapped)\n", m.Name)
	}
	for _, it := range []struct {
		name string
		s    config.Service
	}{{"edr", cfg.Integrations.EDR}, {"idp", cfg.Integrations.IDP}} {
		name, s := it.name, it.s
		if s.Provider == "" {
			fmt.Fprintf(w, "  %s: not configured (containment through it will fail; `socflow dev` uses a built-in fake)\n", name)
			continue
		}
		fmt.Fprintf(w, "  %s: %s at %s (%s)\n", name, s.Provider, s.URL, authSummary(s))
	}

	heading(w, "Playbooks")
	for _, pb := range reg.List() {
		fmt.Fprintf(w, "  %-20s %s\n", pb.Name, pb.Description)
	}
	if len(warnings) > 0 {
		heading(w, "Warnings")
		for _, wmsg := range warnings {
			fmt.Fprintf(w, "  ! %s\n", wmsg)
		}
	}
}

func lastTier(ts []policy.Tier) string {
	if len(ts) == 0 {
		return "-"
	}
	return ts[len(ts)-1].Name
}

func setOrNot(b bool) string {
	if b {
		return "set"
	}
	return "not set"
}

func matchText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, " ")
}

// authSummary says how a service authenticates, naming the variables that
// hold its secrets and whether they are set, never their values.
func authSummary(s config.Service) string {
	switch s.AuthMethod() {
	case config.AuthOAuth2:
		o := s.Auth.OAuth2
		return fmt.Sprintf("oauth2 client %s at %s, secret $%s %s", o.ClientID, o.TokenURL, o.ClientSecret.Ref, setOrNot(o.ClientSecret.IsSet()))
	case config.AuthBasic:
		b := s.Auth.Basic
		return fmt.Sprintf("basic as %s, password $%s %s", b.Username, b.Password.Ref, setOrNot(b.Password.IsSet()))
	}
	tok := s.Token
	if tok.Ref == "" && !tok.IsSet() {
		tok = s.Auth.Token
	}
	return fmt.Sprintf("token $%s %s", tok.Ref, setOrNot(tok.IsSet()))
}

package config

import "reflect"

// applyEnv applies the conventional environment variables, which win over
// the file so that one file serves several deployments.
func (c *Config) applyEnv(lookup func(string) (string, bool)) {
	set := func(dst *string, name string) {
		if v, ok := lookup(name); ok && v != "" {
			*dst = v
		}
	}
	set(&c.Temporal.Address, "TEMPORAL_ADDRESS")
	set(&c.Temporal.Namespace, "TEMPORAL_NAMESPACE")
	set(&c.Temporal.TLS.CertFile, "TEMPORAL_TLS_CLIENT_CERT_PATH")
	set(&c.Temporal.TLS.KeyFile, "TEMPORAL_TLS_CLIENT_KEY_PATH")
	set(&c.Temporal.TLS.CAFile, "TEMPORAL_TLS_SERVER_CA_CERT_PATH")
	set(&c.Temporal.TLS.ServerName, "TEMPORAL_TLS_SERVER_NAME")
	if c.Temporal.APIKey.Ref == "" {
		c.Temporal.APIKey.Ref = "TEMPORAL_API_KEY"
	}
	if c.Server.Token.Ref == "" {
		c.Server.Token.Ref = "SOCFLOW_API_TOKEN"
	}
	if c.Server.AdminToken.Ref == "" {
		c.Server.AdminToken.Ref = "SOCFLOW_ADMIN_TOKEN"
	}
	set(&c.DataDir, "SOCFLOW_DATA_DIR")
	defaultRef := func(s *Secret, name string) {
		if s.Ref == "" {
			s.Ref = name
		}
	}
	defaultRef(&c.Enrichment.VirusTotal.APIKey, "VT_API_KEY")
	defaultRef(&c.Enrichment.AbuseIPDB.APIKey, "ABUSEIPDB_API_KEY")
	defaultRef(&c.Enrichment.Events.PostgresDSN, "SOCFLOW_EVENTS_POSTGRES_DSN")
	sl := &c.Integrations.Slack
	defaultRef(&sl.BotToken, "SLACK_BOT_TOKEN")
	defaultRef(&sl.SigningSecret, "SLACK_SIGNING_SECRET")
	defaultRef(&sl.AppToken, "SLACK_APP_TOKEN")
	set(&sl.APIURL, "SLACK_API_URL")
	j := &c.Integrations.Jira
	set(&j.URL, "JIRA_URL")
	set(&j.Email, "JIRA_EMAIL")
	set(&j.Project, "JIRA_PROJECT")
	defaultRef(&j.APIToken, "JIRA_API_TOKEN")
	defaultRef(&j.PAT, "JIRA_PAT")
}

// resolveSecrets reads the environment variable of every Secret in the
// configuration. It walks the struct rather than listing the secrets, so
// that a secret added to any section is resolved without a change here;
// validation then reports the ones whose variable is unset.
func (c *Config) resolveSecrets(lookup func(string) (string, bool)) {
	resolveIn(reflect.ValueOf(c).Elem(), lookup)
}

var secretType = reflect.TypeFor[Secret]()

func resolveIn(v reflect.Value, lookup func(string) (string, bool)) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			resolveIn(v.Elem(), lookup)
		}
	case reflect.Struct:
		if v.Type() == secretType {
			v.Addr().Interface().(*Secret).resolve(lookup)
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				resolveIn(v.Field(i), lookup)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			resolveIn(v.Index(i), lookup)
		}
	}
}

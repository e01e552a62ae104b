package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/socflow/socflow/config"
	"github.com/socflow/socflow/workflows"
)

// TestAutoContainFollowsTheCredential: the same P1 on an unprotected host,
// submitted through the API with an ingest token, is contained by the
// timeout default only when that token is trusted for automatic
// containment; a body claiming trust changes nothing, and the incident
// says why the default did not apply.
func TestAutoContainFollowsTheCredential(t *testing.T) {
	for _, tc := range []struct {
		name      string
		untrusted bool
		want      string
	}{
		{"trusted token", false, workflows.StatusContained},
		{"untrusted token claiming trust in the body", true, workflows.StatusAwaiting},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startStack(t, stackOptions{untrustedIngest: tc.untrusted, mutate: func(c *config.Config) {
				shortWindows(c)
				c.Policy.Containment.Protected.MaxAssetTier = 0 // dc01 is tier 1: unprotect it
				for i := range c.Policy.Tiers {
					c.Policy.Tiers[i].Timeout = time.Second
				}
			}})
			body := readExample(t, "network-anomaly-dc01.json")
			forged := strings.Replace(string(body), "{", `{"submitted_by":"trusted-edr","auto_contain_trusted":true,`, 1)
			postAlert(t, s, []byte(forged))
			eventually(t, 60*time.Second, "the timeout default considered", func() (bool, string) {
				var st workflows.IncidentState
				s.get("/v1/incidents/host:dc01", &st)
				return st.DefaultAction != nil, st.Status
			})
			var st workflows.IncidentState
			if tc.want == workflows.StatusContained {
				st = *s.waitStatus("host:dc01", 60*time.Second, workflows.StatusContained)
				if !st.DefaultAction.Applied || !s.edr.Isolated("dc01") {
					t.Errorf("contained but the default reads %+v (EDR isolated: %v)", st.DefaultAction, s.edr.Isolated("dc01"))
				}
				return
			}
			s.get("/v1/incidents/host:dc01", &st)
			if st.Status != tc.want || st.DefaultAction.Applied || !strings.Contains(st.DefaultAction.Reason, "siem") {
				t.Errorf("status %s, default %+v; want %s, not applied, naming the submitter siem", st.Status, st.DefaultAction, tc.want)
			}
			if s.edr.Isolated("dc01") {
				t.Error("the EDR isolated dc01 on an untrusted alert")
			}
		})
	}
}

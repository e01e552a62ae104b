package panostest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/socflow/socflow/integrations/panos/panostest"
)

const vsys = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']"

func post(t *testing.T, ts *httptest.Server, key string, v url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/", strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if key != "" {
		req.Header.Set("X-PAN-KEY", key)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDocumentedAnswers: the shapes package panos reads, including the
// ones it must tell apart (get of nothing is an empty success, show of
// nothing an error; a commit without changes has no job).
func TestDocumentedAnswers(t *testing.T) {
	fw := panostest.New(panostest.WithCommitPolls(2))
	ts := httptest.NewServer(fw)
	t.Cleanup(ts.Close)
	t.Cleanup(func() { _ = fw.Close() })
	k := panostest.DefaultKey
	group := vsys + "/address-group/entry[@name='g']/static"
	for _, tc := range []struct {
		key    string
		v      url.Values
		status int
		want   string
	}{
		{"", url.Values{"type": {"config"}, "action": {"get"}, "xpath": {group}}, 403, `code = '403'><result><msg>Invalid credentials.</msg>`},
		{k, url.Values{"type": {"config"}, "action": {"get"}, "xpath": {group}}, 200, `<response status="success" code="7"><result/></response>`},
		{k, url.Values{"type": {"config"}, "action": {"show"}, "xpath": {group}}, 200, `<response status="error" code="7"><msg><line>No such node</line></msg></response>`},
		{k, url.Values{"type": {"config"}, "action": {"set"}, "xpath": {group}, "element": {"<member>a</member>"}}, 200, `is not a valid reference`},
		{k, url.Values{"type": {"config"}, "action": {"set"}, "xpath": {vsys + "/address/entry[@name='a']"}, "element": {"<ip-netmask>192.0.2.1/32</ip-netmask>"}}, 200, `<response status="success" code="20">`},
		{k, url.Values{"type": {"config"}, "action": {"set"}, "xpath": {group}, "element": {"<member>a</member>"}}, 200, `code="20"`},
		{k, url.Values{"type": {"commit"}, "cmd": {"<commit></commit>"}}, 200, `<job>1</job>`},
		{k, url.Values{"type": {"op"}, "cmd": {"<show><jobs><id>1</id></jobs></show>"}}, 200, `<status>ACT</status>`},
		{k, url.Values{"type": {"op"}, "cmd": {"<show><jobs><id>1</id></jobs></show>"}}, 200, `<status>FIN</status><queued>NO</queued><stoppable>no</stoppable><result>OK</result>`},
		{k, url.Values{"type": {"config"}, "action": {"show"}, "xpath": {group}}, 200, `<static admin="socflow"><member>a</member></static>`},
		{k, url.Values{"type": {"commit"}, "cmd": {"<commit></commit>"}}, 200, `There are no changes to commit.`},
		{k, url.Values{"type": {"config"}, "action": {"delete"}, "xpath": {vsys + "/address/entry[@name='a']"}}, 200, `cannot be deleted because of references`},
		{k, url.Values{"type": {"config"}, "action": {"get"}, "xpath": {"/config/shared"}}, 200, `code="6"`},
	} {
		status, body := post(t, ts, tc.key, tc.v)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%v: %d %s, want %d ...%s", tc.v, status, body, tc.status, tc.want)
		}
	}
	fw.FailNext("config/set", http.StatusInternalServerError, 1, "")
	if status, body := post(t, ts, k, url.Values{"type": {"config"}, "action": {"set"}}); status != 500 || !strings.Contains(body, `status="error"`) {
		t.Errorf("fault: %d %s", status, body)
	}
	if calls := fw.Calls(); len(calls) != 14 || calls[13].Status != 500 || calls[0].Status != 403 {
		t.Errorf("calls %+v", calls)
	}
}

package defendertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// do sends one request straight to the handler.
func do(t *testing.T, h http.Handler, method, target, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	resp := w.Result()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %s", method, target, b)
		}
	}
	return resp, m
}

func errorCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestAuthorization(t *testing.T) {
	s := New(WithToken("secret"))
	tests := []struct {
		name, header string
		want         int
	}{
		{"none", "", http.StatusUnauthorized},
		{"wrong", "Bearer nope", http.StatusUnauthorized},
		{"wrong scheme", "SSWS secret", http.StatusUnauthorized},
		{"right", "Bearer secret", http.StatusOK},
		{"scheme in any case", "bearer secret", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/machines", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("status = %d, want %d", w.Code, tt.want)
			}
			if tt.want == http.StatusUnauthorized {
				var m map[string]any
				_ = json.Unmarshal(w.Body.Bytes(), &m)
				if errorCode(m) != "Unauthorized" {
					t.Errorf("body = %s, want an OData Unauthorized error", w.Body)
				}
			}
		})
	}
}

// TestIsolateAnswerShape compares the fake's machine action with one
// recorded from the documentation.
func TestIsolateAnswerShape(t *testing.T) {
	recorded, err := os.ReadFile("testdata/machineaction_isolate_response.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]any
	if err := json.Unmarshal(recorded, &want); err != nil {
		t.Fatal(err)
	}
	s := New()
	_, list := do(t, s, http.MethodGet, "/api/machines?$filter=computerDnsName%20eq%20%27desktop-test%27", DefaultToken, "")
	ms := list["value"].([]any)
	id := ms[0].(map[string]any)["id"].(string)
	resp, got := do(t, s, http.MethodPost, "/api/machines/"+id+"/isolate", DefaultToken, `{"Comment":"c","IsolationType":"Selective"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status = %d, want 201", resp.StatusCode)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("answer lacks %q", k)
		}
	}
	if got["type"] != "Isolate" || got["status"] != "Pending" || got["scope"] != "Selective" ||
		got["machineId"] != id || got["computerDnsName"] != "desktop-test" || got["requestorComment"] != "c" {
		t.Errorf("answer = %v", got)
	}
	if !strings.HasSuffix(got["@odata.context"].(string), "$metadata#MachineActions/$entity") {
		t.Errorf("@odata.context = %v", got["@odata.context"])
	}
	if !s.Isolated("DESKTOP-TEST") {
		t.Error("machine not isolated")
	}
}

func TestMachineLookup(t *testing.T) {
	tests := []struct {
		name   string
		opts   []Option
		filter string
		want   int
		code   int
	}{
		{"auto-created", nil, "computerDnsName eq 'new-host'", 1, http.StatusOK},
		{"no auto-creation by prefix", nil, "startswith(computerDnsName,'new-host.')", 0, http.StatusOK},
		{"fixed list", []Option{WithMachines(Machine{ComputerDNSName: "a.corp"})}, "computerDnsName eq 'new-host'", 0, http.StatusOK},
		{"fixed list, any case", []Option{WithMachines(Machine{ComputerDNSName: "a.corp"})}, "computerDnsName eq 'A.CORP'", 1, http.StatusOK},
		{"prefix", []Option{WithMachines(Machine{ComputerDNSName: "a.corp"}, Machine{ComputerDNSName: "ab.corp"})}, "startswith(computerDnsName,'a.')", 1, http.StatusOK},
		{"unknown property", nil, "colour eq 'red'", 0, http.StatusBadRequest},
		{"unsupported operator", nil, "riskScore ne 'High'", 0, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.opts...)
			resp, m := do(t, s, http.MethodGet, "/api/machines?$filter="+strings.ReplaceAll(tt.filter, " ", "%20"), DefaultToken, "")
			if resp.StatusCode != tt.code {
				t.Fatalf("status = %d, want %d: %v", resp.StatusCode, tt.code, m)
			}
			if tt.code != http.StatusOK {
				return
			}
			if vs, _ := m["value"].([]any); len(vs) != tt.want {
				t.Errorf("machines = %v, want %d", m["value"], tt.want)
			}
			if _, ok := m["@odata.context"]; !ok {
				t.Error("list has no @odata.context")
			}
		})
	}
}

func TestUnknownMachineAction(t *testing.T) {
	s := New()
	resp, m := do(t, s, http.MethodPost, "/api/machines/nope/isolate", DefaultToken, `{"Comment":"c"}`)
	if resp.StatusCode != http.StatusNotFound || errorCode(m) != "ResourceNotFound" {
		t.Fatalf("answer = %d %v, want 404 ResourceNotFound", resp.StatusCode, m)
	}
}

func TestPendingActions(t *testing.T) {
	s := New(WithPendingActions(), WithMachines(Machine{ID: "m1", ComputerDNSName: "web1"}))
	resp, _ := do(t, s, http.MethodPost, "/api/machines/m1/isolate", DefaultToken, `{"Comment":"c"}`)
	if resp.StatusCode != http.StatusCreated || s.Isolated("web1") {
		t.Fatalf("first isolate: %d, isolated=%v; want 201 and not yet isolated", resp.StatusCode, s.Isolated("web1"))
	}
	resp, m := do(t, s, http.MethodPost, "/api/machines/m1/isolate", DefaultToken, `{"Comment":"c"}`)
	if resp.StatusCode != http.StatusBadRequest || errorCode(m) != "ActiveRequestAlreadyExists" {
		t.Fatalf("second isolate: %d %v, want 400 ActiveRequestAlreadyExists", resp.StatusCode, m)
	}
	s.CompleteActions()
	if !s.Isolated("web1") {
		t.Fatal("not isolated after CompleteActions")
	}
	_, list := do(t, s, http.MethodGet, "/api/machineactions?$filter=machineId%20eq%20%27m1%27%20and%20type%20eq%20%27Isolate%27", DefaultToken, "")
	vs := list["value"].([]any)
	if len(vs) != 1 || vs[0].(map[string]any)["status"] != "Succeeded" {
		t.Errorf("actions = %v, want one Succeeded isolate", vs)
	}
}

func TestIndicators(t *testing.T) {
	s := New()
	body := `{"indicatorValue":"203.0.113.7","indicatorType":"IpAddress","action":"Block","title":"t","description":"d","severity":"High","generateAlert":true}`
	resp, first := do(t, s, http.MethodPost, "/api/indicators", DefaultToken, body)
	if resp.StatusCode != http.StatusOK || !s.Blocked("203.0.113.7") {
		t.Fatalf("submit: %d %v", resp.StatusCode, first)
	}
	for _, k := range []string{"id", "indicatorValue", "indicatorType", "action", "title", "description", "severity",
		"generateAlert", "creationTimeDateTimeUtc", "createdBy", "lastUpdateTime", "rbacGroupNames", "@odata.context"} {
		if _, ok := first[k]; !ok {
			t.Errorf("indicator lacks %q", k)
		}
	}
	_, second := do(t, s, http.MethodPost, "/api/indicators", DefaultToken, strings.Replace(body, `"d"`, `"d2"`, 1))
	if second["id"] != first["id"] || second["description"] != "d2" {
		t.Errorf("resubmit = %v, want an update of indicator %v", second, first["id"])
	}
	for _, bad := range []string{
		`{"indicatorValue":"10.0.0.0/8","indicatorType":"IpAddress","action":"Block","title":"t","description":"d"}`,
		`{"indicatorValue":"1.2.3.4","indicatorType":"IpAddress","action":"Block"}`,
		`{"indicatorValue":"1.2.3.4","indicatorType":"Ip","action":"Block","title":"t","description":"d"}`,
		`{"indicatorValue":"da39a3ee5e6b4b0d3255bfef95601890afd80709","indicatorType":"FileSha256","action":"BlockAndRemediate","title":"t","description":"d"}`,
		`{"indicatorValue":"evil.exe","indicatorType":"FileMd5","action":"BlockAndRemediate","title":"t","description":"d"}`,
		`not json`,
	} {
		if resp, _ := do(t, s, http.MethodPost, "/api/indicators", DefaultToken, bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("submit %s: %d, want 400", bad, resp.StatusCode)
		}
	}
	_, list := do(t, s, http.MethodGet, "/api/indicators?$filter=indicatorValue%20eq%20%27203.0.113.7%27", DefaultToken, "")
	if vs := list["value"].([]any); len(vs) != 1 {
		t.Errorf("lookup = %v, want one indicator", vs)
	}
	id := fmt.Sprint(first["id"])
	if resp, _ := do(t, s, http.MethodDelete, "/api/indicators/"+id, DefaultToken, ""); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d, want 204", resp.StatusCode)
	}
	if s.Blocked("203.0.113.7") {
		t.Error("still blocked after delete")
	}
	if resp, m := do(t, s, http.MethodDelete, "/api/indicators/"+id, DefaultToken, ""); resp.StatusCode != http.StatusNotFound || errorCode(m) != "ResourceNotFound" {
		t.Errorf("second delete: %d %v, want 404", resp.StatusCode, m)
	}
}

func TestFailNext(t *testing.T) {
	s := New()
	s.FailNext("POST /api/machines/*/isolate", http.StatusTooManyRequests, 2, "12")
	s.FailNext("/api/indicators", http.StatusInternalServerError, 1, "")

	// GETs do not match the POST pattern.
	if resp, _ := do(t, s, http.MethodGet, "/api/machines", DefaultToken, ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET machines: %d", resp.StatusCode)
	}
	for i := range 2 {
		resp, m := do(t, s, http.MethodPost, "/api/machines/x/isolate", "", `{}`)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "12" || errorCode(m) != "TooManyRequests" {
			t.Fatalf("attempt %d: %d Retry-After=%q %v", i, resp.StatusCode, resp.Header.Get("Retry-After"), m)
		}
	}
	if resp, _ := do(t, s, http.MethodPost, "/api/machines/x/isolate", DefaultToken, `{"Comment":"c"}`); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("third attempt: %d, want the real answer (404)", resp.StatusCode)
	}
	if resp, _ := do(t, s, http.MethodGet, "/api/indicators", DefaultToken, ""); resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("indicators: %d, want 500", resp.StatusCode)
	}
	s.Fail("", Fault{Status: http.StatusBadRequest, Body: `{"error":{"code":"Custom","message":"m"}}`})
	if _, m := do(t, s, http.MethodGet, "/api/indicators", DefaultToken, ""); errorCode(m) != "Custom" {
		t.Errorf("custom body = %v", m)
	}
	var got []int
	for _, c := range s.Calls() {
		got = append(got, c.Status)
	}
	if want := []int{200, 429, 429, 404, 500, 400}; !reflect.DeepEqual(got, want) {
		t.Errorf("recorded statuses = %v, want %v", got, want)
	}
}

func TestParseFilter(t *testing.T) {
	tests := []struct {
		in      string
		want    []clause
		wantErr bool
	}{
		{"", nil, false},
		{"computerDnsName eq 'a'", []clause{{"eq", "computerDnsName", "a"}}, false},
		{"startswith(computerDnsName,'a.')", []clause{{"startswith", "computerDnsName", "a."}}, false},
		{"machineId eq 'm' and type eq 'Isolate'", []clause{{"eq", "machineId", "m"}, {"eq", "type", "Isolate"}}, false},
		{"title eq 'rock and roll'", []clause{{"eq", "title", "rock and roll"}}, false},
		{"computerDnsName eq 'o''brien'", []clause{{"eq", "computerDnsName", "o'brien"}}, false},
		{"computerDnsName eq a", nil, true},
		{"computerDnsName ne 'a'", nil, true},
	}
	for _, tt := range tests {
		got, err := parseFilter(tt.in)
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseFilter(%q) = %v, %v; want %v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s := New()
	ts := httptest.NewServer(s)
	defer ts.Close()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ip := fmt.Sprintf("203.0.113.%d", i)
			body := `{"indicatorValue":"` + ip + `","indicatorType":"IpAddress","action":"Block","title":"t","description":"d"}`
			req, _ := http.NewRequest(http.MethodPost, ts.URL+"/api/indicators", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+DefaultToken)
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			_ = s.Blocked(ip)
			_ = s.Calls()
		})
	}
	wg.Wait()
	for i := range 20 {
		if !s.Blocked(fmt.Sprintf("203.0.113.%d", i)) {
			t.Errorf("203.0.113.%d not blocked", i)
		}
	}
}

func TestStartAndClose(t *testing.T) {
	s := New()
	base, err := s.Start("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(""); err == nil {
		t.Error("second Start succeeded")
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/machines", nil)
	req.Header.Set("Authorization", "Bearer "+DefaultToken)
	hc := &http.Client{}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d", resp.StatusCode)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := hc.Get(base + "/api/machines"); err == nil {
		t.Error("server still answers after Close")
	}
}

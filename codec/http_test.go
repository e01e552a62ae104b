package codec_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/socflow/socflow/codec"
)

const uiOrigin = "http://ui.example:8233"

func newCodecServer(t *testing.T) (*httptest.Server, *codec.Codec) {
	t.Helper()
	c := mustNew(t, key("k1", 1))
	h, err := codec.NewHandler(c, codec.HandlerOptions{
		Authorize:   codec.BearerToken("s3cret"),
		CORSOrigins: []string{uiOrigin},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/codec", h))
	t.Cleanup(srv.Close)
	return srv, c
}

func encryptedBody(t *testing.T, c *codec.Codec) []byte {
	t.Helper()
	p, err := codec.DataConverter(c).ToPayload(sample)
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func do(t *testing.T, method, url string, body []byte, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestCodecServer(t *testing.T) {
	srv, c := newCodecServer(t)
	body := encryptedBody(t, c)
	decode := srv.URL + "/codec/decode"
	bearer := "Bearer s3cret"

	cases := []struct {
		name       string
		method     string
		hdr        map[string]string
		wantStatus int
		wantCORS   string // the Access-Control-Allow-Origin answered
		wantClear  bool
	}{
		{name: "no credential", method: "POST", hdr: map[string]string{"Content-Type": "application/json"}, wantStatus: 401},
		{name: "wrong token", method: "POST", hdr: map[string]string{"Authorization": "Bearer nope"}, wantStatus: 401},
		{name: "not bearer", method: "POST", hdr: map[string]string{"Authorization": "Basic czNjcmV0"}, wantStatus: 401},
		{name: "authorized", method: "POST", hdr: map[string]string{"Authorization": bearer, "Content-Type": "application/json"}, wantStatus: 200, wantClear: true},
		{name: "authorized from the UI", method: "POST", hdr: map[string]string{"Authorization": bearer, "Origin": uiOrigin, "X-Namespace": "default"},
			wantStatus: 200, wantCORS: uiOrigin, wantClear: true},
		// A foreign page's browser gets no CORS grant, so it cannot read
		// the answer even when the request carries a valid credential.
		{name: "authorized from a foreign origin", method: "POST", hdr: map[string]string{"Authorization": bearer, "Origin": "http://evil.example"},
			wantStatus: 200, wantClear: true},
		{name: "unauthorized from the UI", method: "POST", hdr: map[string]string{"Origin": uiOrigin}, wantStatus: 401, wantCORS: uiOrigin},
		{name: "preflight from the UI", method: "OPTIONS", hdr: map[string]string{"Origin": uiOrigin, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "authorization,content-type,x-namespace"}, wantStatus: 204, wantCORS: uiOrigin},
		{name: "preflight from a foreign origin", method: "OPTIONS", hdr: map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
			wantStatus: 403},
		{name: "preflight without origin", method: "OPTIONS", wantStatus: 403},
		{name: "GET", method: "GET", hdr: map[string]string{"Authorization": bearer}, wantStatus: 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, got := do(t, tc.method, decode, body, tc.hdr)
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, got)
			}
			if acao := resp.Header.Get("Access-Control-Allow-Origin"); acao != tc.wantCORS {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", acao, tc.wantCORS)
			}
			if tc.wantCORS != "" && resp.Header.Get("Access-Control-Allow-Credentials") != "true" {
				t.Error("credentials not allowed for the UI origin")
			}
			if tc.method == "OPTIONS" && tc.wantStatus == 204 {
				allow := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
				for _, h := range []string{"authorization", "content-type", "x-namespace"} {
					if !strings.Contains(allow, h) {
						t.Errorf("preflight does not allow header %s: %q", h, allow)
					}
				}
			}
			if tc.wantClear {
				var ps commonpb.Payloads
				var back secretAlert
				if err := protojson.Unmarshal([]byte(got), &ps); err != nil || len(ps.Payloads) != 1 {
					t.Fatalf("answer %s: %v", got, err)
				}
				if err := converter.GetDefaultDataConverter().FromPayload(ps.Payloads[0], &back); err != nil || back != sample {
					t.Errorf("answer decodes to %+v, %v; want the clear alert", back, err)
				}
			} else if strings.Contains(got, "payloads") {
				t.Errorf("a refused request got payloads: %s", got)
			}
		})
	}
}

// TestCodecServerSpeaksTheSDKProtocol encodes and decodes through the
// SDK's own remote codec client, as `temporal` and the UI do.
func TestCodecServerSpeaksTheSDKProtocol(t *testing.T) {
	srv, _ := newCodecServer(t)
	remote := converter.NewRemoteDataConverter(converter.GetDefaultDataConverter(), converter.RemoteDataConverterOptions{
		Endpoint:      srv.URL + "/codec",
		ModifyRequest: func(r *http.Request) error { r.Header.Set("Authorization", "Bearer s3cret"); return nil },
	})
	p, err := remote.ToPayload(sample)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.Metadata["encoding"]) != codec.Encoding {
		t.Fatalf("remote encode gave %q", p.Metadata["encoding"])
	}
	var back secretAlert
	if err := remote.FromPayload(p, &back); err != nil || back != sample {
		t.Fatalf("remote decode: %+v, %v", back, err)
	}
}

func TestNewHandlerNeedsAuthorize(t *testing.T) {
	if _, err := codec.NewHandler(mustNew(t, key("k1", 1)), codec.HandlerOptions{}); err == nil {
		t.Fatal("a handler without Authorize was built")
	}
}

func TestLoopbackHost(t *testing.T) {
	check := codec.LoopbackHost("9999")
	for host, ok := range map[string]bool{"127.0.0.1:9999": true, "localhost:9999": true, "[::1]:9999": true,
		"evil.example:9999": false, "127.0.0.1:80": false, "": false} {
		r := httptest.NewRequest("POST", "/decode", nil)
		r.Host = host
		if err := check(r); (err == nil) != ok {
			t.Errorf("host %q: err %v, want allowed=%v", host, err, ok)
		}
	}
}

func TestErrorsAreJSON(t *testing.T) {
	srv, _ := newCodecServer(t)
	resp, body := do(t, "POST", srv.URL+"/codec/decode", nil, nil)
	var e struct{ Error string }
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" || resp.StatusCode != 401 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

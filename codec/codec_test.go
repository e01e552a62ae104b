package codec_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"

	"github.com/socflow/socflow/codec"
)

func key(id string, b byte) codec.Key {
	return codec.Key{ID: id, Material: bytes.Repeat([]byte{b}, codec.KeySize)}
}

func mustNew(t *testing.T, keys ...codec.Key) *codec.Codec {
	t.Helper()
	c, err := codec.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type secretAlert struct {
	Host, User, Command string
}

var sample = secretAlert{Host: "dc01.corp", User: "bob.smith", Command: `powershell -enc SQBFAFgA`}

func TestRoundTripHidesEverything(t *testing.T) {
	c := mustNew(t, key("k1", 1))
	dc := codec.DataConverter(c)
	p, err := dc.ToPayload(sample)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p.Metadata["encoding"]); got != codec.Encoding {
		t.Errorf("encoding = %q, want %q", got, codec.Encoding)
	}
	if got := string(p.Metadata[codec.MetadataKeyID]); got != "k1" {
		t.Errorf("key ID = %q, want k1", got)
	}
	raw, _ := proto.Marshal(p)
	for _, s := range []string{sample.Host, sample.User, sample.Command, "json/plain"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("encoded payload holds %q in clear", s)
		}
	}
	var back secretAlert
	if err := dc.FromPayload(p, &back); err != nil {
		t.Fatal(err)
	}
	if back != sample {
		t.Errorf("round trip = %+v, want %+v", back, sample)
	}
	// Two encodings of one value differ: the nonce is fresh every time.
	p2, _ := dc.ToPayload(sample)
	if bytes.Equal(p.Data, p2.Data) {
		t.Error("two encodings are identical: the nonce is reused")
	}
}

func TestOverheadBoundsTheGrowth(t *testing.T) {
	c := mustNew(t, key("a-rather-long-key-id-2026-12", 1), key("k", 2))
	for _, n := range []int{0, 1, 100, 200, 70000} {
		p := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: bytes.Repeat([]byte("x"), n)}
		enc, err := c.Encode([]*commonpb.Payload{p})
		if err != nil {
			t.Fatal(err)
		}
		if grow := proto.Size(enc[0]) - proto.Size(p); grow > c.Overhead() {
			t.Errorf("data of %d bytes grew by %d, Overhead says at most %d", n, grow, c.Overhead())
		}
	}
}

func TestClearPayloadsDecodeUnchanged(t *testing.T) {
	c := mustNew(t, key("k1", 1))
	clear, err := converter.GetDefaultDataConverter().ToPayload(sample)
	if err != nil {
		t.Fatal(err)
	}
	var back secretAlert
	if err := codec.DataConverter(c).FromPayload(clear, &back); err != nil {
		t.Fatalf("a clear payload (a history from before the codec) must decode: %v", err)
	}
	if back != sample {
		t.Errorf("got %+v", back)
	}
}

func TestRotation(t *testing.T) {
	old := mustNew(t, key("k1", 1))
	p, err := codec.DataConverter(old).ToPayload(sample)
	if err != nil {
		t.Fatal(err)
	}
	// k2 is added first: it encrypts from now on, k1 still decrypts.
	rotated := mustNew(t, key("k2", 2), key("k1", 1))
	var back secretAlert
	if err := codec.DataConverter(rotated).FromPayload(p, &back); err != nil || back != sample {
		t.Fatalf("a payload of the old key after rotation: %+v, %v", back, err)
	}
	p2, err := codec.DataConverter(rotated).ToPayload(sample)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(p2.Metadata[codec.MetadataKeyID]); got != "k2" || rotated.EncryptKeyID() != "k2" {
		t.Errorf("new payloads use %q (EncryptKeyID %q), want the newest key k2", got, rotated.EncryptKeyID())
	}
	if got := rotated.KeyIDs(); strings.Join(got, ",") != "k2,k1" {
		t.Errorf("KeyIDs = %v", got)
	}
}

func TestTamperingIsDetected(t *testing.T) {
	c := mustNew(t, key("k1", 1), key("k2", 2))
	p, err := codec.DataConverter(c).ToPayload(sample)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(p *commonpb.Payload){
		"flipped ciphertext bit": func(p *commonpb.Payload) { p.Data[len(p.Data)/2] ^= 1 },
		"flipped nonce bit":      func(p *commonpb.Payload) { p.Data[0] ^= 1 },
		"truncated":              func(p *commonpb.Payload) { p.Data = p.Data[:len(p.Data)-1] },
		"too short":              func(p *commonpb.Payload) { p.Data = p.Data[:10] },
		"relabelled key":         func(p *commonpb.Payload) { p.Metadata[codec.MetadataKeyID] = []byte("k2") },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			q := proto.Clone(p).(*commonpb.Payload)
			mutate(q)
			if _, err := c.Decode([]*commonpb.Payload{q}); err == nil {
				t.Fatal("a tampered payload decoded")
			}
		})
	}
}

func TestUnknownKeyIDIsNamed(t *testing.T) {
	p, err := codec.DataConverter(mustNew(t, key("retired-2025", 1))).ToPayload(sample)
	if err != nil {
		t.Fatal(err)
	}
	_, err = mustNew(t, key("k2", 2)).Decode([]*commonpb.Payload{p})
	if err == nil || !strings.Contains(err.Error(), `"retired-2025"`) || !strings.Contains(err.Error(), "k2") {
		t.Fatalf("error = %v, want it to name the missing key and the ring", err)
	}
	delete(p.Metadata, codec.MetadataKeyID)
	if _, err := mustNew(t, key("k2", 2)).Decode([]*commonpb.Payload{p}); err == nil || !strings.Contains(err.Error(), codec.MetadataKeyID) {
		t.Fatalf("error = %v, want it to say the key ID is missing", err)
	}
}

func TestNewRefusesBadRings(t *testing.T) {
	cases := map[string][]codec.Key{
		"empty":        nil,
		"no id":        {key("", 1)},
		"bad id":       {key("k 1", 1)},
		"duplicate id": {key("k1", 1), key("k1", 2)},
		"short key":    {{ID: "k1", Material: make([]byte, 16)}},
	}
	for name, keys := range cases {
		if _, err := codec.New(keys); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
	if _, err := codec.New([]codec.Key{{ID: "short", Material: make([]byte, 31)}}); err == nil || !strings.Contains(err.Error(), `"short"`) {
		t.Errorf("the length error must name the key: %v", err)
	}
}

func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xAB}, codec.KeySize)
	good := map[string][]byte{
		"raw":              raw,
		"hex":              []byte(hex.EncodeToString(raw) + "\n"),
		"base64":           []byte(base64.StdEncoding.EncodeToString(raw)),
		"base64 newline":   []byte(base64.StdEncoding.EncodeToString(raw) + "\n"),
		"base64url nopad":  []byte(base64.RawURLEncoding.EncodeToString(raw)),
		"generated format": nil,
	}
	gen, err := codec.NewKeyMaterial()
	if err != nil {
		t.Fatal(err)
	}
	good["generated format"] = gen
	for name, in := range good {
		got, err := codec.ParseKey(in)
		if err != nil || len(got) != codec.KeySize {
			t.Errorf("%s: %d bytes, %v", name, len(got), err)
		}
		if name != "generated format" && !bytes.Equal(got, raw) {
			t.Errorf("%s: wrong key", name)
		}
	}
	bad := map[string][]byte{
		"empty":         nil,
		"31 raw":        raw[:31],
		"33 raw":        append(raw, 1),
		"base64 of 16":  []byte(base64.StdEncoding.EncodeToString(raw[:16])),
		"hex of 31":     []byte(hex.EncodeToString(raw[:31])),
		"a passphrase":  []byte("correct horse battery staple!!"),
		"base64 of 33+": []byte(base64.StdEncoding.EncodeToString(append(raw, 1, 2))),
	}
	for name, in := range bad {
		if _, err := codec.ParseKey(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestKeyNeverPrintsItsMaterial(t *testing.T) {
	k := codec.Key{ID: "k1", Material: []byte("0123456789abcdef0123456789abcdef")}
	if s := k.String(); strings.Contains(s, "0123") {
		t.Errorf("String = %q", s)
	}
	if s := k.LogValue().String(); strings.Contains(s, "0123") {
		t.Errorf("LogValue = %q", s)
	}
}

func TestFailureConverterEncryptsMessages(t *testing.T) {
	c := mustNew(t, key("k1", 1))
	fc := codec.FailureConverter(c)
	f := fc.ErrorToFailure(temporal.NewApplicationError("isolate "+sample.Host+" refused", "EDRRefused"))
	raw, _ := proto.Marshal(f)
	if bytes.Contains(raw, []byte(sample.Host)) {
		t.Fatalf("the failure holds the host name in clear: %v", f)
	}
	err := fc.FailureToError(f)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != "EDRRefused" || !strings.Contains(appErr.Error(), sample.Host) {
		t.Fatalf("decoded failure = %v, want the application error back", err)
	}
	// A failure recorded in clear before the codec still reads.
	clear := temporal.GetDefaultFailureConverter().ErrorToFailure(errors.New("old " + sample.Host))
	if err := fc.FailureToError(clear); !strings.Contains(err.Error(), sample.Host) {
		t.Fatalf("clear failure = %v", err)
	}
}

// Package codec encrypts Temporal payloads with AES-256-GCM, so that alert
// data (host and user names, command lines, raw SIEM text) and anything
// else socflow hands Temporal is stored and shown only as ciphertext.
//
// A [Codec] holds a key ring: it encrypts with the first key listed (the
// newest) and decrypts with any key listed, so a key is rotated by putting
// the new one first and keeping the old ones for as long as histories
// encrypted with them are kept. Payloads that are not encrypted (histories
// recorded before the codec was configured) decode unchanged.
//
// The package uses only the standard library and the Temporal SDK and API,
// so that a codec server or another tool can import it without the server.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

const (
	// Encoding is the "encoding" metadata of an encrypted payload.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the metadata entry holding the ID of the key a
	// payload was encrypted with.
	MetadataKeyID = "encryption-key-id"
	// KeySize is the length of an AES-256 key in bytes.
	KeySize = 32
)

// metadataEncoding is the SDK's metadata key for a payload's encoding.
const metadataEncoding = converter.MetadataEncoding

// keyIDPattern keeps key IDs short and printable: they are stored in clear
// in every payload and shown in errors.
var keyIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// Key is one key of the ring.
type Key struct {
	// ID names the key in every payload it encrypts.
	ID string
	// Material is the 32-byte AES-256 key.
	Material []byte
}

// String names the key without its material, so that printing a Key by
// mistake leaks nothing.
func (k Key) String() string { return "codec key " + k.ID }

// LogValue redacts the material, for slog.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", k.ID), slog.String("material", "REDACTED"))
}

// Codec is an AES-256-GCM [converter.PayloadCodec] over a key ring. It is
// safe for concurrent use.
type Codec struct {
	encrypt string
	ids     []string
	aeads   map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New builds a codec that encrypts with keys[0] and decrypts with any of
// keys. Every key needs a unique, printable ID and 32 bytes of material.
func New(keys []Key) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("codec: no keys: list at least one")
	}
	c := &Codec{encrypt: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for i, k := range keys {
		if err := CheckKeyID(k.ID); err != nil {
			return nil, fmt.Errorf("codec: key %d: %w", i, err)
		}
		if _, dup := c.aeads[k.ID]; dup {
			return nil, fmt.Errorf("codec: key ID %q is listed twice", k.ID)
		}
		if len(k.Material) != KeySize {
			return nil, fmt.Errorf("codec: key %q is %d bytes, an AES-256 key is %d", k.ID, len(k.Material), KeySize)
		}
		block, err := aes.NewCipher(k.Material)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
		c.ids = append(c.ids, k.ID)
	}
	return c, nil
}

// CheckKeyID refuses a key ID that cannot be stored in payload metadata
// and printed safely: 1-64 letters, digits, '.', '_' or '-'.
func CheckKeyID(id string) error {
	if !keyIDPattern.MatchString(id) {
		return fmt.Errorf("key ID %q must be 1-64 letters, digits, '.', '_' or '-'", id)
	}
	return nil
}

// EncryptKeyID is the ID of the key new payloads are encrypted with.
func (c *Codec) EncryptKeyID() string { return c.encrypt }

// KeyIDs lists the ring's key IDs, the encryption key first.
func (c *Codec) KeyIDs() []string { return slices.Clone(c.ids) }

// Overhead bounds the bytes Encode adds to a payload's serialised size:
// the nonce, the GCM tag, the outer metadata and framing. Intake uses it
// to size alerts without encrypting them.
func (c *Codec) Overhead() int {
	longest := 0
	for _, id := range c.ids {
		longest = max(longest, len(id))
	}
	// Each metadata map entry: entry tag and length, key tag and length,
	// value tag and length (at most 3 bytes each here), key and value.
	entry := func(k, v int) int { return 6 + k + v }
	const nonceAndTag = 12 + 16
	const dataFraming = 1 + 5 // the data field's tag and varint length
	return nonceAndTag + dataFraming + entry(len(metadataEncoding), len(Encoding)) + entry(len(MetadataKeyID), longest)
}

// Encode encrypts each payload whole (its metadata and data, marshalled)
// with the encryption key. The result carries only the encoding and the
// key ID in clear.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.encrypt]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("codec: marshal payload %d: %w", i, err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return payloads, fmt.Errorf("codec: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				metadataEncoding: []byte(Encoding),
				MetadataKeyID:    []byte(c.encrypt),
			},
			Data: aead.Seal(nonce, nonce, plain, additionalData(c.encrypt)),
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload with the key its metadata names
// and passes every other payload through unchanged: histories recorded
// before the codec was configured hold clear payloads and must replay.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[metadataEncoding]) != Encoding {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		if id == "" {
			return payloads, fmt.Errorf("codec: payload %d is encrypted but names no key (metadata %q is missing)", i, MetadataKeyID)
		}
		aead, ok := c.aeads[id]
		if !ok {
			return payloads, fmt.Errorf("codec: payload %d is encrypted with key %q, which is not in the key ring (%s): add that key to codec.keys",
				i, id, strings.Join(c.ids, ", "))
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return payloads, fmt.Errorf("codec: payload %d (key %q) is %d bytes, too short to be encrypted", i, id, len(data))
		}
		nonce, sealed := data[:aead.NonceSize()], data[aead.NonceSize():]
		plain, err := aead.Open(nil, nonce, sealed, additionalData(id))
		if err != nil {
			return payloads, fmt.Errorf("codec: payload %d does not authenticate with key %q: it was altered, or encrypted with another key under that ID", i, id)
		}
		var orig commonpb.Payload
		if err := proto.Unmarshal(plain, &orig); err != nil {
			return payloads, fmt.Errorf("codec: payload %d (key %q): decrypted data is not a payload: %w", i, id, err)
		}
		out[i] = &orig
	}
	return out, nil
}

// additionalData binds the ciphertext to its clear metadata, so that a
// payload relabelled with another encoding or key ID fails to open.
func additionalData(keyID string) []byte {
	return []byte(Encoding + "\x00" + keyID)
}

// DataConverter is the SDK's default data converter with c applied to
// every payload; with a nil c it is the default data converter itself.
func DataConverter(c *Codec) converter.DataConverter {
	if c == nil {
		return converter.GetDefaultDataConverter()
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// ParseKey reads key material as stored in a file or an environment
// variable: exactly 32 raw bytes, or their hex (64 digits) or base64
// (standard or URL alphabet, padded or not) encoding, surrounding
// whitespace ignored.
func ParseKey(data []byte) ([]byte, error) {
	if len(data) == KeySize {
		return slices.Clone(data), nil
	}
	s := strings.TrimSpace(string(data))
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) == KeySize {
				return b, nil
			}
			return nil, fmt.Errorf("holds %d bytes (base64), an AES-256 key is %d", len(b), KeySize)
		}
	}
	return nil, fmt.Errorf("holds %d bytes that are neither %d raw bytes nor their hex or base64 encoding", len(data), KeySize)
}

// NewKeyMaterial returns a fresh random key, base64-encoded with a
// trailing newline, as a key file holds it.
func NewKeyMaterial() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("codec: generate key: %w", err)
	}
	return []byte(base64.StdEncoding.EncodeToString(k) + "\n"), nil
}

// FailureConverter is the SDK's default failure converter that, with a
// codec, also encrypts each failure's message and stack trace (which name
// hosts, users and addresses as often as payloads do) through c; with a
// nil c it is the SDK's default failure converter.
func FailureConverter(c *Codec) converter.FailureConverter {
	if c == nil {
		return temporal.GetDefaultFailureConverter()
	}
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          DataConverter(c),
		EncodeCommonAttributes: true,
	})
}

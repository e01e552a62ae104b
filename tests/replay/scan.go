package replay

import (
	"bytes"
	"fmt"
	"os"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Needle is a value that must not appear in clear in a history: an alert
// field socflow was given, or a secret it was configured with.
type Needle struct {
	// Name says what the value is, for the failure message; never the
	// value itself, which may be a secret.
	Name  string
	Value []byte
}

// Finding is a needle found in a history.
type Finding struct {
	Needle string
	// EventID and Where locate it: the event, and the field path of the
	// payload (or "event" for the event's bytes as a whole).
	EventID int64
	Where   string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s in event %d (%s)", f.Needle, f.EventID, f.Where)
}

var (
	payloadName          = (&commonpb.Payload{}).ProtoReflect().Descriptor().FullName()
	searchAttributesName = (&commonpb.SearchAttributes{}).ProtoReflect().Descriptor().FullName()
	failureName          = (&failurepb.Failure{}).ProtoReflect().Descriptor().FullName()
)

// ScanPayloads reports the needles found in the raw bytes of any payload
// of h (inputs, results, signals, updates, queries, memos, headers,
// failure details) and in failure messages and stack traces, except search
// attributes: Temporal indexes those in clear to answer visibility
// queries, so they cannot be encrypted, and socflow puts only the fields
// it lists by (host, user, rule, priority) there.
func ScanPayloads(h *historypb.History, needles []Needle) []Finding {
	var out []Finding
	for _, ev := range h.GetEvents() {
		walk(ev.ProtoReflect(), "", false, func(p *commonpb.Payload, where string) {
			raw, _ := proto.Marshal(p)
			for _, n := range needles {
				if len(n.Value) > 0 && bytes.Contains(raw, n.Value) {
					out = append(out, Finding{Needle: n.Name, EventID: ev.GetEventId(), Where: where})
				}
			}
		})
	}
	return out
}

// ScanEvents reports the needles found anywhere in h's events, serialised
// whole: payloads, search attributes, workflow IDs, failure messages,
// identities. A secret has no business in any of them.
func ScanEvents(h *historypb.History, needles []Needle) []Finding {
	var out []Finding
	for _, ev := range h.GetEvents() {
		raw, _ := proto.Marshal(ev)
		for _, n := range needles {
			if len(n.Value) > 0 && bytes.Contains(raw, n.Value) {
				out = append(out, Finding{Needle: n.Name, EventID: ev.GetEventId(), Where: "event"})
			}
		}
	}
	return out
}

// walk calls visit for every Payload in m outside search attributes.
func walk(m protoreflect.Message, path string, inSA bool, visit func(*commonpb.Payload, string)) {
	name := m.Descriptor().FullName()
	if name == searchAttributesName {
		return
	}
	if name == payloadName {
		if p, ok := m.Interface().(*commonpb.Payload); ok {
			visit(p, path)
		}
		return
	}
	if name == failureName {
		if f, ok := m.Interface().(*failurepb.Failure); ok {
			// The message and stack trace as if they were payloads: the
			// failure converter moves them into encoded_attributes.
			visit(&commonpb.Payload{Data: []byte(f.GetMessage() + "\n" + f.GetStackTrace())}, path+".message")
		}
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		field := path + "." + string(fd.Name())
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walk(l.Get(i).Message(), fmt.Sprintf("%s[%d]", field, i), inSA, visit)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				walk(mv.Message(), fmt.Sprintf("%s[%s]", field, k.String()), inSA, visit)
				return true
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			walk(v.Message(), field, inSA, visit)
		}
		return true
	})
}

// LoadFile reads a recorded history (the JSON `temporal workflow show
// --output json` and the recorder write).
func LoadFile(path string) (*historypb.History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return nil, fmt.Errorf("replay: %s: %w", path, err)
	}
	return h, nil
}

// CredentialMarkers are what a credential looks like wherever socflow
// would send one (HTTP authorization schemes, Slack and Okta token
// prefixes, PEM keys). A history holding one has a credential in it,
// whatever its value.
var CredentialMarkers = []Needle{
	{Name: "a bearer credential", Value: []byte("Bearer ")},
	{Name: "a basic credential", Value: []byte("Basic ")},
	{Name: "an Okta API token header", Value: []byte("SSWS ")},
	{Name: "a Slack bot token", Value: []byte("xoxb-")},
	{Name: "a Slack user token", Value: []byte("xoxp-")},
	{Name: "a Slack app token", Value: []byte("xapp-")},
	{Name: "a PEM key", Value: []byte("-----BEGIN")},
}

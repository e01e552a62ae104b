package events_test

import (
	"context"
	"fmt"
	"time"

	"github.com/socflow/socflow/integrations/events"
)

// The related-events enrichment: telemetry posted to /v1/events, then the
// events on an alert's host, user and addresses in the hour before it.
func Example() {
	store, err := events.OpenSQLite("") // in memory
	if err != nil {
		panic(err)
	}
	defer store.Close()

	body := []byte(`{"time":"2026-03-14T11:58:00Z","kind":"process_start","host":"WS-042","user":"alice","process":"powershell.exe","command_line":"powershell.exe -enc SQBFAFgA","parent_process":"winword.exe"}
{"time":"2026-03-14T11:59:00Z","kind":"firewall_block","host":"fw-1","src_ip":"10.0.1.42","dst_ip":"203.0.113.7","dst_port":443}
{"time":"2026-03-14T11:59:30Z","kind":"authentication","user":"bob","src_ip":"203.0.113.50","outcome":"failure"}
{"time":"2026-03-14T11:59:45Z","kind":"dns","host":"ws-042","domain":"evil.example","dst_port":"53"}`)
	evs, rejected := events.DecodeBatch(body)
	for _, r := range rejected {
		fmt.Printf("rejected entry %d (line %d), field %s: %s\n", r.Index, r.Line, r.Field, r.Error)
	}
	if _, err := store.Append(context.Background(), evs); err != nil {
		panic(err)
	}

	related, err := store.Related(context.Background(), events.Query{
		Hosts:  []string{"ws-042"},
		IPs:    []string{"10.0.1.42"},
		Before: time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC),
		Window: time.Hour,
	})
	if err != nil {
		panic(err)
	}
	for _, r := range events.RelatedEvents(related) {
		fmt.Println(r.Time.Format(time.TimeOnly), r.Summary)
	}
	// Output:
	// rejected entry 3 (line 4), field dst_port: dst_port: expected int, got JSON string
	// 11:59:00 firewall_block 10.0.1.42 -> 203.0.113.7:443 on fw-1
	// 11:58:00 process_start powershell.exe -enc SQBFAFgA (parent winword.exe) by alice on ws-042
}

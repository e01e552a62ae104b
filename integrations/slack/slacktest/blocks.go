package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ValidateBlocks checks a blocks parameter against the Block Kit limits
// Slack enforces (https://docs.slack.dev/reference/block-kit/blocks): at
// most 50 blocks, unique block IDs, header text up to 150 characters,
// section text up to 3000 and at most 10 fields of up to 2000, actions
// blocks of 1 to 25 elements with button text up to 75, values up to 2000
// and action IDs up to 255 and unique within the message, context blocks
// of at most 10 elements, and text objects that are not empty. The fake
// answers invalid_blocks when it fails, as Slack does.
func ValidateBlocks(raw []byte) error {
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return fmt.Errorf("blocks are not a JSON array of objects: %w", err)
	}
	if len(blocks) > 50 {
		return fmt.Errorf("%d blocks, more than 50", len(blocks))
	}
	blockIDs := map[string]bool{}
	actionIDs := map[string]bool{}
	for i, b := range blocks {
		typ, _ := b["type"].(string)
		if typ == "" {
			return fmt.Errorf("block %d has no type", i)
		}
		if id, _ := b["block_id"].(string); id != "" {
			if blockIDs[id] || utf8.RuneCountInString(id) > 255 {
				return fmt.Errorf("block %d: block_id %q is repeated or too long", i, id)
			}
			blockIDs[id] = true
		}
		if err := validateBlock(typ, b, actionIDs); err != nil {
			return fmt.Errorf("block %d (%s): %w", i, typ, err)
		}
	}
	return nil
}

func validateBlock(typ string, b map[string]any, actionIDs map[string]bool) error {
	switch typ {
	case "header":
		return checkText(b["text"], 150, true)
	case "section":
		text, hasText := b["text"]
		fields, _ := b["fields"].([]any)
		if !hasText && len(fields) == 0 {
			return errors.New("a section needs text or fields")
		}
		if hasText {
			if err := checkText(text, 3000, false); err != nil {
				return err
			}
		}
		if len(fields) > 10 {
			return fmt.Errorf("%d fields, more than 10", len(fields))
		}
		for _, f := range fields {
			if err := checkText(f, 2000, false); err != nil {
				return err
			}
		}
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > 10 {
			return fmt.Errorf("%d elements, want 1 to 10", len(els))
		}
		for _, e := range els {
			if err := checkText(e, 3000, false); err != nil {
				return err
			}
		}
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > 25 {
			return fmt.Errorf("%d elements, want 1 to 25", len(els))
		}
		for _, e := range els {
			if err := checkElement(e, actionIDs); err != nil {
				return err
			}
		}
	case "input":
		if err := checkText(b["label"], 2000, true); err != nil {
			return fmt.Errorf("label: %w", err)
		}
		if err := checkElement(b["element"], actionIDs); err != nil {
			return err
		}
	case "divider":
	default:
		// Other blocks are not checked; socflow does not send them.
	}
	return nil
}

func checkElement(v any, actionIDs map[string]bool) error {
	e, ok := v.(map[string]any)
	if !ok {
		return errors.New("an element is not an object")
	}
	id, _ := e["action_id"].(string)
	if id != "" {
		if actionIDs[id] || utf8.RuneCountInString(id) > 255 {
			return fmt.Errorf("action_id %q is repeated or too long", id)
		}
		actionIDs[id] = true
	}
	if e["type"] == "button" {
		if err := checkText(e["text"], 75, true); err != nil {
			return fmt.Errorf("button %q: %w", id, err)
		}
		if val, _ := e["value"].(string); utf8.RuneCountInString(val) > 2000 {
			return fmt.Errorf("button %q: value longer than 2000", id)
		}
		if s, _ := e["style"].(string); s != "" && s != "primary" && s != "danger" {
			return fmt.Errorf("button %q: style %q", id, s)
		}
		if c, ok := e["confirm"].(map[string]any); ok {
			for k, max := range map[string]int{"title": 100, "text": 300, "confirm": 30, "deny": 30} {
				if err := checkText(c[k], max, k != "text"); err != nil {
					return fmt.Errorf("button %q: confirm %s: %w", id, k, err)
				}
			}
		}
	}
	return nil
}

// checkText checks a text object: a type, text that is not empty and at
// most max characters, plain_text when plainOnly.
func checkText(v any, max int, plainOnly bool) error {
	t, ok := v.(map[string]any)
	if !ok {
		return errors.New("text is not a text object")
	}
	typ, _ := t["type"].(string)
	if typ != "plain_text" && typ != "mrkdwn" {
		return fmt.Errorf("text type %q", typ)
	}
	if plainOnly && typ != "plain_text" {
		return errors.New("text must be plain_text")
	}
	if typ == "mrkdwn" {
		if _, ok := t["emoji"]; ok {
			return errors.New("mrkdwn text cannot set emoji")
		}
	}
	s, _ := t["text"].(string)
	if s == "" {
		return errors.New("text is empty")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Errorf("text has %d characters, more than %d", n, max)
	}
	return nil
}

// Texts returns every text in the message, its text field first and then
// the blocks' texts in order (headers, sections, fields, buttons, confirm
// dialogs), so a test can look for words without walking Block Kit.
func (m Message) Texts() []string {
	var out []string
	if m.Text != "" {
		out = append(out, m.Text)
	}
	var v any
	if len(m.Blocks) > 0 && json.Unmarshal(m.Blocks, &v) == nil {
		walk(v, func(k string, s string) {
			if k == "text" {
				out = append(out, s)
			}
		})
	}
	return out
}

// ActionIDs returns the action_id of every interactive element in the
// message's blocks, in order.
func (m Message) ActionIDs() []string {
	var out []string
	var v any
	if len(m.Blocks) > 0 && json.Unmarshal(m.Blocks, &v) == nil {
		walk(v, func(k string, s string) {
			if k == "action_id" {
				out = append(out, s)
			}
		})
	}
	return out
}

// Buttons returns the message's buttons, in order.
func (m Message) Buttons() []Button {
	// Elements stay raw until the block is known to be an actions block:
	// other blocks' elements (a context block's mrkdwn text) have another
	// shape, and must not make the whole message unreadable.
	var blocks []struct {
		Type     string            `json:"type"`
		BlockID  string            `json:"block_id"`
		Elements []json.RawMessage `json:"elements"`
	}
	if json.Unmarshal(m.Blocks, &blocks) != nil {
		return nil
	}
	var out []Button
	for _, b := range blocks {
		if b.Type != "actions" {
			continue
		}
		for _, raw := range b.Elements {
			var e Button
			if json.Unmarshal(raw, &e) == nil && e.Type == "button" {
				e.BlockID = b.BlockID
				out = append(out, e)
			}
		}
	}
	return out
}

// Button is a button in a message.
type Button struct {
	Type     string `json:"type"`
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
	Style    string `json:"style"`
	Text     struct {
		Text string `json:"text"`
	} `json:"text"`
	Confirm *struct {
		Title struct {
			Text string `json:"text"`
		} `json:"title"`
	} `json:"confirm"`
	// BlockID is the ID of the actions block holding the button.
	BlockID string `json:"-"`
}

// walk calls f for every string value in v with its key.
func walk(v any, f func(key, s string)) {
	switch x := v.(type) {
	case map[string]any:
		// Visit "text" before nested objects for a natural reading order.
		if s, ok := x["text"].(string); ok {
			f("text", s)
		}
		for _, k := range []string{"text", "fields", "elements", "element", "accessory", "label", "confirm", "title", "deny"} {
			if k == "text" {
				if _, isString := x[k].(string); isString {
					continue
				}
			}
			if sub, ok := x[k]; ok {
				walk(sub, f)
			}
		}
		if s, ok := x["action_id"].(string); ok {
			f("action_id", s)
		}
	case []any:
		for _, e := range x {
			walk(e, f)
		}
	}
}

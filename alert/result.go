package alert

import (
	"strings"
	"time"
)

// Leased reports whether the result is in force on a lease: what a renew
// verdict would extend, and what a channel offers to renew.
func (r ActionResult) Leased() bool { return r.Status.InForce() && !r.LeaseUntil.IsZero() }

// Summary says in one line where the result stands and what a responder
// needs to know about it: the status in words, then what the status leaves
// open (the vendor's word, the verification deadline, the lease). Every
// channel (Slack, Jira, the CLI) prints it, so that an action reads the
// same wherever it reaches someone, such as
//
//	pending verification (vendor: containment_pending; verify by 12:10Z)
//	unverified (vendor's last state: Pending)
//	left as found (already isolated; socflow will not undo it)
//	revert failed: still in force
//	done, lease until 16:00Z
//	done; nothing to undo (sessions cannot be restored)
//
// now decides how times read: on now's UTC day as 15:04Z, on another day
// with the date. The vendor's words are flattened with OneLine; the caller
// escapes the line for its channel.
func (r ActionResult) Summary(now time.Time) string {
	var s string
	state := OneLine(r.State)
	switch r.Status {
	case ActionPending, ActionReverting:
		s = "pending verification"
		if r.Status == ActionReverting {
			s = "revert pending"
		}
		var parts []string
		if state != "" {
			parts = append(parts, "vendor: "+state)
		}
		if !r.VerifyBy.IsZero() {
			by := "verify by " + clock(r.VerifyBy, now)
			if !now.IsZero() && now.After(r.VerifyBy) {
				by += ", overdue"
			}
			parts = append(parts, by)
		}
		if len(parts) > 0 {
			s += " (" + strings.Join(parts, "; ") + ")"
		}
	case ActionUnverified:
		s = "unverified (vendor's last state: " + orDash(state) + ")"
	case ActionLeftAsFound:
		s = "left as found (already " + alreadyWord(r.Action.Kind) + "; socflow will not undo it)"
	case ActionRevertFailed:
		s = "revert failed: still in force"
		if state != "" {
			s += " (vendor's last state: " + state + ")"
		}
	case "":
		s = "unknown"
	case ActionDone:
		s = "done"
		if why := r.Action.Kind.NoUndo(); why != "" {
			s += "; nothing to undo (" + why + ")"
		}
	default:
		s = strings.ReplaceAll(OneLine(string(r.Status)), "_", " ")
	}
	if r.Leased() {
		if !now.IsZero() && !now.Before(r.LeaseUntil) {
			s += ", lease ran out at " + clock(r.LeaseUntil, now)
		} else {
			s += ", lease until " + clock(r.LeaseUntil, now)
		}
	}
	return s
}

// alreadyWord is the state an action of kind puts its target in, as "left
// as found" words it: the target was already so before socflow came.
func alreadyWord(k ActionKind) string {
	switch k {
	case ActionIsolateHost:
		return "isolated"
	case ActionBlockIP:
		return "blocked"
	case ActionDisableUser:
		return "disabled"
	case ActionBlockHash, ActionBlockSenderDomain:
		return "blocked"
	}
	return "in that state"
}

// clock prints t in UTC for a reader who knows what day it is: the time
// alone on now's day, with the date otherwise (or when now is unknown), so
// that a lease running to tomorrow does not read as today.
func clock(t, now time.Time) string {
	t = t.UTC()
	if !now.IsZero() {
		if y, m, d := now.UTC().Date(); t.Year() == y && t.Month() == m && t.Day() == d {
			return t.Format("15:04Z")
		}
	}
	return t.Format("2006-01-02 15:04Z")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package jiratest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Transitions: the workflow's statuses, the transitions an issue offers
// and performing one.

// statuses lists every status the workflow names, the initial one first.
func (s *Server) statuses() []string {
	out := []string{s.initial}
	for _, t := range s.transitions {
		for _, st := range append(slices.Clone(t.From), t.To) {
			if !slices.Contains(out, st) {
				out = append(out, st)
			}
		}
	}
	return out
}

func (s *Server) statusJSON(base, name string) statusJSON {
	id := itoa(10000 + max(0, slices.Index(s.statuses(), name)))
	cat := statusCategoryJSON{ID: 4, Key: "indeterminate", ColorName: "yellow", Name: "In Progress"}
	switch {
	case name == s.initial:
		cat = statusCategoryJSON{ID: 2, Key: "new", ColorName: "blue-gray", Name: "To Do"}
	case slices.ContainsFunc([]string{"closed", "done", "resolved"}, func(d string) bool { return strings.EqualFold(d, name) }):
		cat = statusCategoryJSON{ID: 3, Key: "done", ColorName: "green", Name: "Done"}
	}
	cat.Self = base + apiPrefix + "statuscategory/" + itoa(cat.ID)
	return statusJSON{Self: base + apiPrefix + "status/" + id, Name: name, ID: id, IconURL: base + "/images/icons/statuses/generic.png", StatusCategory: cat}
}

// offered returns the transitions available from the issue's status.
func (s *Server) offered(is *issue) []Transition {
	var out []Transition
	for _, t := range s.transitions {
		if len(t.From) == 0 || slices.ContainsFunc(t.From, func(f string) bool { return strings.EqualFold(f, is.status) }) {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) listTransitions(base string, is *issue, withFields bool) response {
	out := transitionsJSON{Expand: "transitions", Transitions: []transitionJSON{}}
	for _, t := range s.offered(is) {
		tj := transitionJSON{ID: t.ID, Name: t.Name, To: s.statusJSON(base, t.To), IsGlobal: len(t.From) == 0, IsAvailable: true}
		if withFields {
			tj.Fields = &map[string]any{}
		}
		out.Transitions = append(out.Transitions, tj)
	}
	return jsonResponse(http.StatusOK, out)
}

func (s *Server) doTransition(is *issue, body []byte) response {
	var req struct {
		Transition *ref `json:"transition"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return messageResponse(http.StatusBadRequest, "Unexpected character in the request body: "+err.Error())
	}
	if req.Transition == nil || req.Transition.ID == "" {
		return messageResponse(http.StatusBadRequest, "Missing 'transition' identifier")
	}
	for _, t := range s.offered(is) {
		if t.ID == req.Transition.ID {
			is.status = t.To
			is.updated = time.Now()
			return response{Status: http.StatusNoContent}
		}
	}
	return messageResponse(http.StatusBadRequest, fmt.Sprintf("Transition id '%s' is not valid for this issue.", req.Transition.ID))
}

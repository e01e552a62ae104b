package jiratest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Issues: creating and getting one, and the projects, issue types and
// priorities it names.

func (s *Server) find(keyOrID string) *issue {
	for _, is := range s.issues {
		if strings.EqualFold(is.key, keyOrID) || itoa(is.id) == keyOrID {
			return is
		}
	}
	return nil
}

// validProjectKey reports whether key has the form Jira requires of a
// project key by default: an upper-case letter, then 1 to 9 upper-case
// letters, digits or underscores.
func validProjectKey(key string) bool {
	if len(key) < 2 || len(key) > 10 || key[0] < 'A' || key[0] > 'Z' {
		return false
	}
	for _, c := range key[1:] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func (s *Server) addProject(key string) *project {
	p := &project{ID: itoa(10000 + len(s.projects)), Key: key, Name: key, next: 1}
	s.projects = append(s.projects, p)
	return p
}

func (s *Server) findProject(keyOrID string, create bool) *project {
	for _, p := range s.projects {
		if p.Key == keyOrID || p.ID == keyOrID {
			return p
		}
	}
	if create && !s.fixedProjects && validProjectKey(keyOrID) {
		return s.addProject(keyOrID)
	}
	return nil
}

// createRequest is the body of POST /rest/api/2/issue.
type createRequest struct {
	Fields map[string]json.RawMessage `json:"fields"`
	Update map[string]json.RawMessage `json:"update"`
}

// ref is how Jira names an object in a request: by ID, key or name.
type ref struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

func (s *Server) createIssue(base string, body []byte) response {
	var req createRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return messageResponse(http.StatusBadRequest, "Unexpected character in the request body: "+err.Error())
	}
	errs := map[string]string{}
	for name := range req.Fields {
		switch name {
		case "project", "summary", "issuetype", "priority", "labels", "description":
		default:
			errs[name] = fmt.Sprintf("Field '%s' cannot be set. It is not on the appropriate screen, or unknown.", name)
		}
	}

	var p *project
	if raw, ok := req.Fields["project"]; !ok {
		errs["project"] = "project is required"
	} else {
		var pr ref
		if json.Unmarshal(raw, &pr) != nil {
			errs["project"] = "Specify a valid project ID or key"
		} else if p = s.findProject(firstOf(pr.Key, pr.ID), true); p == nil {
			errs["project"] = "Specify a valid project ID or key"
		}
	}

	var summary string
	if raw, ok := req.Fields["summary"]; ok && json.Unmarshal(raw, &summary) != nil {
		errs["summary"] = "Operation value must be a string"
	}
	switch {
	case errs["summary"] != "":
	case strings.TrimSpace(summary) == "":
		errs["summary"] = "You must specify a summary of the issue."
	case strings.ContainsAny(summary, "\r\n"):
		errs["summary"] = "The summary is invalid because it contains newline characters."
	case len([]rune(summary)) > 255:
		errs["summary"] = "Summary must be less than 255 characters."
	}

	issueType := ""
	if raw, ok := req.Fields["issuetype"]; !ok {
		errs["issuetype"] = "Specify an issue type"
	} else {
		var it ref
		_ = json.Unmarshal(raw, &it)
		if issueType = s.issueType(firstOf(it.Name, it.ID)); issueType == "" {
			errs["issuetype"] = "Specify a valid issue type"
		}
	}

	priority := s.priorities[len(s.priorities)/2]
	if raw, ok := req.Fields["priority"]; ok {
		var pr ref
		_ = json.Unmarshal(raw, &pr)
		if priority = s.priority(firstOf(pr.Name, pr.ID)); priority == "" {
			errs["priority"] = "The priority selected is invalid."
		}
	}

	var labels []string
	if raw, ok := req.Fields["labels"]; ok {
		if json.Unmarshal(raw, &labels) != nil {
			errs["labels"] = "Operation value must be an array of strings"
		}
		for _, l := range labels {
			switch {
			case strings.ContainsFunc(l, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }):
				errs["labels"] = fmt.Sprintf("The label '%s' contains spaces which is invalid.", l)
			case len([]rune(l)) > 255:
				errs["labels"] = fmt.Sprintf("The label '%s' exceeds the maximum length for a single label of 255 characters.", l)
			case l == "":
				errs["labels"] = "Labels cannot be empty."
			}
		}
	}

	var description string
	if raw, ok := req.Fields["description"]; ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if json.Unmarshal(raw, &description) != nil {
			errs["description"] = "Operation value must be a string"
		}
	}

	if len(errs) > 0 {
		return fieldErrors(errs)
	}

	now := time.Now()
	is := &issue{
		id:          s.nextID,
		key:         p.Key + "-" + itoa(p.next),
		project:     p,
		summary:     summary,
		description: description,
		issueType:   issueType,
		priority:    priority,
		status:      s.initial,
		labels:      labels,
		created:     now,
		updated:     now,
		hidden:      s.lag,
	}
	s.nextID++
	p.next++
	s.issues = append(s.issues, is)
	return jsonResponse(http.StatusCreated, createdJSON{ID: itoa(is.id), Key: is.key, Self: base + apiPrefix + "issue/" + itoa(is.id)})
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func (s *Server) issueType(nameOrID string) string {
	for i, t := range s.issueTypes {
		if strings.EqualFold(t, nameOrID) || itoa(10001+i) == nameOrID {
			return t
		}
	}
	return ""
}

func (s *Server) priority(nameOrID string) string {
	for i, p := range s.priorities {
		// Jira matches priority names exactly.
		if p == nameOrID || itoa(i+1) == nameOrID {
			return p
		}
	}
	return ""
}

func (s *Server) render(base string, is *issue, fields map[string]bool) issueJSON {
	out := issueJSON{
		Expand: "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
		ID:     itoa(is.id),
		Self:   base + apiPrefix + "issue/" + itoa(is.id),
		Key:    is.key,
	}
	all := map[string]any{
		"summary":     is.summary,
		"description": nullIfEmpty(is.description),
		"issuetype":   issueTypeJSON{Self: base + apiPrefix + "issuetype/" + s.issueTypeID(is.issueType), ID: s.issueTypeID(is.issueType), Name: is.issueType},
		"project":     projectJSON{Self: base + apiPrefix + "project/" + is.project.ID, ID: is.project.ID, Key: is.project.Key, Name: is.project.Name},
		"priority":    s.priorityJSON(base, is.priority),
		"labels":      nonNil(is.labels),
		"status":      s.statusJSON(base, is.status),
		"created":     jiraTime(is.created),
		"updated":     jiraTime(is.updated),
	}
	f := map[string]any{}
	for k, v := range all {
		if fields == nil || fields[k] {
			f[k] = v
		}
	}
	if len(f) > 0 {
		out.Fields = f
	}
	return out
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonNil(ls []string) []string {
	if ls == nil {
		return []string{}
	}
	return ls
}

func (s *Server) issueTypeID(name string) string {
	for i, t := range s.issueTypes {
		if t == name {
			return itoa(10001 + i)
		}
	}
	return "10000"
}

func (s *Server) priorityJSON(base, name string) priorityJSON {
	id := "0"
	for i, p := range s.priorities {
		if p == name {
			id = itoa(i + 1)
		}
	}
	return priorityJSON{Self: base + apiPrefix + "priority/" + id, IconURL: base + "/images/icons/priorities/" + strings.ToLower(name) + ".svg", Name: name, ID: id}
}

// fieldSet reads the fields parameter; nil means every field.
func fieldSet(param string, allByDefault bool) map[string]bool {
	if param == "" {
		if allByDefault {
			return nil
		}
		return map[string]bool{}
	}
	set := map[string]bool{}
	for _, f := range strings.Split(param, ",") {
		f = strings.TrimSpace(f)
		if f == "*all" || f == "*navigable" {
			return nil
		}
		set[f] = true
	}
	return set
}

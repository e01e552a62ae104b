package jiratest

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Search: JQL over the issues, paged by offset (Data Center) or by token
// (Cloud), behind an index that may lag.

func (s *Server) search(base string, q url.Values, enhanced bool) response {
	jql := q.Get("jql")
	if enhanced && strings.TrimSpace(jql) == "" {
		return messageResponse(http.StatusBadRequest, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.")
	}
	parsed, err := parseJQL(jql)
	if err != nil {
		return messageResponse(http.StatusBadRequest, err.Error())
	}
	for _, c := range parsed.clauses {
		if c.field != "project" || c.op == "!=" {
			continue
		}
		for _, v := range c.values {
			if s.findProject(v, false) == nil && s.fixedProjects {
				return messageResponse(http.StatusBadRequest, fmt.Sprintf("The value '%s' does not exist for the field 'project'.", v))
			}
		}
	}

	var hits []*issue
	for _, is := range s.issues {
		if is.hidden == 0 && parsed.match(is) {
			hits = append(hits, is)
		}
	}
	// The index catches up one search at a time.
	for _, is := range s.issues {
		if is.hidden > 0 {
			is.hidden--
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if parsed.desc {
			return hits[i].id > hits[j].id
		}
		return hits[i].id < hits[j].id
	})

	limit := 50
	if v, err := strconv.Atoi(q.Get("maxResults")); err == nil && v >= 0 {
		limit = v
	}
	start := 0
	param := "startAt"
	if enhanced {
		param = "nextPageToken"
	}
	if v := q.Get(param); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return messageResponse(http.StatusBadRequest, fmt.Sprintf("Invalid %s: %q", param, v))
		}
		start = n
	}
	start = min(start, len(hits))
	end := min(start+limit, len(hits))
	fields := fieldSet(q.Get("fields"), !enhanced)
	page := []issueJSON{}
	for _, is := range hits[start:end] {
		page = append(page, s.render(base, is, fields))
	}
	if enhanced {
		out := searchJQLJSON{Issues: page, IsLast: end == len(hits)}
		if !out.IsLast {
			out.NextPageToken = itoa(end)
		}
		return jsonResponse(http.StatusOK, out)
	}
	return jsonResponse(http.StatusOK, searchJSON{Expand: "schema,names", StartAt: start, MaxResults: limit, Total: len(hits), Issues: page})
}

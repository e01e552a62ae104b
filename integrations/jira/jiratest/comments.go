package jiratest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Comments: adding one to an issue.

func (s *Server) addComment(base string, is *issue, who string, body []byte) response {
	var req struct {
		Body *string `json:"body"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return messageResponse(http.StatusBadRequest, "Unexpected character in the request body: "+err.Error())
	}
	if req.Body == nil || strings.TrimSpace(*req.Body) == "" {
		return fieldErrors(map[string]string{"comment": "Comment body can not be empty!"})
	}
	now := time.Now()
	c := comment{id: s.nextComment, body: *req.Body, author: who, created: now}
	s.nextComment++
	is.comments = append(is.comments, c)
	is.updated = now
	author := userJSON{Self: base + apiPrefix + "myself", DisplayName: "socflow", Active: true}
	if email, ok := strings.CutPrefix(who, "basic "); ok {
		author.AccountID = "5b10a2844c20165700ede21g"
		author.EmailAddress = email
	} else {
		author.Name = "socflow"
	}
	return jsonResponse(http.StatusCreated, commentJSON{
		Self:   base + apiPrefix + "issue/" + itoa(is.id) + "/comment/" + itoa(c.id),
		ID:     itoa(c.id),
		Author: author, UpdateAuthor: author,
		Body:    c.body,
		Created: jiraTime(now), Updated: jiraTime(now),
	})
}

package jiratest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/socflow/socflow/integrations/loopback"
)

// The wire types below spell out Jira REST v2's documented shapes
// independently of go-jira's (partial) types, so that a misspelt JSON name
// on either side shows up in tests.

// timeLayout is how Jira writes timestamps ("2020-12-03T14:05:20.974+0100").
// go-jira parses exactly this layout, so any other spelling fails there.
const timeLayout = "2006-01-02T15:04:05.000-0700"

// errorJSON is Jira's error collection, the body of every 4xx and 5xx
// answer.
type errorJSON struct {
	ErrorMessages []string          `json:"errorMessages"`
	Errors        map[string]string `json:"errors"`
}

// createdJSON answers POST /rest/api/2/issue.
type createdJSON struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Self string `json:"self"`
}

type issueJSON struct {
	Expand string         `json:"expand,omitempty"`
	ID     string         `json:"id"`
	Self   string         `json:"self"`
	Key    string         `json:"key"`
	Fields map[string]any `json:"fields,omitempty"`
}

type issueTypeJSON struct {
	Self    string `json:"self"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	Subtask bool   `json:"subtask"`
}

type projectJSON struct {
	Self string `json:"self"`
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

type priorityJSON struct {
	Self    string `json:"self"`
	IconURL string `json:"iconUrl"`
	Name    string `json:"name"`
	ID      string `json:"id"`
}

type statusCategoryJSON struct {
	Self      string `json:"self"`
	ID        int    `json:"id"`
	Key       string `json:"key"`
	ColorName string `json:"colorName"`
	Name      string `json:"name"`
}

type statusJSON struct {
	Self           string             `json:"self"`
	Description    string             `json:"description"`
	IconURL        string             `json:"iconUrl"`
	Name           string             `json:"name"`
	ID             string             `json:"id"`
	StatusCategory statusCategoryJSON `json:"statusCategory"`
}

type userJSON struct {
	Self         string `json:"self"`
	AccountID    string `json:"accountId,omitempty"`
	Name         string `json:"name,omitempty"`
	EmailAddress string `json:"emailAddress,omitempty"`
	DisplayName  string `json:"displayName"`
	Active       bool   `json:"active"`
}

type commentJSON struct {
	Self         string   `json:"self"`
	ID           string   `json:"id"`
	Author       userJSON `json:"author"`
	Body         string   `json:"body"`
	UpdateAuthor userJSON `json:"updateAuthor"`
	Created      string   `json:"created"`
	Updated      string   `json:"updated"`
}

type transitionJSON struct {
	ID            string          `json:"id"`
	Name          string          `json:"name"`
	To            statusJSON      `json:"to"`
	HasScreen     bool            `json:"hasScreen"`
	IsGlobal      bool            `json:"isGlobal"`
	IsInitial     bool            `json:"isInitial"`
	IsAvailable   bool            `json:"isAvailable"`
	IsConditional bool            `json:"isConditional"`
	IsLooped      bool            `json:"isLooped"`
	Fields        *map[string]any `json:"fields,omitempty"`
}

type transitionsJSON struct {
	Expand      string           `json:"expand"`
	Transitions []transitionJSON `json:"transitions"`
}

// searchJSON answers the Server and Data Center search, GET
// /rest/api/2/search, paged by offset.
type searchJSON struct {
	Expand     string      `json:"expand"`
	StartAt    int         `json:"startAt"`
	MaxResults int         `json:"maxResults"`
	Total      int         `json:"total"`
	Issues     []issueJSON `json:"issues"`
}

// searchJQLJSON answers Jira Cloud's enhanced search, GET
// /rest/api/2/search/jql, paged by token and without a total.
type searchJQLJSON struct {
	Issues        []issueJSON `json:"issues"`
	IsLast        bool        `json:"isLast"`
	NextPageToken string      `json:"nextPageToken,omitempty"`
}

// response is an answer worked out under the lock and written after it.
type response = loopback.Response

func jsonResponse(status int, v any) response { return loopback.JSON(status, v) }

// errorResponse is Jira's error collection: messages about the request as
// a whole, and errors keyed by the field they concern.
func errorResponse(status int, messages []string, fields map[string]string) response {
	if messages == nil {
		messages = []string{}
	}
	if fields == nil {
		fields = map[string]string{}
	}
	return jsonResponse(status, errorJSON{ErrorMessages: messages, Errors: fields})
}

func messageResponse(status int, msg string) response {
	return errorResponse(status, []string{msg}, nil)
}

func fieldErrors(fields map[string]string) response {
	return errorResponse(http.StatusBadRequest, nil, fields)
}

func issueNotFound() response {
	return messageResponse(http.StatusNotFound, "Issue does not exist or you do not have permission to see it.")
}

func jiraTime(t time.Time) string { return t.Format(timeLayout) }

func itoa(n int) string { return strconv.Itoa(n) }

// Package mailtest is a loopback fake of a mail gateway's blocked-senders
// API, for the mail template provider's tests and the worker's: no
// vendor's API, since gateways share none, but the shape such an API has
// (a collection of blocks by id, a search by domain, a lookup whose 404
// means not blocked), with faults scripted through its loopback.Recorder.
package mailtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/socflow/socflow/integrations/loopback"
)

// Call is one request the gateway received.
type Call struct {
	Method, URI, Auth, Body string
	Status                  int
}

// Gateway is a mail gateway's blocked-senders API, the shape the mail
// template provider is for, since gateways share no API: POST /api/v1/blocked-senders takes {"domain", "note"}
// and answers 201 {"id"}; GET /api/v1/blocked-senders?domain=D searches
// (200 {"items": [...]}, empty when none); GET
// /api/v1/blocked-senders/by-domain/D is 200 or 404; DELETE
// /api/v1/blocked-senders/{id} is 204, 404 once gone. Faults come with
// the loopback recorder (FailNext("POST /api/v1/blocked-senders", ...)).
// It accepts the bearer token Token. It is an http.Handler and is safe
// for concurrent use.
type Gateway struct {
	loopback.Recorder[Call]
	mu     sync.Mutex
	blocks map[string]string // id: domain
	next   int
}

// New returns a gateway with nothing blocked.
func New() *Gateway { return &Gateway{blocks: map[string]string{}} }

// Token is the bearer token a Gateway accepts.
const Token = "mail-token"

// ServeHTTP answers one API call.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	resp, answered := loopback.Respond(&g.Recorder, r, r.URL.Path, func() loopback.Response {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.route(r, b)
	}, func(f loopback.Fault) loopback.Response {
		return f.Answer(loopback.JSON(f.Status, map[string]string{"error": "injected"}))
	})
	g.Record(Call{Method: r.Method, URI: r.URL.RequestURI(), Auth: r.Header.Get("Authorization"), Body: string(b), Status: resp.Status})
	if answered {
		resp.Write(w, "application/json")
	}
}

func (g *Gateway) route(r *http.Request, body []byte) loopback.Response {
	if r.Header.Get("Authorization") != "Bearer "+Token {
		return loopback.JSON(http.StatusUnauthorized, map[string]string{"error": "unauthorized"})
	}
	const base = "/api/v1/blocked-senders"
	find := func(domain string) (string, bool) {
		for id, d := range g.blocks {
			if d == domain {
				return id, true
			}
		}
		return "", false
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == base:
		var v struct{ Domain, Note string }
		if err := json.Unmarshal(body, &v); err != nil || v.Domain == "" {
			return loopback.JSON(http.StatusBadRequest, map[string]string{"error": "domain is required"})
		}
		if id, ok := find(v.Domain); ok {
			return loopback.JSON(http.StatusConflict, map[string]string{"error": "already blocked", "id": id})
		}
		g.next++
		id := "bs-" + strconv.Itoa(g.next)
		g.blocks[id] = v.Domain
		return loopback.JSON(http.StatusCreated, map[string]string{"id": id, "domain": v.Domain})
	case r.Method == http.MethodGet && r.URL.Path == base:
		items := []map[string]string{}
		if id, ok := find(r.URL.Query().Get("domain")); ok {
			items = append(items, map[string]string{"id": id, "domain": r.URL.Query().Get("domain")})
		}
		return loopback.JSON(http.StatusOK, map[string]any{"items": items})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, base+"/by-domain/"):
		if id, ok := find(strings.TrimPrefix(r.URL.Path, base+"/by-domain/")); ok {
			return loopback.JSON(http.StatusOK, map[string]string{"id": id})
		}
		return loopback.JSON(http.StatusNotFound, map[string]string{"error": "not blocked"})
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, base+"/"):
		id := strings.TrimPrefix(r.URL.Path, base+"/")
		if _, ok := g.blocks[id]; !ok {
			return loopback.JSON(http.StatusNotFound, map[string]string{"error": "no such block"})
		}
		delete(g.blocks, id)
		return loopback.Response{Status: http.StatusNoContent}
	}
	return loopback.JSON(http.StatusNotFound, map[string]string{"error": "no route"})
}

// Blocked reports whether the gateway blocks mail from domain.
func (g *Gateway) Blocked(domain string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, d := range g.blocks {
		if d == domain {
			return true
		}
	}
	return false
}

// Block blocks domain as the gateway's console would, before socflow
// comes, and returns the block's id.
func (g *Gateway) Block(domain string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.next++
	id := "bs-" + strconv.Itoa(g.next)
	g.blocks[id] = domain
	return id
}

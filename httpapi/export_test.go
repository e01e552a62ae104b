package httpapi

import "github.com/socflow/socflow/auth"

// AnyRole is what GET /v1/whoami needs: any authenticated principal.
const AnyRole = anyRole

// Routes are the API's own routes ("GET /v1/incidents") and the role each
// needs ("" is public).
func Routes() map[string]auth.Role {
	out := map[string]auth.Role{}
	for _, rt := range (&server{}).routes() {
		out[rt.pattern] = rt.role
	}
	return out
}

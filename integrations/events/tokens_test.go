package events

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/socflow/socflow/auth"
)

func TestTokens(t *testing.T) {
	forEachCaseStore(t, func(t *testing.T, s *SQLStore) {
		ctx := context.Background()
		created := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		tok, hash, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		rec := auth.TokenRecord{ID: "tok_1", Name: "splunk-prod", Roles: []auth.Role{auth.RoleIngest},
			Sources: []string{"splunk", "elastic"}, AutoContain: true, CreatedAt: created, CreatedBy: "admin"}
		if err := s.CreateToken(ctx, rec, hash); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateToken(ctx, auth.TokenRecord{ID: "tok_2", Name: "splunk-prod", Roles: []auth.Role{auth.RoleViewer}, CreatedAt: created}, "other"); !errors.Is(err, ErrTokenExists) {
			t.Fatalf("second live token of one name: got %v, want ErrTokenExists", err)
		}
		if err := s.CreateToken(ctx, auth.TokenRecord{ID: "tok_3", Name: "bad name", Roles: []auth.Role{auth.RoleViewer}}, "h3"); err == nil {
			t.Fatal("a name with a space was stored")
		}
		got, err := s.TokenByHash(ctx, auth.HashToken(tok))
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "splunk-prod" || len(got.Roles) != 1 || got.Roles[0] != auth.RoleIngest || len(got.Sources) != 2 ||
			!got.AutoContain || !got.CreatedAt.Equal(created) || got.CreatedBy != "admin" || got.RevokedAt != nil {
			t.Fatalf("read back %+v", got)
		}
		if _, err := s.TokenByHash(ctx, auth.HashToken("sft_nope")); !errors.Is(err, auth.ErrTokenNotFound) {
			t.Fatalf("unknown hash: %v", err)
		}
		revoked, err := s.RevokeToken(ctx, "splunk-prod", created.Add(time.Hour))
		if err != nil || revoked.ID != "tok_1" {
			t.Fatalf("revoke by name: %+v %v", revoked, err)
		}
		if _, err := s.RevokeToken(ctx, "tok_1", created.Add(2*time.Hour)); !errors.Is(err, auth.ErrTokenNotFound) {
			t.Fatalf("revoking twice: %v", err)
		}
		got, err = s.TokenByHash(ctx, hash)
		if err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(created.Add(time.Hour)) {
			t.Fatalf("after revoke: %+v %v", got, err)
		}
		// The name is free again once revoked.
		if err := s.CreateToken(ctx, auth.TokenRecord{ID: "tok_4", Name: "splunk-prod", Roles: []auth.Role{auth.RoleIngest}, CreatedAt: created.Add(3 * time.Hour)}, "h4"); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListTokens(ctx)
		if err != nil || len(list) != 2 || list[0].ID != "tok_4" {
			t.Fatalf("list: %+v %v", list, err)
		}
	})
}

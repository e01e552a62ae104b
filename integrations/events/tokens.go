package events

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/socflow/socflow/auth"
)

// The API's tokens live in socflow's database beside the case files, hashed
// (auth.HashToken): the database never holds a usable token.

// SQLStore keeps API tokens for auth.Tokens.
var _ auth.TokenStore = (*SQLStore)(nil)

// tokenMigration is schema version 3: API tokens. Roles and sources are
// comma-separated lists of names that cannot hold commas.
func tokenMigration() []string {
	return []string{
		`CREATE TABLE IF NOT EXISTS socflow_tokens (
			id TEXT PRIMARY KEY,
			hash TEXT NOT NULL UNIQUE,
			name TEXT NOT NULL,
			roles TEXT NOT NULL,
			sources TEXT NOT NULL DEFAULT '',
			auto_contain INTEGER NOT NULL DEFAULT 0,
			created_at {{time}} NOT NULL,
			created_by TEXT NOT NULL DEFAULT '',
			revoked_at {{time}}
		)`,
		`CREATE INDEX IF NOT EXISTS socflow_tokens_name ON socflow_tokens (name)`,
	}
}

// ErrTokenExists is a live token of the same name.
var ErrTokenExists = errors.New("a live token of that name exists: revoke it first or pick another name")

const tokenColumns = "id, name, roles, sources, auto_contain, created_at, created_by, revoked_at"

// CreateToken implements auth.TokenStore.
func (s *SQLStore) CreateToken(ctx context.Context, rec auth.TokenRecord, hash string) error {
	if s.readOnly {
		return errReadOnly
	}
	if err := rec.Validate(); err != nil {
		return err
	}
	for _, src := range rec.Sources {
		if strings.Contains(src, ",") {
			return fmt.Errorf("sources: %q holds a comma", src)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var n int
	if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM socflow_tokens WHERE name = ? AND revoked_at IS NULL`), rec.Name).Scan(&n); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("token %q: %w", rec.Name, ErrTokenExists)
	}
	roles := make([]string, len(rec.Roles))
	for i, r := range rec.Roles {
		roles[i] = string(r)
	}
	auto := 0
	if rec.AutoContain {
		auto = 1
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO socflow_tokens (id, hash, name, roles, sources, auto_contain, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		rec.ID, hash, rec.Name, strings.Join(roles, ","), strings.Join(rec.Sources, ","), auto, s.d.timeArg(rec.CreatedAt), rec.CreatedBy); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	return nil
}

type tokenScanner interface{ Scan(dest ...any) error }

func (s *SQLStore) scanToken(row tokenScanner) (*auth.TokenRecord, error) {
	var rec auth.TokenRecord
	var roles, sources string
	var auto int
	created, getCreated := s.d.newTimeDest()
	revoked, getRevoked := s.d.newNullTimeDest()
	if err := row.Scan(&rec.ID, &rec.Name, &roles, &sources, &auto, created, &rec.CreatedBy, revoked); err != nil {
		return nil, err
	}
	rec.CreatedAt = getCreated()
	for _, r := range strings.Split(roles, ",") {
		if r != "" {
			rec.Roles = append(rec.Roles, auth.Role(r))
		}
	}
	if sources != "" {
		rec.Sources = strings.Split(sources, ",")
	}
	rec.AutoContain = auto != 0
	if t, ok := getRevoked(); ok {
		rec.RevokedAt = &t
	}
	return &rec, nil
}

// TokenByHash implements auth.TokenStore.
func (s *SQLStore) TokenByHash(ctx context.Context, hash string) (*auth.TokenRecord, error) {
	rec, err := s.scanToken(s.db.QueryRowContext(ctx, s.d.rebind(`SELECT `+tokenColumns+` FROM socflow_tokens WHERE hash = ?`), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, auth.ErrTokenNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	return rec, nil
}

// ListTokens implements auth.TokenStore.
func (s *SQLStore) ListTokens(ctx context.Context) ([]auth.TokenRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+tokenColumns+` FROM socflow_tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer rows.Close()
	var out []auth.TokenRecord
	for rows.Next() {
		rec, err := s.scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("tokens: %w", err)
		}
		out = append(out, *rec)
	}
	return out, rows.Err()
}

// RevokeToken implements auth.TokenStore.
func (s *SQLStore) RevokeToken(ctx context.Context, idOrName string, at time.Time) (*auth.TokenRecord, error) {
	if s.readOnly {
		return nil, errReadOnly
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	rec, err := s.scanToken(tx.QueryRowContext(ctx, s.d.rebind(`SELECT `+tokenColumns+` FROM socflow_tokens WHERE (id = ? OR name = ?) AND revoked_at IS NULL`), idOrName, idOrName))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("token %q: %w", idOrName, auth.ErrTokenNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE socflow_tokens SET revoked_at = ? WHERE id = ?`), s.d.timeArg(at), rec.ID); err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	t := at.UTC()
	rec.RevokedAt = &t
	return rec, nil
}

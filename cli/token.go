package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/socflow/socflow/auth"
	"github.com/socflow/socflow/httpapi"
)

// TokenCreateOptions are `socflow token create`'s flags.
type TokenCreateOptions struct {
	Name        string
	Roles       []string
	Sources     []string
	AutoContain bool
	API         APIFlags
}

// TokenListOptions are `socflow token list`'s flags.
type TokenListOptions struct{ API APIFlags }

// TokenRevokeOptions are `socflow token revoke`'s arguments.
type TokenRevokeOptions struct {
	Token string
	API   APIFlags
}

func newCmdToken(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens (admins)",
		Long: `token manages the API's tokens through the running API, with an admin
credential ($SOCFLOW_TOKEN, the token socflow dev writes, or the bootstrap
$SOCFLOW_ADMIN_TOKEN of socflow serve). A token is shown once, when created;
socflow keeps only its hash.`,
	}
	cmd.AddCommand(newCmdTokenCreate(f, nil), newCmdTokenList(f, nil), newCmdTokenRevoke(f, nil))
	return group(cmd)
}

func newCmdTokenCreate(f *Factory, runF func(context.Context, *TokenCreateOptions) error) *cobra.Command {
	opts := &TokenCreateOptions{}
	cmd := &cobra.Command{
		Use:   "create --name NAME --role ROLE [--role ROLE]... [--source SOURCE]... [--auto-contain]",
		Short: "Create an API token; the token is printed alone on the last line",
		Example: `  socflow token create --name splunk-prod --role ingest --source splunk
  socflow token create --name alice --role responder`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Name == "" {
				return usageErrorf("--name is required")
			}
			if len(opts.Roles) == 0 {
				return usageErrorf("give at least one --role (ingest, responder, viewer, admin)")
			}
			for _, r := range opts.Roles {
				if _, err := auth.ParseRole(r); err != nil {
					return usageErrorf("--role: %v", err)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTokenCreate(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "who or what holds the token (shown in timelines as the decider or submitter)")
	fl.StringArrayVar(&opts.Roles, "role", nil, "a role: ingest, responder, viewer or admin (repeatable)")
	fl.StringArrayVar(&opts.Sources, "source", nil, "restrict an ingest token to alerts of this source (repeatable)")
	fl.BoolVar(&opts.AutoContain, "auto-contain", false, "trust this ingest token's alerts for the policy's automatic containment")
	opts.API.register(cmd)
	return cmd
}

func runTokenCreate(ctx context.Context, f *Factory, opts *TokenCreateOptions) error {
	api, err := f.apiClient(opts.API)
	if err != nil {
		return err
	}
	req := httpapi.TokenRequest{Name: opts.Name, Sources: opts.Sources, AutoContain: opts.AutoContain}
	for _, r := range opts.Roles {
		role, _ := auth.ParseRole(r)
		req.Roles = append(req.Roles, role)
	}
	var res httpapi.TokenCreated
	if err := api.Do(ctx, http.MethodPost, "/v1/tokens", req, &res); err != nil {
		return err
	}
	if f.Global.JSON() {
		return printJSON(f.Out, res)
	}
	fmt.Fprintf(f.ErrOut, "token %s for %s, roles %s: shown once, store it now\n", res.ID, res.Name, joinRoles(res.Roles))
	fmt.Fprintln(f.Out, res.Token)
	return nil
}

func newCmdTokenList(f *Factory, runF func(context.Context, *TokenListOptions) error) *cobra.Command {
	opts := &TokenListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List API tokens (never the tokens themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTokenList(cmd.Context(), f, opts)
		},
	}
	opts.API.register(cmd)
	return cmd
}

func runTokenList(ctx context.Context, f *Factory, opts *TokenListOptions) error {
	api, err := f.apiClient(opts.API)
	if err != nil {
		return err
	}
	var res struct {
		Tokens []auth.TokenRecord `json:"tokens"`
	}
	if err := api.Do(ctx, http.MethodGet, "/v1/tokens", nil, &res); err != nil {
		return err
	}
	if f.Global.JSON() {
		return printJSON(f.Out, res)
	}
	tw := tabwriter.NewWriter(f.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tROLES\tSOURCES\tCREATED\tBY\tREVOKED")
	for _, t := range res.Tokens {
		revoked := "-"
		if t.RevokedAt != nil {
			revoked = t.RevokedAt.Format("2006-01-02 15:04")
		}
		roles := joinRoles(t.Roles)
		if t.AutoContain {
			roles += " (auto-contain)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, roles, dash(strings.Join(t.Sources, ",")),
			t.CreatedAt.Format("2006-01-02 15:04"), dash(t.CreatedBy), revoked)
	}
	return tw.Flush()
}

func newCmdTokenRevoke(f *Factory, runF func(context.Context, *TokenRevokeOptions) error) *cobra.Command {
	opts := &TokenRevokeOptions{}
	cmd := &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke a live API token at once",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || strings.TrimSpace(args[0]) == "" {
				return usageErrorf("name one token, by ID (tok_...) or name")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Token = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTokenRevoke(cmd.Context(), f, opts)
		},
	}
	opts.API.register(cmd)
	return cmd
}

func runTokenRevoke(ctx context.Context, f *Factory, opts *TokenRevokeOptions) error {
	api, err := f.apiClient(opts.API)
	if err != nil {
		return err
	}
	var rec auth.TokenRecord
	if err := api.Do(ctx, http.MethodDelete, "/v1/tokens/"+url.PathEscape(opts.Token), nil, &rec); err != nil {
		return err
	}
	if f.Global.JSON() {
		return printJSON(f.Out, rec)
	}
	fmt.Fprintf(f.Out, "revoked %s (%s)\n", rec.ID, rec.Name)
	return nil
}

func joinRoles(roles []auth.Role) string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return strings.Join(out, ",")
}

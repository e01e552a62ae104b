// Package socflowcmd is the socflow command as a library, for a binary of
// one's own that adds playbooks (and their activities) to socflow's:
//
//	package main
//
//	func main() {
//		os.Exit(socflowcmd.Main(cli.Extensions{
//			Playbooks:  []playbooks.Playbook{ransomware.Playbook},
//			Activities: []any{&ransomware.Activities{}},
//		}))
//	}
//
// Every command of that binary knows them: `dev` and `worker` run them,
// `playbook list`, `validate` and `test` see them. cmd/socflow is this
// with no extensions.
package socflowcmd

import (
	"context"

	"github.com/socflow/socflow/cli"
	"github.com/socflow/socflow/devserver"
)

// Main runs the socflow command line with ext and returns its exit code.
func Main(ext cli.Extensions) int { return cli.MainWith(startDevServer, ext) }

// startDevServer adapts the embedded Temporal server to the CLI, which does
// not import it so that its tests stay small.
func startDevServer(ctx context.Context, o cli.DevServerOptions) (cli.DevServer, error) {
	return devserver.Start(ctx, devserver.Options{
		DBFile:           o.DBFile,
		IP:               o.IP,
		Port:             o.Port,
		UIPort:           o.UIPort,
		Namespace:        o.Namespace,
		SearchAttributes: o.SearchAttributes,
		Logger:           o.Logger,
		CodecEndpoint:    o.CodecEndpoint,
	})
}

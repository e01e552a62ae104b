// Command socflow is the alert-to-containment runner: see `socflow --help`.
package main

import (
	"context"
	"os"

	"github.com/socflow/socflow/cli"
	"github.com/socflow/socflow/devserver"
)

func main() {
	os.Exit(cli.Main(startDevServer))
}

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

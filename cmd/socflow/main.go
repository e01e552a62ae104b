// Command socflow is the alert-to-containment runner: see `socflow --help`.
// A binary with playbooks of its own is the same main with extensions
// (package socflowcmd).
package main

import (
	"os"

	"github.com/socflow/socflow/cli"
	"github.com/socflow/socflow/socflowcmd"
)

func main() {
	os.Exit(socflowcmd.Main(cli.Extensions{}))
}

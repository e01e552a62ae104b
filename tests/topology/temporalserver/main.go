// Command temporalserver runs the embedded Temporal server (package
// devserver) alone in its process, as a cluster runs beside socflow in
// production, for the topology test: state in memory, socflow's search
// attributes registered (what `temporal operator search-attribute create`
// does on a cluster), no Web UI. It prints "frontend HOST:PORT" on stdout
// once the server answers and stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/socflow/socflow/devserver"
	"github.com/socflow/socflow/workflows"
)

func main() {
	port := flag.Int("port", 0, "frontend gRPC port (0: a free one)")
	namespace := flag.String("namespace", devserver.DefaultNamespace, "namespace to create")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*port, *namespace, log); err != nil {
		log.Error("temporalserver", "error", err)
		os.Exit(1)
	}
}

func run(port int, namespace string, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sa := map[string]enumspb.IndexedValueType{}
	for _, k := range workflows.SearchAttributeKeys() {
		sa[k.GetName()] = k.GetValueType()
	}
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	srv, err := devserver.Start(startCtx, devserver.Options{Port: port, Namespace: namespace, SearchAttributes: sa, Logger: log})
	if err != nil {
		return err
	}
	fmt.Printf("frontend %s\n", srv.FrontendAddr())
	<-ctx.Done()
	log.Info("stopping")
	return srv.Stop()
}

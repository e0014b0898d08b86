// Command hasgen generates a Hasura-compatible GraphQL server in Go from a
// PostgreSQL schema and a Hasura permissions file. See internal/cli for the
// commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hasgen/hasgen/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

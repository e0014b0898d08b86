// Package cli holds hasgen's commands: flags, progress output and exit
// codes. Each command is a thin layer over a pipeline package (introspect,
// metadata, templates), so everything a command does can be tested through
// those packages or through Run.
//
// Exit codes: 0 success; 1 the input has problems (validate) or the output
// drifted (check); 2 hasgen could not run (bad flags, database unreachable,
// unreadable files).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hasgen/hasgen/generate"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitProblems = 1
	ExitError    = 2
)

// problemsError is returned by commands that ran but found problems in
// their input: exit 1, the problems already printed.
type problemsError struct{ n int }

func (e problemsError) Error() string { return fmt.Sprintf("%d problem(s)", e.n) }

// Run runs hasgen with args (without the program name), writing output to
// stdout and messages to stderr, and returns the exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var p problemsError
	if errors.As(err, &p) {
		return ExitProblems
	}
	fmt.Fprintln(stderr, "hasgen: "+oneLine(err))
	return ExitError
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "hasgen",
		Short: "Generate a Hasura-compatible GraphQL server in Go from a PostgreSQL schema",
		Long: `hasgen reads a PostgreSQL schema and a permissions file in Hasura v2's metadata
format and writes a Go GraphQL server that serves Hasura's API, with each
role's permissions compiled into the SQL.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionLine(generate.ThisBuild()),
	}
	root.SetVersionTemplate("hasgen {{.Version}}\n")
	root.AddCommand(
		newIntrospectCmd(stdout),
		newInitCmd(stdout, stderr),
		newValidateCmd(stdout, stderr),
		newGenerateCmd(stdout, stderr),
		newCheckCmd(stdout, stderr),
		newExplainCmd(stdout, stderr),
		newDevCmd(stdout, stderr),
		newHintsCmd(stdout, stderr),
		newTriggersCmd(stdout, stderr),
		newVersionCmd(stdout),
	)
	return root
}

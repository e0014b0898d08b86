package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/spf13/cobra"
)

func newIntrospectCmd(stdout io.Writer) *cobra.Command {
	var src source
	var out, config string
	cmd := &cobra.Command{
		Use:   "introspect --database-url URL [--schema NAME]... [--config FILE] [-o FILE]",
		Short: "Write a snapshot of the database schema (tables, columns, keys, types) as JSON",
		Long: `introspect reads the tables, views, columns, keys, enums, domains and the
functions that can be tracked (returning a table's rows) or serve as computed
fields (of a table's row) of the chosen Postgres schemas and writes them as a
JSON snapshot.
The snapshot is deterministic: commit it, and generate offline with --snapshot.
With --config, it also holds the rows of the permissions file's enum tables
(is_enum), whose values become GraphQL enums.`,
		Example: `  hasgen introspect --database-url postgres://localhost/chinook -o schema.json
  hasgen introspect --database-url "$DATABASE_URL" --schema public --schema billing`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(src.schemas) == 0 && config != "" {
				src.schemas = metadata.Schemas(config)
			}
			s, err := src.introspect(cmd.Context())
			if err != nil {
				return err
			}
			if config != "" {
				if err := addEnumTables(cmd.Context(), src.databaseURL, config, s, cmd.ErrOrStderr()); err != nil {
					return err
				}
			}
			var buf bytes.Buffer
			if err := introspect.WriteSnapshot(&buf, s); err != nil {
				return err
			}
			return writeOutput(out, stdout, buf.Bytes())
		},
	}
	src.addDatabaseFlags(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	cmd.Flags().StringVar(&config, "config", "", "permissions file or Hasura metadata directory: add the rows of its enum tables (is_enum), for generating offline")
	return cmd
}

func newInitCmd(stdout, stderr io.Writer) *cobra.Command {
	var src source
	var out string
	cmd := &cobra.Command{
		Use:   "init --database-url URL [--schema NAME]... [-o FILE]",
		Short: "Write a starter permissions file: every table tracked, relationships from foreign keys, no roles",
		Long: `init writes a permissions file in Hasura v2's metadata format with every table
of the chosen schemas tracked and the relationships their foreign keys imply
written out explicitly. It grants no role anything: until you add
permissions, only admin can query. Edit it, then 'hasgen validate' it.`,
		Example: `  hasgen init --database-url postgres://localhost/app -o hasgen.yaml
  hasgen init --database-url "$DATABASE_URL" --schema public --schema billing > hasgen.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := src.introspect(cmd.Context())
			if err != nil {
				return err
			}
			b, err := metadata.Starter(s)
			if err != nil {
				return err
			}
			if err := writeOutput(out, stdout, b); err != nil {
				return err
			}
			if out != "" {
				fmt.Fprintf(stderr, "wrote %s: %d tables, no roles (admin only)\n", out, len(s.Tables))
			}
			return nil
		},
	}
	src.addDatabaseFlags(cmd)
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of standard output")
	return cmd
}

func newValidateCmd(stdout, stderr io.Writer) *cobra.Command {
	var src source
	var config string
	var ignore bool
	cmd := &cobra.Command{
		Use:   "validate --config FILE (--database-url URL | --snapshot FILE) [--ignore-unsupported]",
		Short: "Check a permissions file against the database: exit 0 when valid, else list every problem and exit 1",
		Long: `validate parses the permissions file (a YAML list of tables, a Hasura
metadata directory, or a metadata export in JSON) and checks it against the
database or a snapshot: tables, columns, relationships, operators, value
types and session variables. Every problem is printed as file:line:col:
message.

Every metadata key hasgen does not serve (event triggers, actions, remote
schemas...) is printed as "file:line:col: <key> is not supported by hasgen"
and makes the file invalid, unless --ignore-unsupported accepts leaving
them out of the server (they are still printed, as warnings).`,
		Example: `  hasgen validate --config hasgen.yaml --database-url postgres://localhost/app
  hasgen validate --config metadata/ --snapshot schema.json
  hasgen validate --config metadata.json --database-url "$DATABASE_URL" --ignore-unsupported`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config == "" {
				return errors.New("--config is required")
			}
			s, err := src.load(cmd.Context(), config)
			if err != nil {
				return err
			}
			md, err := loadConfig(config, s, stderr, ignore)
			if err != nil {
				return err
			}
			// What generate would refuse beyond the file itself: enum
			// tables' rows (read from the database), GraphQL names.
			if src.databaseURL != "" {
				if err := readEnumTables(cmd.Context(), src.databaseURL, s, md); err != nil {
					return err
				}
			}
			if _, err := model.Build(s, md); err != nil {
				problems := strings.Split(err.Error(), "\n")
				for _, p := range problems {
					fmt.Fprintf(stderr, "%s: %s\n", config, p)
				}
				fmt.Fprintf(stderr, "%d problem(s) in %s\n", len(problems), config)
				return problemsError{len(problems)}
			}
			fmt.Fprintf(stdout, "%s: valid (%d tables, %d roles)\n", config, len(md.Tables), len(md.Roles()))
			return nil
		},
	}
	src.addDatabaseFlags(cmd)
	src.addSnapshotFlag(cmd)
	cmd.Flags().StringVar(&config, "config", "", "permissions file (YAML list of tables), Hasura metadata directory or metadata export (JSON)")
	addIgnoreUnsupported(cmd, &ignore)
	return cmd
}

// addIgnoreUnsupported adds the flag that accepts a metadata with keys
// hasgen does not serve.
func addIgnoreUnsupported(cmd *cobra.Command, ignore *bool) {
	cmd.Flags().BoolVar(ignore, "ignore-unsupported", false, "accept metadata keys hasgen does not serve, leaving them out of the server (each is still printed)")
}

// loadConfig loads and validates the permissions file. Problems in it are
// printed one per line and reported as problemsError (exit 1); so are the
// keys hasgen does not serve, unless ignore is set, when they print as
// warnings like the file's other warnings.
func loadConfig(path string, s *introspect.Schema, stderr io.Writer, ignore bool) (*metadata.Metadata, error) {
	// A permissions file hasgen cannot read is hasgen not running (exit
	// 2), not a problem in the input (exit 1).
	if err := readable(path); err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	md, err := metadata.Load(path, s)
	var list metadata.ErrorList
	if errors.As(err, &list) {
		return nil, loadConfigProblems(path, list, stderr)
	}
	if err != nil {
		return nil, err
	}
	if err := defaultNaming(md, stderr); err != nil {
		return nil, err
	}
	for _, w := range md.Warnings {
		fmt.Fprintln(stderr, "warning: "+w.Error())
	}
	if n := len(md.Unsupported); n > 0 {
		prefix := ""
		if ignore {
			prefix = "warning: "
		}
		for _, e := range md.Unsupported {
			fmt.Fprintln(stderr, prefix+e.Error())
		}
		if !ignore {
			fmt.Fprintf(stderr, "%d metadata key(s) in %s that hasgen does not serve; pass --ignore-unsupported to leave them out\n", n, path)
			return nil, problemsError{n}
		}
		fmt.Fprintf(stderr, "warning: %d metadata key(s) in %s left out (--ignore-unsupported)\n", n, path)
	}
	return md, nil
}

// loadConfigProblems prints the problems of the permissions file at path,
// and a count, and returns the error that exits 1.
func loadConfigProblems(path string, list metadata.ErrorList, stderr io.Writer) error {
	for _, e := range list {
		fmt.Fprintln(stderr, e.Error())
	}
	fmt.Fprintf(stderr, "%d problem(s) in %s\n", len(list), path)
	return problemsError{len(list)}
}

// writeOutput writes b to the file path, or to stdout when path is empty.
func writeOutput(path string, stdout io.Writer, b []byte) error {
	if path == "" {
		_, err := stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// readable reports why the permissions file (or metadata directory) at
// path cannot be read, or nil.
func readable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		_, err = os.ReadDir(path)
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	return f.Close()
}

package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/hasgen/hasgen/templates"
	"github.com/spf13/cobra"
)

func newExplainCmd(stdout, stderr io.Writer) *cobra.Command {
	var src source
	var config, role, queryFile, variables, sessionJSON string
	var ignoreUnsupported bool
	cmd := &cobra.Command{
		Use:   "explain (--database-url URL | --snapshot FILE) --config FILE --role ROLE --query FILE [--variables JSON] [--session JSON]",
		Short: "Print the SQL a GraphQL query becomes for a role, without a server",
		Long: `explain compiles a GraphQL query the way the generated server does, for one
role, and prints each database-backed root field's single SQL statement and
where its parameters come from. Session variables the query needs are shown
as parameters; give values with --session to see them bound.`,
		Example: `  hasgen explain --snapshot schema.json --config hasgen.yaml --role user --query q.graphql
  hasgen explain --database-url "$DATABASE_URL" --config hasgen.yaml --role user \
      --query q.graphql --variables '{"id": 1}' --session '{"x-hasura-user-id": "42"}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config == "" || role == "" || queryFile == "" {
				return errors.New("--config, --role and --query are required")
			}
			query, err := os.ReadFile(queryFile)
			if err != nil {
				return err
			}
			s, err := src.load(cmd.Context(), config)
			if err != nil {
				return err
			}
			md, err := loadConfig(config, s, stderr, ignoreUnsupported)
			if err != nil {
				return err
			}
			if src.databaseURL != "" {
				if err := readEnumTables(cmd.Context(), src.databaseURL, s, md); err != nil {
					return err
				}
			}
			p, err := model.Build(s, md)
			if err != nil {
				return err
			}
			cfg, err := templates.EngineConfig(p)
			if err != nil {
				return err
			}
			e, err := engine.New(cfg, nil)
			if err != nil {
				return err
			}
			sess := &session.Session{Role: role, Vars: map[string]string{}}
			if sessionJSON != "" {
				var m map[string]string
				if err := json.Unmarshal([]byte(sessionJSON), &m); err != nil {
					return fmt.Errorf("--session: want a JSON object of strings: %w", err)
				}
				for k, v := range m {
					sess.Vars[strings.ToLower(k)] = v
				}
			}
			req := &wire.Request{Query: string(query)}
			if variables != "" {
				if !json.Valid([]byte(variables)) {
					return errors.New("--variables: not valid JSON")
				}
				req.Variables = json.RawMessage(variables)
			}
			out, err := e.Explain(cmd.Context(), sess, req)
			if err != nil {
				for _, we := range wire.Errors(err) {
					fmt.Fprintf(stderr, "%s: %s (at %s)\n", we.Code, we.Message, we.Path)
				}
				return problemsError{1}
			}
			for i, ex := range out {
				if i > 0 {
					fmt.Fprintln(stdout)
				}
				fmt.Fprintf(stdout, "-- %s (role %s)\n%s;\n", ex.Field, role, ex.SQL)
				for _, p := range ex.Params {
					fmt.Fprintf(stdout, "-- %s\n", p)
				}
			}
			if len(out) == 0 {
				fmt.Fprintln(stdout, "-- no database-backed root fields")
			}
			return nil
		},
	}
	src.addDatabaseFlags(cmd)
	src.addSnapshotFlag(cmd)
	cmd.Flags().StringVar(&config, "config", "", "permissions file or Hasura metadata directory")
	addIgnoreUnsupported(cmd, &ignoreUnsupported)
	cmd.Flags().StringVar(&role, "role", "", "role to compile the query for (admin for no permissions)")
	cmd.Flags().StringVar(&queryFile, "query", "", "file holding the GraphQL query")
	cmd.Flags().StringVar(&variables, "variables", "", "the query's variables as a JSON object")
	cmd.Flags().StringVar(&sessionJSON, "session", "", `session variables as a JSON object, e.g. '{"x-hasura-user-id": "1"}'`)
	return cmd
}

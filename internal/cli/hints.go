package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/runtime/live"
	"github.com/spf13/cobra"
)

// newHintsCmd is "hasgen hints": the change-hint triggers that let a
// server skip the subscription polls of tables that did not change.
// Nothing is installed unless asked: install, or sql for a migration.
func newHintsCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "hints",
		Short: "Install, remove or print the change-hint triggers that let subscriptions skip unchanged tables",
		Long: `Change hints are a statement-level trigger on each tracked table that
notifies channel hasgen_changes (pg_notify) when a statement changes the
table. A generated server that finds them installed (or runs with
HASGEN_CHANGE_HINTS=true) listens on a connection of its own and does not
poll the live queries and streams whose tables did not change; while that
connection is down it polls everything, as without hints.

Nothing is installed unless you ask: 'hints install' runs the migration,
'hints sql' prints it for your migration tool, 'hints uninstall' removes it.`,
	}
	cmd.AddCommand(newHintsSQLCmd(stdout, stderr), newHintsInstallCmd(stdout, stderr), newHintsUninstallCmd(stdout))
	return cmd
}

func newHintsSQLCmd(stdout, stderr io.Writer) *cobra.Command {
	var src source
	var config string
	var uninstall bool
	cmd := &cobra.Command{
		Use:   "sql --config FILE (--database-url URL | --snapshot FILE) [--uninstall]",
		Short: "Print the migration that installs (or removes) the change-hint triggers",
		Example: `  hasgen hints sql --config hasgen.yaml --snapshot schema.json > migrations/0042_hasgen_hints.sql
  hasgen hints sql --uninstall`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if uninstall {
				_, err := io.WriteString(stdout, live.ChangeHintsUninstallSQL())
				return err
			}
			tables, err := trackedTables(cmd, &src, config, stderr)
			if err != nil {
				return err
			}
			_, err = io.WriteString(stdout, live.ChangeHintsInstallSQL(tables))
			return err
		},
	}
	src.addDatabaseFlags(cmd)
	src.addSnapshotFlag(cmd)
	cmd.Flags().StringVar(&config, "config", "", "permissions file (YAML list of tables) or Hasura metadata directory")
	cmd.Flags().BoolVar(&uninstall, "uninstall", false, "print the migration that removes the triggers instead")
	return cmd
}

func newHintsInstallCmd(stdout, stderr io.Writer) *cobra.Command {
	var src source
	var config string
	cmd := &cobra.Command{
		Use:     "install --database-url URL --config FILE",
		Short:   "Install the change-hint triggers on the tracked tables (idempotent)",
		Example: `  hasgen hints install --database-url "$DATABASE_URL" --config hasgen.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if src.databaseURL == "" {
				return errors.New("--database-url is required")
			}
			tables, err := trackedTables(cmd, &src, config, stderr)
			if err != nil {
				return err
			}
			if err := runMigration(cmd, src.databaseURL, live.ChangeHintsInstallSQL(tables)); err != nil {
				return fmt.Errorf("change hints: %w", err)
			}
			fmt.Fprintf(stdout, "change hints installed on %d tables\n", len(tables))
			return nil
		},
	}
	src.addDatabaseFlags(cmd)
	cmd.Flags().StringVar(&config, "config", "", "permissions file (YAML list of tables) or Hasura metadata directory")
	return cmd
}

func newHintsUninstallCmd(stdout io.Writer) *cobra.Command {
	var src source
	cmd := &cobra.Command{
		Use:     "uninstall --database-url URL",
		Short:   "Remove the change-hint triggers and their function",
		Example: `  hasgen hints uninstall --database-url "$DATABASE_URL"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if src.databaseURL == "" {
				return errors.New("--database-url is required")
			}
			if err := runMigration(cmd, src.databaseURL, live.ChangeHintsUninstallSQL()); err != nil {
				return fmt.Errorf("change hints: %w", err)
			}
			fmt.Fprintln(stdout, "change hints removed")
			return nil
		},
	}
	src.addDatabaseFlags(cmd)
	return cmd
}

// trackedTables loads the permissions file and returns its tables. Keys
// hasgen does not serve do not change them: they print as warnings.
func trackedTables(cmd *cobra.Command, src *source, config string, stderr io.Writer) ([]live.TableName, error) {
	md, err := loadMetadata(cmd, src, config, stderr)
	if err != nil {
		return nil, err
	}
	out := make([]live.TableName, 0, len(md.Tables))
	for _, t := range md.Tables {
		out = append(out, live.TableName{Schema: t.Schema, Name: t.Name})
	}
	return out, nil
}

// loadMetadata loads --config over the database model of src, for the
// commands that install triggers (hints, triggers). Keys hasgen does not
// serve print as warnings and do not stop it.
func loadMetadata(cmd *cobra.Command, src *source, config string, stderr io.Writer) (*metadata.Metadata, error) {
	if config == "" {
		return nil, errors.New("--config is required")
	}
	s, err := src.load(cmd.Context(), config)
	if err != nil {
		return nil, err
	}
	return loadConfig(config, s, stderr, true)
}

// runMigration runs a migration that holds its own BEGIN and COMMIT
// (several statements, simple protocol) on the database.
func runMigration(cmd *cobra.Command, url, sql string) error {
	conn, err := connect(cmd.Context(), url)
	if err != nil {
		return err
	}
	defer conn.Close(cmd.Context())
	_, err = conn.PgConn().Exec(cmd.Context(), sql).ReadAll()
	return err
}

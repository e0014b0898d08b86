package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hasgen/hasgen/runtime/events"
)

// newTriggersCmd is "hasgen triggers": the Postgres triggers that capture
// the metadata's event triggers into Hasura's event log. Like "hasgen
// hints", nothing is installed unless asked.
func newTriggersCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "triggers",
		Short: "Install, remove, check or print the Postgres triggers that capture the event triggers",
		Long: `Each operation of each event trigger of the metadata is a Postgres trigger
on its table, notify_hasura_<trigger>_<OPERATION>, whose function (in
hdb_catalog) writes the change to hdb_catalog.event_log in the writing
transaction, with the session variables of the mutation. Names, catalog and
payload are Hasura's: a database Hasura served keeps its pending events,
and installing replaces Hasura's triggers.

'triggers sql' prints the migration for your migration tool, 'triggers
install' runs it (in one transaction; it also drops the notify_hasura_*
triggers the metadata no longer declares), 'triggers uninstall' removes
every one of them (the event log stays), and 'triggers check' exits 1
naming each trigger missing, stale or extra. The generated server makes the
same check at start and delivers no event while they differ.`,
	}
	cmd.AddCommand(newTriggersSQLCmd(stdout, stderr), newTriggersInstallCmd(stdout, stderr),
		newTriggersUninstallCmd(stdout), newTriggersCheckCmd(stdout, stderr))
	return cmd
}

func newTriggersSQLCmd(stdout, stderr io.Writer) *cobra.Command {
	var src source
	var config string
	var uninstall bool
	cmd := &cobra.Command{
		Use:   "sql --config DIR (--database-url URL | --snapshot FILE) [--uninstall]",
		Short: "Print the migration that installs (or removes) the event triggers",
		Example: `  hasgen triggers sql --config metadata --snapshot schema.json > migrations/0043_event_triggers.sql
  hasgen triggers sql --uninstall`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if uninstall {
				_, err := io.WriteString(stdout, events.UninstallSQL(nil))
				return err
			}
			cfg, err := eventConfig(cmd, &src, config, stderr)
			if err != nil {
				return err
			}
			_, err = io.WriteString(stdout, events.InstallSQL(cfg))
			return err
		},
	}
	src.addDatabaseFlags(cmd)
	src.addSnapshotFlag(cmd)
	cmd.Flags().StringVar(&config, "config", "", triggersConfigUsage)
	cmd.Flags().BoolVar(&uninstall, "uninstall", false, "print the migration that removes the triggers instead")
	return cmd
}

func newTriggersInstallCmd(stdout, stderr io.Writer) *cobra.Command {
	var src source
	var config string
	cmd := &cobra.Command{
		Use:     "install --database-url URL --config DIR",
		Short:   "Install the event triggers of the metadata, drop the others (idempotent)",
		Example: `  hasgen triggers install --database-url "$DATABASE_URL" --config metadata`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if src.databaseURL == "" {
				return errors.New("--database-url is required")
			}
			cfg, err := eventConfig(cmd, &src, config, stderr)
			if err != nil {
				return err
			}
			if err := runMigration(cmd, src.databaseURL, events.InstallSQL(cfg)); err != nil {
				return fmt.Errorf("event triggers: %w", err)
			}
			fmt.Fprintf(stdout, "%d event trigger(s) installed\n", len(cfg.Triggers))
			return nil
		},
	}
	src.addDatabaseFlags(cmd)
	cmd.Flags().StringVar(&config, "config", "", triggersConfigUsage)
	return cmd
}

func newTriggersUninstallCmd(stdout io.Writer) *cobra.Command {
	var src source
	cmd := &cobra.Command{
		Use:     "uninstall --database-url URL",
		Short:   "Remove every notify_hasura_* event trigger and its function (the event log stays)",
		Example: `  hasgen triggers uninstall --database-url "$DATABASE_URL"`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if src.databaseURL == "" {
				return errors.New("--database-url is required")
			}
			if err := runMigration(cmd, src.databaseURL, events.UninstallSQL(nil)); err != nil {
				return fmt.Errorf("event triggers: %w", err)
			}
			fmt.Fprintln(stdout, "event triggers removed")
			return nil
		},
	}
	src.addDatabaseFlags(cmd)
	return cmd
}

func newTriggersCheckCmd(stdout, stderr io.Writer) *cobra.Command {
	var src source
	var config string
	cmd := &cobra.Command{
		Use:     "check --database-url URL --config DIR",
		Short:   "Compare the installed event triggers with the metadata; exit 1 naming each difference",
		Example: `  hasgen triggers check --database-url "$DATABASE_URL" --config metadata`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if src.databaseURL == "" {
				return errors.New("--database-url is required")
			}
			cfg, err := eventConfig(cmd, &src, config, stderr)
			if err != nil {
				return err
			}
			conn, err := connect(cmd.Context(), src.databaseURL)
			if err != nil {
				return err
			}
			defer conn.Close(cmd.Context())
			err = events.Check(cmd.Context(), conn, cfg)
			var drift *events.CheckError
			if errors.As(err, &drift) {
				fmt.Fprintln(stderr, drift.Error())
				return problemsError{len(drift.Missing) + len(drift.Stale) + len(drift.Extra) + btoi(drift.Catalog)}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%d event trigger(s) installed as the metadata declares\n", len(cfg.Triggers))
			return nil
		},
	}
	src.addDatabaseFlags(cmd)
	cmd.Flags().StringVar(&config, "config", "", triggersConfigUsage)
	return cmd
}

// triggersConfigUsage is the help of the --config flag of the triggers
// commands.
const triggersConfigUsage = "Hasura metadata directory, metadata export or permissions file"

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// eventConfig loads the metadata and returns its event triggers. Keys
// hasgen does not serve do not change them: they print as warnings.
func eventConfig(cmd *cobra.Command, src *source, config string, stderr io.Writer) (*events.Config, error) {
	md, err := loadMetadata(cmd, src, config, stderr)
	if err != nil {
		return nil, err
	}
	return &events.Config{Triggers: md.EventTriggers}, nil
}

package metadata

import (
	"strings"
	"testing"
)

// TestReadReplicas: a source's read_replicas are served, each a
// connection_info of its own; a replica without a URL, an unknown key or
// a bad value is an error at its position, and ssl_configuration is
// reported as for the primary.
func TestReadReplicas(t *testing.T) {
	source := func(replicas string) string {
		return `- name: default
  kind: postgres
  configuration:
    connection_info:
      database_url: {from_env: PG_URL}
    read_replicas:` + replicas + `
  tables:
    - table: {schema: public, name: orgs}
`
	}
	for _, c := range []struct {
		name, replicas string
		wantErr        string // "" for none
		wantUnsup      string
		check          func(*Connection) bool
	}{
		{name: "served", replicas: `
      - database_url: {from_env: R1}
        pool_settings: {max_connections: 3, idle_timeout: 10, connection_lifetime: 20}
        use_prepared_statements: false
        isolation_level: repeatable-read
      - database_url: postgres://r2/db`,
			check: func(c *Connection) bool {
				r := c.ReadReplicas
				return len(r) == 2 && r[0].URLFromEnv == "R1" && r[0].MaxConnections == 3 && r[0].IdleTimeout == 10 &&
					r[0].ConnectionLifetime == 20 && r[0].UsePreparedStatements != nil && !*r[0].UsePreparedStatements &&
					r[0].IsolationLevel == "repeatable-read" && r[1].URL == "postgres://r2/db"
			}},
		{name: "empty", replicas: " []", check: func(c *Connection) bool { return len(c.ReadReplicas) == 0 }},
		{name: "null", replicas: " null", check: func(c *Connection) bool { return len(c.ReadReplicas) == 0 }},
		{name: "no URL", replicas: "\n      - pool_settings: {max_connections: 3}",
			wantErr: `databases.yaml:7:9: database source "default" configuration.read_replicas[0]: a read replica needs a database_url`},
		{name: "unknown key", replicas: "\n      - {database_url: postgres://r/db, replicas: 2}",
			wantErr: `databases.yaml:7:41: database source "default" configuration.read_replicas[0]: unknown key "replicas"`},
		{name: "bad isolation", replicas: "\n      - {database_url: postgres://r/db, isolation_level: snapshot}",
			wantErr: `isolation_level must be read-committed, repeatable-read or serializable, not "snapshot"`},
		{name: "not a list", replicas: " {database_url: postgres://r/db}", wantErr: `read_replicas`},
		{name: "ssl reported", replicas: "\n      - {database_url: postgres://r/db, ssl_configuration: {sslmode: verify-full}}",
			wantUnsup: `configuration.read_replicas[0]: ssl_configuration is not supported by hasgen`,
			check:     func(c *Connection) bool { return len(c.ReadReplicas) == 1 }},
		{name: "budget reported", replicas: "\n      - {database_url: postgres://r/db, pool_settings: {max_connections: 2, total_max_connections: 9}}",
			wantUnsup: `configuration.read_replicas[0]: pool_settings.total_max_connections (a connection budget of a read replica) is not supported by hasgen`,
			check: func(c *Connection) bool {
				return len(c.ReadReplicas) == 1 && c.ReadReplicas[0].TotalMaxConnections == 0 && c.ReadReplicas[0].MaxConnections == 2
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := loadString(t, "metadata/databases/databases.yaml", source(c.replicas))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var unsup []string
			for _, e := range m.Unsupported {
				unsup = append(unsup, e.Error())
			}
			if got := strings.Join(unsup, "\n"); (c.wantUnsup == "") != (got == "") || !strings.Contains(got, c.wantUnsup) {
				t.Errorf("reported %q, want %q", got, c.wantUnsup)
			}
			if !c.check(m.Connection) {
				t.Errorf("connection %+v", m.Connection)
			}
		})
	}
}

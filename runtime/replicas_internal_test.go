package runtime

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// TestReplicaConfig: the metadata's read_replicas (schema/source.jsonc)
// with their URL variables and pool settings over the primary's, and
// HASURA_GRAPHQL_READ_REPLICA_URLS replacing them; bad settings are
// errors that name the replica, never its password.
func TestReplicaConfig(t *testing.T) {
	src := `{"database_url_from_env": "PG_URL", "max_connections": 7, "use_prepared_statements": false, "read_replicas": [` +
		`{"database_url_from_env": "REPLICA_ONE", "max_connections": 3, "idle_timeout": 9, "isolation_level": "repeatable-read", "use_prepared_statements": true},` +
		`{"database_url": "postgres://two/db"}]}`
	p := Project{Schemas: fstest.MapFS{"source.jsonc": {Data: []byte(src)}}}
	for _, c := range []struct {
		name    string
		env     map[string]string
		want    []ReplicaConfig
		wantErr string
	}{
		{name: "metadata", env: map[string]string{"REPLICA_ONE": "postgres://one/db"}, want: []ReplicaConfig{
			{URL: "postgres://one/db", MaxConns: 3, ConnLifetime: 600 * time.Second, ConnIdleTimeout: 9 * time.Second, IsolationLevel: "repeatable-read"},
			{URL: "postgres://two/db", MaxConns: 7, ConnLifetime: 600 * time.Second, ConnIdleTimeout: 180 * time.Second, NoPreparedStatements: true},
		}},
		{name: "the primary's settings from the environment", env: map[string]string{"REPLICA_ONE": "postgres://one/db", "HASURA_GRAPHQL_PG_CONNECTIONS": "11", "HASURA_GRAPHQL_PG_TIMEOUT": "5"}, want: []ReplicaConfig{
			{URL: "postgres://one/db", MaxConns: 3, ConnLifetime: 600 * time.Second, ConnIdleTimeout: 9 * time.Second, IsolationLevel: "repeatable-read"},
			{URL: "postgres://two/db", MaxConns: 11, ConnLifetime: 600 * time.Second, ConnIdleTimeout: 5 * time.Second, NoPreparedStatements: true},
		}},
		{name: "variable unset", env: map[string]string{}, wantErr: "no read replica URL: set REPLICA_ONE (the metadata's read_replicas[0].database_url.from_env)"},
		{name: "the variable replaces the metadata", env: map[string]string{"HASURA_GRAPHQL_READ_REPLICA_URLS": "postgres://a/db, postgres://b/db"}, want: []ReplicaConfig{
			{URL: "postgres://a/db", MaxConns: 7, ConnLifetime: 600 * time.Second, ConnIdleTimeout: 180 * time.Second, NoPreparedStatements: true},
			{URL: "postgres://b/db", MaxConns: 7, ConnLifetime: 600 * time.Second, ConnIdleTimeout: 180 * time.Second, NoPreparedStatements: true},
		}},
		{name: "empty item", env: map[string]string{"HASURA_GRAPHQL_READ_REPLICA_URLS": "postgres://a/db,,"}, wantErr: "HASURA_GRAPHQL_READ_REPLICA_URLS: URL 2 is empty"},
		{name: "bad URL", env: map[string]string{"HASURA_GRAPHQL_READ_REPLICA_URLS": "postgres://u:s3cret@a:notaport/db"}, wantErr: "HASURA_GRAPHQL_READ_REPLICA_URLS: URL 1:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"PG_URL": "postgres://primary/db"}
			for k, v := range c.env {
				env[k] = v
			}
			cfg, err := ProjectConfig(p, nil, func(k string) string { return env[k] })
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("got %v, want an error containing %q (and no password)", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.ReadReplicas) != len(c.want) {
				t.Fatalf("got %+v, want %+v", cfg.ReadReplicas, c.want)
			}
			for i := range c.want {
				if cfg.ReadReplicas[i] != c.want[i] {
					t.Errorf("replica %d: got %+v, want %+v", i, cfg.ReadReplicas[i], c.want[i])
				}
			}
		})
	}
	// The variables the replicas are read from are read, not reported.
	if got := UnservedEnv(p, []string{"REPLICA_ONE=x", "HASURA_GRAPHQL_READ_REPLICA_URLS=y", "HASURA_GRAPHQL_NOPE=z"}); strings.Join(got, " ") != "HASURA_GRAPHQL_NOPE" {
		t.Errorf("unserved: %q", got)
	}
	// No replica: nothing to route.
	cfg, err := ConfigFromEnv(nil, func(k string) string { return map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://p/db"}[k] })
	if err != nil || cfg.ReadReplicas != nil {
		t.Errorf("without replicas: %v %+v", err, cfg.ReadReplicas)
	}
}

// TestReplicaMaxLagConfig: HASGEN_READ_REPLICA_MAX_LAG is milliseconds,
// none by default; a bad value is an error naming the variable.
func TestReplicaMaxLagConfig(t *testing.T) {
	for _, c := range []struct {
		value string
		want  time.Duration
		err   string
	}{
		{"", 0, ""},
		{"750", 750 * time.Millisecond, ""},
		{"soon", 0, "HASGEN_READ_REPLICA_MAX_LAG"},
	} {
		env := map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://p/db", "HASGEN_READ_REPLICA_MAX_LAG": c.value}
		cfg, err := ConfigFromEnv(nil, func(k string) string { return env[k] })
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: error %v, want one naming %s", c.value, err, c.err)
		case c.err == "" && (err != nil || cfg.ReplicaMaxLag != c.want):
			t.Errorf("%q: %v, %v; want %v", c.value, cfg.ReplicaMaxLag, err, c.want)
		}
	}
}

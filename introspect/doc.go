// Package introspect reads a PostgreSQL schema into a plain data model,
// Schema, and writes and reads it as a JSON snapshot. It is the first stage
// of hasgen: everything after it reads a Schema and never a database.
//
// # Loading
//
// Load reads tables, views, materialized views, partitioned tables (not
// their partitions) and foreign tables; their columns with types, defaults,
// identity and generated columns; primary keys, unique constraints, foreign
// keys (also to schemas that were not loaded) and checks; the enums and
// domains they use; comments; and the functions that return (SETOF) a
// loaded table's rows or a scalar computed from such a row (functions.go).
// It takes a *pgx.Conn, a *pgxpool.Pool or a pgx.Tx:
//
//	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		return err
//	}
//	defer conn.Close(ctx)
//	s, err := introspect.Load(ctx, conn, []string{"public"})
//	if errors.Is(err, introspect.ErrSchemaNotFound) {
//		// a schema name is wrong; the message names it
//	}
//
// The result is deterministic: the same database gives the same Schema
// whatever the session settings and the OIDs, so it can be committed.
//
// Enum tables (Hasura's is_enum) are data, not schema: Load does not read
// rows, and LoadEnumTables reads those of the tables a permissions file
// marks, into Schema.EnumTables, so that a snapshot can hold them too.
//
// # Snapshots
//
// A snapshot lets hasgen generate without a database:
//
//	err := introspect.WriteSnapshot(f, s) // indented JSON, sorted, versioned
//	s, err := introspect.LoadSnapshotFile("schema.json")
//
// ReadSnapshot rejects snapshots of another SnapshotVersion and unknown
// fields, so a snapshot is never silently half understood.
package introspect

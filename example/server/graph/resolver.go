package graph

import "github.com/jackc/pgx/v5/pgxpool"

// This file will not be regenerated automatically: hasgen created it once
// and it is yours.

// Resolver is the root of the custom resolvers (custom.graphqls,
// custom.resolvers.go). Put what they need here; main.go builds it.
type Resolver struct {
	// DB is the server's connection pool. For typed SQL, write queries in
	// queries/*.sql: hasgen generate runs sqlc, and sqlcdb.New(r.DB) has a
	// Go method per query.
	DB *pgxpool.Pool
}

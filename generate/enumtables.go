package generate

import (
	"context"
	"fmt"

	"github.com/hasgen/hasgen/introspect"
	"github.com/hasgen/hasgen/metadata"
	"github.com/jackc/pgx/v5"
)

// loadEnumTables reads the rows of the metadata's enum tables (is_enum)
// into db when the options name a database: an enum's values are data,
// read at generation time as Hasura reads them when it loads its metadata.
// From a snapshot they are what `hasgen introspect --config` wrote.
func loadEnumTables(ctx context.Context, o *Options, db *introspect.Schema, md *metadata.Metadata) error {
	tables := EnumTables(md)
	if len(tables) == 0 || o.DatabaseURL == "" {
		return nil
	}
	conn, err := pgx.Connect(ctx, o.DatabaseURL)
	if err != nil {
		return fmt.Errorf("connect to the database: %w", err)
	}
	defer conn.Close(context.Background())
	return introspect.LoadEnumTables(ctx, conn, db, tables)
}

// EnumTables lists the metadata's enum tables (is_enum: true),
// as schema.name pairs in metadata order.
func EnumTables(md *metadata.Metadata) [][2]string {
	var out [][2]string
	for _, t := range md.Tables {
		if t.IsEnum {
			out = append(out, [2]string{t.Schema, t.Name})
		}
	}
	return out
}

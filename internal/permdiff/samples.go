package permdiff

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Samples are the distinct values of every column, read once, so that
// generated comparisons hit rows instead of missing them all.
type Samples struct {
	// Values maps "table.column" to the column's distinct non-null
	// values as Postgres writes them in JSON (to_json(v)#>>'{}'), sorted.
	Values map[string][]string
	// CustomerIDs and EmployeeIDs are the keys that exist, for session
	// variables.
	CustomerIDs, EmployeeIDs []string
}

// maxSamples caps the values kept per column; the sample is spread over
// the sorted values so that ranges stay representative.
const maxSamples = 400

// LoadSamples reads the sample values of every column of s.
func LoadSamples(ctx context.Context, conn *pgx.Conn, s *Schema) (*Samples, error) {
	out := &Samples{Values: map[string][]string{}}
	for _, t := range s.Tables {
		for _, c := range t.Columns {
			col := pgx.Identifier{c.Name}.Sanitize()
			sql := fmt.Sprintf(`SELECT DISTINCT to_json(%s)#>>'{}' AS v FROM %s WHERE %s IS NOT NULL ORDER BY 1`,
				col, pgx.Identifier{t.Name}.Sanitize(), col)
			vals, err := queryStrings(ctx, conn, sql)
			if err != nil {
				return nil, fmt.Errorf("permdiff: samples of %s.%s: %w", t.Name, c.Name, err)
			}
			if len(vals) > maxSamples {
				spread := make([]string, 0, maxSamples)
				for i := range maxSamples {
					spread = append(spread, vals[i*len(vals)/maxSamples])
				}
				vals = spread
			}
			out.Values[t.Name+"."+c.Name] = vals
		}
	}
	var err error
	if out.CustomerIDs, err = queryStrings(ctx, conn, `SELECT id::text FROM customers ORDER BY id`); err != nil {
		return nil, fmt.Errorf("permdiff: customer ids: %w", err)
	}
	if out.EmployeeIDs, err = queryStrings(ctx, conn, `SELECT id::text FROM employees ORDER BY id`); err != nil {
		return nil, fmt.Errorf("permdiff: employee ids: %w", err)
	}
	return out, nil
}

func queryStrings(ctx context.Context, conn *pgx.Conn, sql string) ([]string, error) {
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

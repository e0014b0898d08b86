package permdiff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Reference answers abstract queries with plain SQL run under the RLS
// policies of policies.sql: the rows a role may see are Postgres's
// business, the translator only writes the query the GraphQL document
// asks, with Hasura's semantics (relationships and relationship filters
// read through the remote table's permission, which RLS applies to every
// table reference; a hidden object relationship row is null).
type Reference struct {
	// Pool connects as a role that may SET ROLE to the database roles.
	Pool *pgxpool.Pool
	// DBRoles maps a Hasura role to the database role whose policies
	// mirror it.
	DBRoles map[string]string
	// CapAggregates applies the role's row limit to the rows aggregate
	// values are computed over. Hasura applies it only to the rows
	// returned (nodes), so count and sum see every row the filter lets
	// through; hasgen caps both (see RESULTS.md).
	CapAggregates bool
}

// DefaultDBRoles returns the database roles of policies.sql by Hasura
// role.
func DefaultDBRoles() map[string]string {
	return map[string]string{"admin": "pd_admin", "customer": "pd_customer", "employee": "pd_employee"}
}

// DeniedError is a reference query that read a column or table the
// database role has no grant on (SQLSTATE 42501): the query uses
// something the role's permission does not allow.
type DeniedError struct{ Err *pgconn.PgError }

// Error returns the server's message.
func (e *DeniedError) Error() string { return "reference denied: " + e.Err.Message }

// Unwrap returns the *pgconn.PgError.
func (e *DeniedError) Unwrap() error { return e.Err }

// Answer runs q as role with the session variables and returns the data
// object, one key per root field. A query that reads what the role has no
// grant on fails with *DeniedError.
func (ref *Reference) Answer(ctx context.Context, q *Query, role *Role, session map[string]string) (json.RawMessage, error) {
	sql, args := ref.Translate(q, role)
	dbRole, ok := ref.DBRoles[role.Name]
	if !ok {
		return nil, fmt.Errorf("permdiff: no database role for %q", role.Name)
	}
	vars := map[string]string{"x-hasura-role": role.Name}
	maps.Copy(vars, session)
	sess, err := json.Marshal(vars)
	if err != nil {
		return nil, err
	}
	tx, err := ref.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("permdiff: reference: %w", err)
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	// Generous: on a machine shared with benchmarks a case that takes 4 s
	// alone has taken over a minute.
	b.Queue("SET LOCAL statement_timeout = '5min'")
	b.Queue("SET LOCAL ROLE " + pgx.Identifier{dbRole}.Sanitize())
	b.Queue("SELECT set_config('hasura.user', $1, true)", string(sess))
	var out []byte
	b.Queue(sql, args...).QueryRow(func(row pgx.Row) error { return row.Scan(&out) })
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42501" {
			return nil, &DeniedError{pe}
		}
		return nil, fmt.Errorf("permdiff: reference query: %w\n%s", err, sql)
	}
	return out, nil
}

// Translate returns the SQL statement answering q as role and its
// arguments. The statement returns one json value: the data object.
func (ref *Reference) Translate(q *Query, role *Role) (string, []any) {
	b := &sqlb{role: role, capAgg: ref.CapAggregates}
	var w strings.Builder
	w.WriteString("SELECT json_build_object(")
	for i, f := range q.Fields {
		if i > 0 {
			w.WriteString(", ")
		}
		w.WriteString(lit(f.Key()) + ", ")
		w.WriteString(b.field(f, ""))
	}
	w.WriteString(")")
	return w.String(), b.args
}

// sqlb builds one statement: its bind arguments and table aliases.
type sqlb struct {
	args   []any
	n      int
	role   *Role
	capAgg bool
}

// param binds v and returns the expression reading it as the column
// type; every value of a query reaches the SQL this way.
func (b *sqlb) param(v *Value) string {
	b.args = append(b.args, v.Text)
	return fmt.Sprintf("($%d::text)::%s", len(b.args), v.Type.SQL())
}

func (b *sqlb) alias() string {
	b.n++
	return "t" + strconv.Itoa(b.n)
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// lit quotes a string literal (response keys, which the generator makes
// of letters, digits and underscores).
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func col(alias, c string) string { return alias + "." + ident(c) }

// joinCond ties the rows (alias a) of relationship r's table to the
// parent row p.
func joinCond(r *Relationship, a, p string) string {
	return col(a, r.Remote) + " = " + col(p, r.Local)
}

// field returns the JSON expression of f; p is the alias of the parent
// row ("" for root fields).
func (b *sqlb) field(f *Field, p string) string {
	switch f.Kind {
	case KindColumn:
		return col(p, f.Column)
	case KindObject:
		a := b.alias()
		return fmt.Sprintf("(SELECT %s FROM %s %s WHERE %s)", b.row(f.Table, f.Sel, a), ident(f.Table.Name), a, joinCond(f.Rel, a, p))
	case KindByPk:
		a := b.alias()
		var conds []string
		for i, pk := range f.Table.PK {
			conds = append(conds, col(a, pk)+" = "+b.param(f.PK[i]))
		}
		return fmt.Sprintf("(SELECT %s FROM %s %s WHERE %s)", b.row(f.Table, f.Sel, a), ident(f.Table.Name), a, strings.Join(conds, " AND "))
	case KindList:
		return b.list(f, p)
	case KindAggregate:
		return b.aggregate(f, p)
	}
	panic(fmt.Sprintf("permdiff: field kind %d", f.Kind))
}

// row returns the JSON object of a row of t (alias a) with selection s.
func (b *sqlb) row(t *Table, s *Selection, a string) string {
	var parts []string
	for _, f := range s.Fields {
		parts = append(parts, lit(f.Key()), b.field(f, a))
	}
	return "json_build_object(" + strings.Join(parts, ", ") + ")"
}

var dirSQL = map[string]string{
	"asc":              "ASC NULLS LAST",
	"asc_nulls_last":   "ASC NULLS LAST",
	"asc_nulls_first":  "ASC NULLS FIRST",
	"desc":             "DESC NULLS FIRST",
	"desc_nulls_first": "DESC NULLS FIRST",
	"desc_nulls_last":  "DESC NULLS LAST",
}

// orderExpr returns the SQL of an order_by key over the row a of t.
func (b *sqlb) orderExpr(o *OrderItem, a string) string {
	switch {
	case o.Rel == nil:
		return col(a, o.Column)
	case !o.Rel.Array:
		r := b.alias()
		return fmt.Sprintf("(SELECT %s FROM %s %s WHERE %s)", col(r, o.Column), ident(o.Rel.To.Name), r, joinCond(o.Rel, r, a))
	default:
		r := b.alias()
		agg := "count(*)"
		if o.Fn != "count" {
			agg = o.Fn + "(" + col(r, o.Column) + ")"
		}
		return fmt.Sprintf("(SELECT %s FROM %s %s WHERE %s)", agg, ident(o.Rel.To.Name), r, joinCond(o.Rel, r, a))
	}
}

// base returns the SELECT of the rows of a list or aggregate field, over
// alias a, with the extra output columns proj (expression AS name), the
// order keys as o1, o2... and the given limit (-1: none).
func (b *sqlb) base(f *Field, p, a string, proj []string, limit int) string {
	var w strings.Builder
	w.WriteString("SELECT ")
	var keys []string
	for _, o := range f.Args.OrderBy {
		keys = append(keys, b.orderExpr(o, a))
	}
	if len(f.Args.DistinctOn) > 0 {
		// DISTINCT ON takes the same expressions as the first order keys
		// (the generator makes them the distinct columns).
		var d []string
		for _, c := range f.Args.DistinctOn {
			d = append(d, col(a, c))
		}
		w.WriteString("DISTINCT ON (" + strings.Join(d, ", ") + ") ")
	}
	cols := slices.Clone(proj)
	for i, k := range keys {
		cols = append(cols, k+" AS o"+strconv.Itoa(i+1))
	}
	if len(cols) == 0 {
		cols = []string{"1"}
	}
	w.WriteString(strings.Join(cols, ", "))
	fmt.Fprintf(&w, " FROM %s %s WHERE true", ident(f.Table.Name), a)
	if f.Rel != nil {
		w.WriteString(" AND " + joinCond(f.Rel, a, p))
	}
	if f.Args.Where != nil {
		w.WriteString(" AND " + b.where(f.Table, a, f.Args.Where))
	}
	if len(keys) > 0 {
		var ob []string
		for i, k := range keys {
			ob = append(ob, k+" "+dirSQL[f.Args.OrderBy[i].Dir])
		}
		w.WriteString(" ORDER BY " + strings.Join(ob, ", "))
	}
	if limit >= 0 {
		w.WriteString(" LIMIT " + strconv.Itoa(limit))
	}
	if f.Args.Offset != nil {
		w.WriteString(" OFFSET " + strconv.Itoa(f.Args.Offset.N))
	}
	return w.String()
}

// outerOrder returns the ORDER BY of an aggregation over rows (alias q)
// that carry the order keys as o1, o2...
func outerOrder(f *Field, q string) string {
	if len(f.Args.OrderBy) == 0 {
		return ""
	}
	var ob []string
	for i, o := range f.Args.OrderBy {
		ob = append(ob, q+".o"+strconv.Itoa(i+1)+" "+dirSQL[o.Dir])
	}
	return " ORDER BY " + strings.Join(ob, ", ")
}

// queryLimit returns the select's limit, -1 for none.
func queryLimit(f *Field) int {
	if f.Args.Limit == nil {
		return -1
	}
	return f.Args.Limit.N
}

// least returns the smaller of two limits, -1 meaning none.
func least(a, b int) int {
	switch {
	case a < 0:
		return b
	case b < 0:
		return a
	default:
		return min(a, b)
	}
}

// roleLimit returns the role's limit on t, -1 for none.
func (b *sqlb) roleLimit(t *Table) int {
	if l := b.role.Limit(t); l > 0 {
		return l
	}
	return -1
}

// list returns the JSON array of a list field: the role's limit caps the
// rows along with the query's.
func (b *sqlb) list(f *Field, p string) string {
	a, q := b.alias(), b.alias()
	limit := least(queryLimit(f), b.roleLimit(f.Table))
	base := b.base(f, p, a, []string{b.row(f.Table, f.Sel, a) + " AS j"}, limit)
	return fmt.Sprintf("(SELECT coalesce(json_agg(%s.j%s), '[]'::json) FROM (%s) %s)", q, outerOrder(f, q), base, q)
}

// aggregate returns the JSON object of an aggregate field. Its rows are
// a CTE read by each aggregate value and by nodes; the role's limit caps
// nodes (and, with CapAggregates, the CTE).
func (b *sqlb) aggregate(f *Field, p string) string {
	a, q := b.alias(), b.alias()
	limit := queryLimit(f)
	if b.capAgg {
		limit = least(limit, b.roleLimit(f.Table))
	}
	var proj []string
	if f.Agg.Nodes != nil {
		proj = append(proj, b.row(f.Table, f.Agg.Nodes, a)+" AS j")
	}
	seen := map[string]bool{}
	aggCol := func(c string) string {
		name := ident("c_" + c)
		if !seen[c] {
			seen[c] = true
			proj = append(proj, col(a, c)+" AS "+name)
		}
		return q + "." + name
	}
	var parts []string
	if f.Agg.HasAggregate() {
		var agg []string
		if c := f.Agg.Count; c != nil {
			expr := "count(*)"
			switch {
			case c.Column != "" && c.Distinct:
				expr = "count(DISTINCT " + aggCol(c.Column) + ")"
			case c.Column != "":
				expr = "count(" + aggCol(c.Column) + ")"
			}
			agg = append(agg, "'count'", fmt.Sprintf("(SELECT %s FROM %s)", expr, q))
		}
		for _, op := range f.Agg.Ops {
			var cols []string
			for _, c := range op.Columns {
				cols = append(cols, lit(c), fmt.Sprintf("(SELECT %s(%s) FROM %s)", op.Fn, aggCol(c), q))
			}
			agg = append(agg, lit(op.Fn), "json_build_object("+strings.Join(cols, ", ")+")")
		}
		parts = append(parts, "'aggregate'", "json_build_object("+strings.Join(agg, ", ")+")")
	}
	if f.Agg.Nodes != nil {
		nodes := fmt.Sprintf("(SELECT coalesce(json_agg(%s.j%s), '[]'::json) FROM %s)", q, outerOrder(f, q), q)
		if rl := b.roleLimit(f.Table); rl >= 0 && !b.capAgg {
			n := b.alias()
			var keys []string
			for i := range f.Args.OrderBy {
				keys = append(keys, q+".o"+strconv.Itoa(i+1))
			}
			sel := strings.Join(append([]string{q + ".j"}, keys...), ", ")
			nodes = fmt.Sprintf("(SELECT coalesce(json_agg(%s.j%s), '[]'::json) FROM (SELECT %s FROM %s%s LIMIT %d) %s)",
				n, outerOrder(f, n), sel, q, outerOrder(f, q), rl, n)
		}
		parts = append(parts, "'nodes'", nodes)
	}
	base := b.base(f, p, a, proj, limit)
	return fmt.Sprintf("(WITH %s AS (%s) SELECT json_build_object(%s))", q, base, strings.Join(parts, ", "))
}

// where returns the SQL condition of b over the row a of t.
func (b *sqlb) where(t *Table, a string, e *BoolExp) string {
	switch e.Op {
	case BoolTrue:
		return "true"
	case BoolAnd, BoolObj, BoolOr:
		if len(e.Children) == 0 {
			if e.Op == BoolOr {
				return "false"
			}
			return "true"
		}
		op := " AND "
		if e.Op == BoolOr {
			op = " OR "
		}
		var parts []string
		for _, c := range e.Children {
			parts = append(parts, b.where(t, a, c))
		}
		return "(" + strings.Join(parts, op) + ")"
	case BoolNot:
		return "(NOT " + b.where(t, a, e.Children[0]) + ")"
	case BoolCol:
		var parts []string
		for _, c := range e.Cmps {
			parts = append(parts, b.cmp(col(a, e.Column), c))
		}
		return "(" + strings.Join(parts, " AND ") + ")"
	case BoolRel:
		r := b.alias()
		return fmt.Sprintf("EXISTS (SELECT 1 FROM %s %s WHERE %s AND %s)", ident(e.Rel.To.Name), r, joinCond(e.Rel, r, a), b.where(e.Rel.To, r, e.Sub))
	case BoolAggCount:
		r := b.alias()
		filter := "true"
		if e.Sub != nil {
			filter = b.where(e.Rel.To, r, e.Sub)
		}
		count := fmt.Sprintf("(SELECT count(*) FROM %s %s WHERE %s AND %s)", ident(e.Rel.To.Name), r, joinCond(e.Rel, r, a), filter)
		return b.cmp(count, e.Pred)
	}
	panic(fmt.Sprintf("permdiff: bool op %d", e.Op))
}

var cmpSQL = map[string]string{
	"_eq": "=", "_neq": "<>", "_gt": ">", "_lt": "<", "_gte": ">=", "_lte": "<=",
	"_like": "LIKE", "_nlike": "NOT LIKE", "_ilike": "ILIKE", "_nilike": "NOT ILIKE",
}

// cmp returns the SQL of comparison c of expression x.
func (b *sqlb) cmp(x string, c *Cmp) string {
	switch c.Op {
	case "_is_null":
		if c.IsNull {
			return x + " IS NULL"
		}
		return x + " IS NOT NULL"
	case "_in", "_nin":
		if len(c.Values) == 0 {
			return map[string]string{"_in": "false", "_nin": "true"}[c.Op]
		}
		var ps []string
		for _, v := range c.Values {
			ps = append(ps, b.param(v))
		}
		op := " IN "
		if c.Op == "_nin" {
			op = " NOT IN "
		}
		return x + op + "(" + strings.Join(ps, ", ") + ")"
	}
	return x + " " + cmpSQL[c.Op] + " " + b.param(c.Value)
}

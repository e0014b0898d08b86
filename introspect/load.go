package introspect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Querier is what Load reads the catalogs through: a *pgx.Conn, a
// *pgxpool.Pool or a pgx.Tx.
//
// Load only begins a transaction (a savepoint inside a pgx.Tx), pins the
// settings that change how Postgres prints types and expressions, reads,
// and rolls back. Nothing is written, and the caller's session and
// transaction are left as they were.
type Querier interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// ErrSchemaNotFound is wrapped by the error Load returns when a schema it
// was asked for does not exist; the error's message names the schema.
var ErrSchemaNotFound = errors.New("introspect: schema does not exist")

// schemaNotFoundError names the missing schemas and wraps
// ErrSchemaNotFound.
type schemaNotFoundError struct{ names []string }

func (e *schemaNotFoundError) Error() string {
	q := make([]string, len(e.names))
	for i, n := range e.names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return "introspect: schema " + q[0] + " does not exist"
	}
	return "introspect: schemas " + strings.Join(q, ", ") + " do not exist"
}

func (e *schemaNotFoundError) Unwrap() error { return ErrSchemaNotFound }

// Load reads the tables, views, types and functions of the given Postgres
// schemas ("public" when none are given) and returns them sorted, with
// Version set.
//
// Load runs a fixed handful of catalog queries, however many tables there
// are. Its result does not depend on OIDs, on the session's search_path,
// DateStyle or TimeZone, nor on the order in which objects were created;
// types and expressions are printed by the server (format_type,
// pg_get_expr, pg_get_constraintdef) with an empty search_path, so every
// name outside pg_catalog is schema-qualified. Servers before PostgreSQL 12
// are not supported.
//
// A schema that does not exist is an error wrapping ErrSchemaNotFound.
func Load(ctx context.Context, db Querier, schemas []string) (*Schema, error) {
	if len(schemas) == 0 {
		schemas = []string{"public"}
	}
	schemas = slices.Clone(schemas)
	slices.Sort(schemas)
	schemas = slices.Compact(schemas)

	tx, err := db.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("introspect: begin: %w", err)
	}
	// Load only reads: rolling back also undoes the pinned settings.
	defer tx.Rollback(ctx)

	l := &loader{
		tx:      tx,
		schemas: schemas,
		s:       &Schema{Version: SnapshotVersion, Schemas: schemas},
		tables:  map[uint32]*relation{},
	}
	for _, step := range []struct {
		what string
		run  func(context.Context) error
	}{
		{"settings", l.pinSettings},
		{"schemas", l.checkSchemas},
		{"relations", l.loadRelations},
		{"columns", l.loadColumns},
		{"constraints", l.loadConstraints},
		{"functions", l.loadFunctions},
		{"types", l.loadTypes},
	} {
		if err := step.run(ctx); err != nil {
			var nf *schemaNotFoundError
			if errors.As(err, &nf) {
				return nil, err
			}
			return nil, fmt.Errorf("introspect: %s: %w", step.what, err)
		}
	}
	if err := l.build(); err != nil {
		return nil, err
	}
	l.s.Sort()
	return l.s, nil
}

// loader holds what the queries have read so far. OIDs tie rows together
// here and go no further.
type loader struct {
	tx      pgx.Tx
	schemas []string
	s       *Schema

	tables map[uint32]*relation
	order  []uint32 // relation OIDs in query order
	funcs  []function
	types  typeSet
}

// relation is a Table being read, with what is needed to finish it.
type relation struct {
	t       Table
	kind    string // relkind
	events  int    // pg_relation_is_updatable, triggers and rules counted
	instead int    // events handled by INSTEAD OF triggers or rules
	cols    []column
}

// column is a Column before its type is resolved.
type column struct {
	c       Column
	typ     uint32
	dims    int
	sql     string
	autoUpd bool // pg_column_is_updatable without triggers (views)
}

// function is a Function before its argument types are resolved.
type function struct {
	f         Function
	nDefaults int
	argNames  []string
	argTypes  []uint32
	argSQL    []string
	retType   uint32
	retSQL    string
}

// Events in pg_relation_is_updatable's bitmask: 1 << CMD_UPDATE, CMD_INSERT
// and CMD_DELETE.
const (
	eventUpdate = 4
	eventInsert = 8
	eventDelete = 16
)

func (l *loader) pinSettings(ctx context.Context) error {
	_, err := l.tx.Exec(ctx, pinSettingsSQL)
	return err
}

func (l *loader) checkSchemas(ctx context.Context) error {
	rows, err := l.tx.Query(ctx, missingSchemasSQL, l.schemas)
	if err != nil {
		return err
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return &schemaNotFoundError{names: missing}
	}
	return nil
}

var relationKinds = map[string]string{
	"r": KindTable,
	"p": KindPartitionedTable,
	"v": KindView,
	"m": KindMaterializedView,
	"f": KindForeignTable,
}

func (l *loader) loadRelations(ctx context.Context) error {
	rows, err := l.tx.Query(ctx, relationsSQL, l.schemas)
	if err != nil {
		return err
	}
	var (
		oid                   uint32
		schema, name, relkind string
		comment               string
		events, instead       int
	)
	_, err = pgx.ForEachRow(rows, []any{&oid, &schema, &name, &relkind, &comment, &events, &instead}, func() error {
		r := &relation{
			t: Table{
				Schema:     schema,
				Name:       name,
				Kind:       relationKinds[relkind],
				Comment:    comment,
				Insertable: events&eventInsert != 0,
				Updatable:  events&eventUpdate != 0,
				Deletable:  events&eventDelete != 0,
			},
			kind:    relkind,
			events:  events,
			instead: instead,
		}
		l.tables[oid] = r
		l.order = append(l.order, oid)
		return nil
	})
	return err
}

func (l *loader) loadColumns(ctx context.Context) error {
	rows, err := l.tx.Query(ctx, columnsSQL, l.schemas)
	if err != nil {
		return err
	}
	var (
		rel, typ               uint32
		name, sql              string
		position, dims         int
		notNull, autoUpd       bool
		def, genExpr           string
		identity, gen, comment string
	)
	_, err = pgx.ForEachRow(rows, []any{&rel, &name, &position, &typ, &dims, &sql, &notNull, &def, &genExpr,
		&identity, &gen, &comment, &autoUpd}, func() error {
		r := l.tables[rel]
		if r == nil {
			return nil // created between the two queries
		}
		c := column{
			c: Column{
				Name:                 name,
				Position:             position,
				NotNull:              notNull,
				Default:              def,
				Identity:             identityWords[identity],
				Generated:            generatedWords[gen],
				GenerationExpression: genExpr,
				Comment:              comment,
			},
			typ:     typ,
			dims:    dims,
			sql:     sql,
			autoUpd: autoUpd,
		}
		c.c.Insertable, c.c.Updatable = r.writable(&c)
		r.cols = append(r.cols, c)
		return nil
	})
	return err
}

var identityWords = map[string]string{"a": "always", "d": "by_default"}

var generatedWords = map[string]string{"s": "stored", "v": "virtual"}

// writable decides whether a value may be given for column c in an INSERT
// and in an UPDATE of r (see Column).
func (r *relation) writable(c *column) (insert, update bool) {
	if c.c.Generated != "" || c.c.Identity == "always" {
		return false, false
	}
	can := func(event int) bool {
		if r.events&event == 0 {
			return false
		}
		if r.kind != "v" {
			return true
		}
		return r.instead&event != 0 || c.autoUpd
	}
	return can(eventInsert), can(eventUpdate)
}

var fkActions = map[string]string{
	"a": "no action",
	"r": "restrict",
	"c": "cascade",
	"n": "set null",
	"d": "set default",
}

func (l *loader) loadConstraints(ctx context.Context) error {
	rows, err := l.tx.Query(ctx, constraintsSQL, l.schemas)
	if err != nil {
		return err
	}
	var (
		rel                          uint32
		name, contype                string
		cols, refCols                []string
		refSchema, refTable          string
		onUpdate, onDelete, checkDef string
	)
	_, err = pgx.ForEachRow(rows, []any{&rel, &name, &contype, &cols, &refSchema, &refTable, &refCols,
		&onUpdate, &onDelete, &checkDef}, func() error {
		r := l.tables[rel]
		if r == nil {
			return nil
		}
		t := &r.t
		switch contype {
		case "p":
			t.PrimaryKey = &Constraint{Name: name, Columns: cols}
		case "u":
			t.UniqueConstraints = append(t.UniqueConstraints, Constraint{Name: name, Columns: cols})
		case "f":
			t.ForeignKeys = append(t.ForeignKeys, ForeignKey{
				Name:       name,
				Columns:    cols,
				RefSchema:  refSchema,
				RefTable:   refTable,
				RefColumns: refCols,
				OnUpdate:   fkActions[onUpdate],
				OnDelete:   fkActions[onDelete],
			})
		case "c":
			t.Checks = append(t.Checks, Check{Name: name, Definition: checkDef})
		}
		// Each row scans into fresh slices: the ones above are kept.
		cols, refCols = nil, nil
		return nil
	})
	return err
}

// loadTypes reads every type a column or an argument uses, and the enums
// and domains of the chosen schemas.
func (l *loader) loadTypes(ctx context.Context) error {
	var used []uint32
	for _, r := range l.tables {
		for _, c := range r.cols {
			used = append(used, c.typ)
		}
	}
	for _, f := range l.funcs {
		used = append(used, f.argTypes...)
		if f.retType != 0 {
			used = append(used, f.retType)
		}
	}
	slices.Sort(used)
	used = slices.Compact(used)
	var err error
	l.types, err = readTypes(ctx, l.tx, l.schemas, used)
	return err
}

// build resolves column and argument types and fills l.s.
func (l *loader) build() error {
	listed := map[[2]string]bool{}
	l.s.Tables = make([]Table, 0, len(l.order))
	for _, oid := range l.order {
		r := l.tables[oid]
		t := r.t
		t.Columns = make([]Column, len(r.cols))
		for i, c := range r.cols {
			typ, err := l.types.typeOf(c.typ, c.dims, c.sql)
			if err != nil {
				return fmt.Errorf("introspect %s.%s: column %s: %w", t.Schema, t.Name, c.c.Name, err)
			}
			t.Columns[i] = c.c
			t.Columns[i].Type = typ
		}
		l.s.Tables = append(l.s.Tables, t)
		listed[[2]string{t.Schema, t.Name}] = true
	}
	if err := l.buildFunctions(listed); err != nil {
		return err
	}
	enums, domains, err := l.types.enumsAndDomains()
	if err != nil {
		return err
	}
	l.s.Enums, l.s.Domains = enums, domains
	return nil
}

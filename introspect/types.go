package introspect

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// pgType is a pg_type row as typesSQL returns it.
type pgType struct {
	schema, name string
	typtype      string // b, c, d, e, p, r, m
	isArray      bool
	elem         uint32 // array element type
	base         uint32 // domain base type
	baseDims     int    // domain: dimensions of an array base type
	baseSQL      string // domain: format_type of the base, typmod included
	notNull      bool
	def          string
	comment      string
	labels       []string
	checkNames   []string
	checkDefs    []string
}

// typeSet is the types read for one Load, by OID.
type typeSet map[uint32]*pgType

var typeKinds = map[string]string{
	"b": TypeBase,
	"c": TypeComposite,
	"d": TypeDomain,
	"e": TypeEnum,
	"p": TypePseudo,
	"r": TypeRange,
	"m": TypeMultirange,
}

func readTypes(ctx context.Context, tx pgx.Tx, schemas []string, used []uint32) (typeSet, error) {
	rows, err := tx.Query(ctx, typesSQL, schemas, used)
	if err != nil {
		return nil, err
	}
	ts := typeSet{}
	var (
		oid uint32
		t   pgType
	)
	_, err = pgx.ForEachRow(rows, []any{&oid, &t.schema, &t.name, &t.typtype, &t.isArray, &t.elem, &t.base,
		&t.baseDims, &t.baseSQL, &t.notNull, &t.def, &t.comment, &t.labels, &t.checkNames, &t.checkDefs}, func() error {
		c := t
		ts[oid] = &c
		t.labels, t.checkNames, t.checkDefs = nil, nil, nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ts, nil
}

// typeOf describes the type oid as a column or argument uses it: dims is the
// column's declared array dimensions (attndims, 0 when unknown) and sql the
// type as Postgres prints it there.
func (ts typeSet) typeOf(oid uint32, dims int, sql string) (Type, error) {
	t := ts[oid]
	if t == nil {
		return Type{}, fmt.Errorf("type %d was not read", oid)
	}
	if t.isArray {
		// Postgres does not enforce declared dimensions and often does not
		// record them (views, CREATE TABLE AS), so an array has at least one.
		dims = max(dims, 1)
		if t = ts[t.elem]; t == nil {
			return Type{}, fmt.Errorf("element type of %s was not read", sql)
		}
	} else {
		dims = 0
	}
	kind, ok := typeKinds[t.typtype]
	if !ok {
		return Type{}, fmt.Errorf("type %s.%s has unknown typtype %q", t.schema, t.name, t.typtype)
	}
	typ := Type{Schema: t.schema, Name: t.name, Kind: kind, Dims: dims, SQL: sql}
	if kind == TypeDomain {
		b, err := ts.domainBase(t)
		if err != nil {
			return Type{}, err
		}
		b = b.Scalar()
		typ.Base = &b
	}
	return typ, nil
}

// domainBase is the type domain d is declared over, which may be a domain.
func (ts typeSet) domainBase(d *pgType) (Type, error) {
	b, err := ts.typeOf(d.base, d.baseDims, d.baseSQL)
	if err != nil {
		return Type{}, fmt.Errorf("domain %s.%s: %w", d.schema, d.name, err)
	}
	return b, nil
}

// enumsAndDomains returns every enum and domain read: those of the chosen
// schemas and those the columns and arguments use, directly, as array
// elements or under domains.
func (ts typeSet) enumsAndDomains() ([]Enum, []Domain, error) {
	var (
		enums   []Enum
		domains []Domain
	)
	for _, t := range ts {
		switch t.typtype {
		case "e":
			enums = append(enums, Enum{
				Schema:  t.schema,
				Name:    t.name,
				Labels:  nonNil(t.labels),
				Comment: t.comment,
			})
		case "d":
			base, err := ts.domainBase(t)
			if err != nil {
				return nil, nil, fmt.Errorf("introspect %w", err)
			}
			d := Domain{
				Schema:  t.schema,
				Name:    t.name,
				Base:    base,
				NotNull: t.notNull,
				Default: t.def,
				Comment: t.comment,
			}
			for i, name := range t.checkNames {
				d.Checks = append(d.Checks, Check{Name: name, Definition: t.checkDefs[i]})
			}
			domains = append(domains, d)
		}
	}
	return enums, domains, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

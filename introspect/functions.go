package introspect

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// functionsSQL returns the plain functions of the chosen schemas that
// hasgen can track or use as computed fields: those that return (SETOF) a
// relation's row type, and those that return one value of a type that is
// not a pseudo-type and take at least one relation row as an argument:
//
//	schema, name, returns set, return schema, return relation,
//	return type oid, return type SQL, provolatile, comment,
//	number of defaults, input arg names, input arg type oids, input arg SQL,
//	variadic
//
// The return relation is empty for a scalar; the return type oid is 0 for
// a relation. Input arguments are IN, INOUT and VARIADIC ones, in order;
// OUT arguments are left out. Whether a relation is one Load lists is
// checked in Go.
const functionsSQL = `WITH fn AS (
	SELECT p.oid, p.pronamespace, p.proname, p.proretset, p.prorettype, p.provolatile, p.pronargdefaults, p.provariadic <> 0 AS variadic,
		ARRAY(SELECT k.typ
			FROM pg_catalog.unnest(coalesce(p.proallargtypes, p.proargtypes::pg_catalog.oid[])) WITH ORDINALITY AS k(typ, ord)
			WHERE coalesce(p.proargmodes[k.ord], 'i') IN ('i', 'b', 'v')
			ORDER BY k.ord) AS argtypes,
		ARRAY(SELECT coalesce(p.proargnames[k.ord], '')
			FROM pg_catalog.unnest(coalesce(p.proallargtypes, p.proargtypes::pg_catalog.oid[])) WITH ORDINALITY AS k(typ, ord)
			WHERE coalesce(p.proargmodes[k.ord], 'i') IN ('i', 'b', 'v')
			ORDER BY k.ord) AS argnames
	FROM pg_catalog.pg_proc p
	JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
	WHERE n.nspname = ANY ($1::text[]) AND p.prokind = 'f'
)
SELECT n.nspname::text, fn.proname::text, fn.proretset,
	coalesce(rn.nspname::text, ''), coalesce(rc.relname::text, ''),
	CASE WHEN rc.oid IS NULL THEN fn.prorettype ELSE 0 END,
	CASE WHEN rc.oid IS NULL THEN pg_catalog.format_type(fn.prorettype, NULL) ELSE '' END,
	fn.provolatile::text, coalesce(d.description, ''), fn.pronargdefaults,
	fn.argnames, fn.argtypes,
	ARRAY(SELECT pg_catalog.format_type(a.typ, NULL) FROM pg_catalog.unnest(fn.argtypes) WITH ORDINALITY AS a(typ, ord) ORDER BY a.ord),
	fn.variadic
FROM fn
JOIN pg_catalog.pg_namespace n ON n.oid = fn.pronamespace
JOIN pg_catalog.pg_type rt ON rt.oid = fn.prorettype
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = rt.typrelid AND rc.relkind IN ('r', 'v', 'm', 'p', 'f')
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_catalog.pg_description d
	ON d.objoid = fn.oid AND d.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objsubid = 0
WHERE rc.oid IS NOT NULL
	OR (NOT fn.proretset AND rt.typtype <> 'p' AND EXISTS (
		SELECT FROM pg_catalog.unnest(fn.argtypes) AS a(typ)
		JOIN pg_catalog.pg_type at ON at.oid = a.typ
		JOIN pg_catalog.pg_class ac ON ac.oid = at.typrelid AND ac.relkind IN ('r', 'v', 'm', 'p', 'f')))`

var volatilities = map[string]string{"i": "immutable", "s": "stable", "v": "volatile"}

func (l *loader) loadFunctions(ctx context.Context) error {
	rows, err := l.tx.Query(ctx, functionsSQL, l.schemas)
	if err != nil {
		return err
	}
	var (
		schema, name, retSchema, retTable string
		retSet, variadic                  bool
		retType                           uint32
		retSQL, volatility, comment       string
		nDefaults                         int
		argNames, argSQL                  []string
		argTypes                          []uint32
	)
	_, err = pgx.ForEachRow(rows, []any{&schema, &name, &retSet, &retSchema, &retTable, &retType, &retSQL,
		&volatility, &comment, &nDefaults, &argNames, &argTypes, &argSQL, &variadic}, func() error {
		l.funcs = append(l.funcs, function{
			f: Function{
				Schema:       schema,
				Name:         name,
				ReturnSchema: retSchema,
				ReturnTable:  retTable,
				Single:       retTable != "" && !retSet,
				Variadic:     variadic,
				Volatility:   volatilities[volatility],
				Comment:      comment,
			},
			nDefaults: nDefaults,
			argNames:  argNames,
			argTypes:  argTypes,
			argSQL:    argSQL,
			retType:   retType,
			retSQL:    retSQL,
		})
		argNames, argTypes, argSQL = nil, nil, nil
		return nil
	})
	return err
}

// buildFunctions resolves the functions' types and keeps those that
// concern a listed table: returning its rows, or taking its row.
func (l *loader) buildFunctions(listed map[[2]string]bool) error {
	for _, fn := range l.funcs {
		f := fn.f
		if f.ReturnTable != "" && !listed[[2]string{f.ReturnSchema, f.ReturnTable}] {
			continue
		}
		rowArg := false
		firstDefault := len(fn.argTypes) - fn.nDefaults
		for i, oid := range fn.argTypes {
			typ, err := l.types.typeOf(oid, 0, fn.argSQL[i])
			if err != nil {
				return fmt.Errorf("introspect %s.%s: argument %d: %w", f.Schema, f.Name, i+1, err)
			}
			if typ.Kind == TypeComposite && listed[[2]string{typ.Schema, typ.Name}] {
				rowArg = true
			}
			f.Args = append(f.Args, Arg{Name: fn.argNames[i], Type: typ, HasDefault: i >= firstDefault})
		}
		if fn.retType != 0 {
			if !rowArg {
				continue
			}
			typ, err := l.types.typeOf(fn.retType, 0, fn.retSQL)
			if err != nil {
				return fmt.Errorf("introspect %s.%s: return type: %w", f.Schema, f.Name, err)
			}
			f.ReturnType = &typ
		}
		l.s.Functions = append(l.s.Functions, f)
	}
	return nil
}

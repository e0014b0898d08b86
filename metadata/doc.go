// Package metadata reads hasgen's permissions file and checks it against
// the database.
//
// The file is Hasura v2's table metadata, so a Hasura project works as is:
// either a YAML list of table entries, or a Hasura metadata directory
// (databases/databases.yaml → tables.yaml → one file per table, joined by
// "!include"). It is the second stage of hasgen's pipeline: it reads an
// [introspect.Schema] and gives the stages after it a [Metadata] in which
// every table, column, relationship and operator has been checked, every
// relationship resolved to join columns, every '*' expanded, and every
// filter turned into a typed [BoolExp] tree. Nothing after this package
// reads YAML.
//
// # Loading
//
//	var s *introspect.Schema // introspected, or read from a JSON snapshot
//	m, err := metadata.Load("hasgen.yaml", s)
//	if err != nil {
//		// err is an ErrorList: every problem, sorted, one per line:
//		// tables/public_messages.yaml:14:19: select permission for role "user": column "bdy" is not in public.messages
//		fmt.Fprintln(os.Stderr, err)
//		return
//	}
//	for _, t := range m.Tables {
//		if p := t.SelectPermission("user"); p != nil {
//			fmt.Println(t.QualifiedName(), p.Columns, p.Filter) // public.messages [id body] (rel channel ...)
//		}
//	}
//
// Load reports every problem in one pass rather than stopping at the
// first: YAML syntax and type errors, unknown keys, tables, columns,
// relationships and operators, values of the wrong type for their column,
// malformed session variables, duplicate tables and roles, relationships
// that match no foreign key or collide with a column. Each is an *Error
// whose position is the file, line and column of the offending value.
//
// A foreign_key_constraint_on that names columns no constraint covers is
// reported as "has no foreign key constraint on (cols)": the metadata
// names constraints only through their columns, so that one message
// serves for both an unknown constraint and a relationship that matches
// no foreign key.
//
// # Boolean expressions
//
// Filters and checks become a tree of *And, *Or, *Not, *Compare,
// *CompareColumns, *Related and *Exists (see [BoolExp] for the contract a
// compiler relies on). Operators are in their canonical spelling ("$eq" and
// "_eq" both give [OpEq]); a bare value means _eq; {} is an empty And,
// true. A string starting with "x-hasura-" (in any case) is a
// [SessionVar], its name in lower case; everything else is a [Literal]
// holding the decoded YAML value. String prints a tree compactly:
//
//	(and (_eq author_id x-hasura-user-id) (rel channel (_eq is_public true)))
//
// hasgen is stricter than Hasura in two places: `_eq: null` is an error
// (it never matches; use _is_null), and a session variable cannot be an
// item of an _in list (Hasura would read it as a literal string).
//
// # Writing
//
// [Infer] builds the metadata `hasgen init` starts from (every table, a
// relationship per foreign key, named as Hasura's console names them, no
// permissions) and [Marshal] writes any Metadata back as a table list;
// [Starter] is the two with a header comment. Output is deterministic.
//
// # Functions and computed fields
//
// A database source's functions (functions.yaml) become [Function]s:
// each is checked against the introspected functions (one definition,
// returning a tracked table's rows; exposed_as mutation only when
// VOLATILE, and VOLATILE ones are mutations when exposed_as is absent; a
// session_argument of type json or jsonb). A table's computed fields get
// their function checked the same way (the table argument, else the
// first, of the table's row type; a scalar or SETOF a tracked table), and
// scalar ones without arguments may appear in filters, where a *Compare
// carries them as Computed (functions.go).
//
// # Not supported
//
// Event triggers, remote relationships and validate_input are read and
// kept (or ignored, with a warning for remote relationships) but not
// served. Only one database source is read from a databases.yaml;
// inherited roles are not read. A table entry for a table that does not
// exist is reported and not checked further.
package metadata

package catalog

import (
	"maps"
	"slices"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// Writer accumulates one SQL statement and the sources of its bind
// parameters. It has two renderings of a parameter: a single request binds
// $n; a multiplexed live query reads the value from the subscriber's row of
// a batch ("_subs"."vars"->>n), so that one statement serves many
// subscribers.
type Writer struct {
	b       []byte
	params  []Param
	aliases int
	mux     bool
	// tables are the tables the statement reads, by quoted name.
	tables map[string]bool
	// sources replace a table by another row source in this statement:
	// a mutation's own rows, written earlier in the same statement.
	sources map[string]string
}

// Param is where a bind parameter's value comes from when a compiled
// statement runs: a constant from the query text, a request variable, or a
// session variable.
type Param struct {
	// Session names a session variable (lower case); the value is its
	// string.
	Session string
	// Var names a request variable, and Path the way into its value (map
	// keys as strings, list indexes as ints).
	Var  string
	Path []any
	// SessionJSON, when set, makes the value the whole session as a JSON
	// object (a function's session argument).
	SessionJSON bool
	// Const is the value when neither Session nor Var is set.
	Const any
	// Literal, with EncodeJSON, is an input literal of the query whose
	// variables are filled in when the statement runs: a mutation's rows.
	Literal *ast.Value
	// Encoding says how the value is bound.
	Encoding Encoding
}

// Encoding is how a parameter value is passed to Postgres.
type Encoding uint8

// Encodings. Every value is sent as text and cast in SQL to its column
// type, as Hasura does; lists go as text[] and JSON values as their text.
const (
	EncodeText     Encoding = iota // scalar → its text form
	EncodeJSON                     // any JSON value → its JSON text
	EncodeTextList                 // list of scalars → text[]
	EncodeArrayLit                 // Postgres array literal string (session variables for _in)
	EncodeJSONPath                 // a JSON path ("$.a[0]", ".a", "a") → text[] for #>
	EncodeJSONList                 // list of JSON values → text[] of their JSON texts (jsonb _in)
	EncodeArray                    // list, nested for multi-dimensional arrays → Postgres array literal text
)

// NewWriter returns a Writer for a single statement; mux selects the
// multiplexed rendering.
func NewWriter(mux bool) *Writer {
	return &Writer{b: make([]byte, 0, 512), mux: mux}
}

// Multiplexed reports whether the statement serves a batch of live-query
// subscribers, each reading the statement's rows for itself.
func (w *Writer) Multiplexed() bool { return w.mux }

// Write appends SQL text.
func (w *Writer) Write(parts ...string) {
	for _, p := range parts {
		w.b = append(w.b, p...)
	}
}

// WriteString appends SQL text.
func (w *Writer) WriteString(s string) { w.b = append(w.b, s...) }

// Alias returns a new quoted table alias, unique within the statement:
// "_0", "_1", ...
func (w *Writer) Alias() string {
	a := `"_` + strconv.Itoa(w.aliases) + `"`
	w.aliases++
	return a
}

// Table returns what to read a table (quoted and qualified:
// "public"."albums") from in this statement, and records that the
// statement reads it. It is the table itself, unless the statement writes
// the table and must also see the rows it writes.
func (w *Writer) Table(name string) string {
	if w.tables == nil {
		w.tables = map[string]bool{}
	}
	w.tables[name] = true
	if src, ok := w.sources[name]; ok {
		return src
	}
	return name
}

// HasSource reports whether table (quoted and qualified) is read from a
// row source set by SetSource.
func (w *Writer) HasSource(table string) bool {
	_, ok := w.sources[table]
	return ok
}

// SetSource makes the statement read table (quoted and qualified) from
// the row source sql instead: a mutation reads the tables it writes as
// "the table as it was, plus the rows written".
func (w *Writer) SetSource(table, sql string) {
	if w.sources == nil {
		w.sources = map[string]string{}
	}
	w.sources[table] = sql
}

// Tables returns the tables the statement reads, sorted.
func (w *Writer) Tables() []string { return slices.Sorted(maps.Keys(w.tables)) }

// Session writes a session variable as a parameter cast to typ. A missing
// variable is an error when the statement runs (not-found), not here: the
// compiled statement is shared by every session of the role.
func (w *Writer) Session(name, typ string) {
	w.Param(Param{Session: name}, typ)
}

// SessionArray writes a session variable holding a Postgres array literal
// ("{1,2}") as a parameter cast to typ[]: the operand of _in, _nin and
// _has_keys_* in permissions.
func (w *Writer) SessionArray(name, typ string) {
	w.Param(Param{Session: name, Encoding: EncodeArrayLit}, typ+"[]")
}

// SessionObject writes the session variables, as one JSON object, as a
// parameter cast to typ (json or jsonb): a function's session argument.
func (w *Writer) SessionObject(typ string) {
	w.Param(Param{SessionJSON: true}, typ)
}

// Param writes a parameter with the given source, cast to typ.
func (w *Writer) Param(p Param, typ string) {
	n := len(w.params)
	w.params = append(w.params, p)
	if w.mux {
		// The subscriber's values are a JSON array of texts (or of text
		// arrays); element n is this parameter.
		switch p.Encoding {
		case EncodeTextList, EncodeJSONPath, EncodeJSONList:
			w.Write(`(ARRAY(SELECT json_array_elements_text("_subs"."vars"->`, strconv.Itoa(n), `)))::`, typ)
		default:
			w.Write(`(("_subs"."vars"->>`, strconv.Itoa(n), `))::`, typ)
		}
		return
	}
	w.Write("$", strconv.Itoa(n+1), "::", typ)
}

// String returns the SQL written so far.
func (w *Writer) String() string { return string(w.b) }

// Params returns the parameters written so far.
func (w *Writer) Params() []Param { return w.params }

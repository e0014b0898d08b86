// Package kriti parses and evaluates Kriti, the JSON template language of
// Hasura's request transforms (github.com/hasura/kriti-lang).
//
// A template is JSON with expressions in {{ }}: paths ($body.a.b,
// $body['x'], $body[0], optional $body?.a and $body?['a']), literals,
// string interpolation ("id-{{ $body.id }}"), {{ if }} {{ elif }}
// {{ else }} {{ end }}, {{ range i, x := … }} {{ end }}, c ? a : b, the
// operators == != > < >= <= && || in ?? and functions (empty, size, inverse, head,
// tail, toCaseFold, toLower, toUpper, toTitle, fromPairs, toPairs,
// removeNulls, concat, escapeUri, not, and Hasura's getSessionVariable).
//
//	t, err := kriti.Parse(`{"name": {{ $body.event.data.new.name }}}`)
//	out, err := kriti.EvalJSON(t, map[string]any{"$body": body}, nil)
//
// Values are JSON values as encoding/json decodes them with UseNumber:
// nil, bool, json.Number, string, []any and map[string]any (DecodeJSON).
// Marshal writes them as Hasura (Aeson) does: keys sorted, no HTML
// escaping, numbers in Haskell's Scientific forms (1e3 is 1000, 0.05 is
// 5.0e-2).
//
// Errors carry a position: *Error{Line, Col, Msg}. What the package does
// not serve is refused by name at parse time. Evaluation is bounded
// (MaxDepth, MaxSteps) so that a hostile template can neither hang nor
// exhaust the stack.
package kriti

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"unicode/utf8"
)

// MaxDepth bounds how deeply a template's expressions may nest.
const MaxDepth = 200

// MaxSteps bounds the evaluation steps of one Eval (nodes evaluated,
// loop iterations and elements touched by functions).
const MaxSteps = 1 << 20

// MaxOutput bounds the JSON text of one value Marshal or EvalJSON
// writes, and of the strings a template builds: a range may repeat a
// large input value many times.
const MaxOutput = 64 << 20

// Error is a parse or evaluation error at a 1-based line and column (in
// characters) of the template source.
type Error struct {
	Line, Col int
	Msg       string
}

// Error formats the error as line:col: message.
func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Template is a parsed Kriti template; it is immutable and safe for
// concurrent use.
type Template struct {
	src  string
	root *node
	// shift is subtracted from columns on line 1 (ParseInterpolated adds a
	// quote before the source).
	shift int
	vars  []VarRef
	// lines holds the offset of each line's start, so that a position
	// costs O(log n).
	lines []int
}

// newTemplate indexes src's lines.
func newTemplate(src string, shift int) *Template {
	t := &Template{src: src, shift: shift, lines: []int{0}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			t.lines = append(t.lines, i+1)
		}
	}
	return t
}

// VarRef is a use of a variable that no range binds: one of the
// variables the caller passes to Eval.
type VarRef struct {
	Name      string
	Line, Col int
}

// Func is a function templates may call with one argument.
type Func func(arg any) (any, error)

// Parse parses a whole template (a JSON value with {{ }} expressions).
func Parse(src string) (*Template, error) {
	t := newTemplate(src, 0)
	p := &parser{src: src, t: t}
	root, err := p.parseTemplate()
	if err != nil {
		return nil, err
	}
	t.root = root
	return t, nil
}

// ParseInterpolated parses a string template: literal text with {{ }}
// expressions inside, as the URL, header values, query parameters and
// form fields of a request transform are. Like Hasura, it reads src as
// the inside of a Kriti string literal, so backslash escapes apply and an
// unescaped double quote is an error.
func ParseInterpolated(src string) (*Template, error) {
	t := newTemplate(`"`+src+`"`, 1)
	p := &parser{src: t.src, t: t}
	root, err := p.parseTemplate()
	if err != nil {
		return nil, err
	}
	if root.kind != kStringTem && root.kind != kString {
		return nil, t.errAt(0, "not a string template")
	}
	t.root = root
	return t, nil
}

// Vars lists the variables the template reads that no range binds, in
// source order: the caller checks them against what it passes to Eval.
func (t *Template) Vars() []VarRef { return t.vars }

// Source returns the template's source text.
func (t *Template) Source() string {
	if t.shift > 0 {
		return t.src[1 : len(t.src)-1]
	}
	return t.src
}

// Eval evaluates t with vars (names include their $, as in "$body") and
// the built-in functions plus fns (which may override them). It returns a
// JSON value (see the package doc).
func Eval(t *Template, vars map[string]any, fns map[string]Func) (any, error) {
	e := &evaluator{t: t, vars: vars, fns: fns}
	return e.eval(t.root, 0)
}

// EvalJSON is Eval followed by Marshal.
func EvalJSON(t *Template, vars map[string]any, fns map[string]Func) ([]byte, error) {
	v, err := Eval(t, vars, fns)
	if err != nil {
		return nil, err
	}
	b, err := Marshal(v)
	if err != nil {
		return nil, t.errAt(0, "%v", err)
	}
	return b, nil
}

// DecodeJSON decodes one JSON value into the form Eval reads (numbers as
// json.Number, so that large integers keep their digits).
func DecodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if d.More() {
		return nil, fmt.Errorf("decode JSON: data after the value")
	}
	return v, nil
}

// Marshal encodes a JSON value as Hasura does: object keys sorted, no
// HTML escaping.
func Marshal(v any) ([]byte, error) {
	return appendJSON(nil, v)
}

// errAt builds an *Error at byte offset off of t's source.
func (t *Template) errAt(off int, format string, args ...any) *Error {
	line, col := t.position(off)
	return &Error{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// position turns a byte offset into a 1-based line and column.
func (t *Template) position(off int) (line, col int) {
	if off > len(t.src) {
		off = len(t.src)
	}
	line = sort.Search(len(t.lines), func(i int) bool { return t.lines[i] > off })
	start := t.lines[line-1]
	col = utf8.RuneCountInString(t.src[start:off]) + 1
	if line == 1 && t.shift > 0 {
		col -= t.shift
		if col < 1 {
			col = 1
		}
	}
	return line, col
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

package metadata

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// This file is the YAML layer: reading files, following !include, anchors
// and aliases, and turning AST nodes into Go values while keeping every
// position. Nothing here knows about tables or permissions.

// maxAliases bounds alias expansions per load, so that a small file of
// nested aliases ("billion laughs") cannot make the walk exponential.
const maxAliases = 10000

// fileSystem reads the files of a load and joins include paths. Load uses
// the OS's; LoadFS an fs.FS.
type fileSystem interface {
	read(name string) ([]byte, error)
	// join resolves an include target relative to the including file.
	join(from, target string) string
}

// yfile is one parsed file.
type yfile struct {
	name    string
	body    ast.Node // nil for an empty file
	anchors map[string]ast.Node
	ok      bool // read and parsed without error
}

// frame is one step of the !include chain that led to a node, for
// positions (the innermost file) and cycle detection.
type frame struct {
	file   *yfile
	parent *frame
}

// ynode is an AST node and the include chain it was reached through.
type ynode struct {
	n  ast.Node
	fr *frame
	// bad marks a node whose problem is already reported (a missing
	// include, an unknown alias): callers skip it silently.
	bad bool
}

func (x ynode) child(n ast.Node) ynode { return ynode{n: n, fr: x.fr} }

// pos returns where x starts. For a block mapping that is its first key
// (the parser's own token for it is the first ':').
func (x ynode) pos() Pos {
	file := ""
	if x.fr != nil {
		file = x.fr.file.name
	}
	var tk *token.Token
	switch n := x.n.(type) {
	case nil:
		return Pos{File: file}
	case *ast.MappingNode:
		if !n.IsFlowStyle && len(n.Values) > 0 && n.Values[0].Key != nil {
			tk = n.Values[0].Key.GetToken()
		} else {
			tk = n.Start
		}
	case *ast.MappingValueNode:
		if n.Key != nil {
			tk = n.Key.GetToken()
		}
	case *ast.LiteralNode:
		tk = n.Start
	default:
		tk = n.GetToken()
	}
	return tokenPos(file, tk)
}

func tokenPos(file string, tk *token.Token) Pos {
	if tk == nil || tk.Position == nil {
		return Pos{File: file}
	}
	return Pos{File: file, Line: tk.Position.Line, Col: tk.Position.Column}
}

// loader holds the state of one Load: the files read so far, the problems
// found, and the database to check against.
type loader struct {
	fs      fileSystem
	files   map[string]*yfile
	aliases int
	errs    ErrorList
	warns   ErrorList
	unsup   ErrorList
	// functions is the chosen database source's functions key, or nil
	// (functions.go reads it).
	functions *ynode
	// trig holds the triggers read so far (triggers.go).
	trig triggerState
	// actionsRead is set once actions.yaml was read (actions.go).
	actionsRead bool
}

func (l *loader) errorf(p Pos, ctx, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if ctx != "" {
		msg = ctx + ": " + msg
	}
	l.errs = append(l.errs, &Error{Pos: p, Msg: msg})
}

// file reads and parses name once; at is the !include that asked for it
// (zero for the root file), where a read error is reported.
func (l *loader) file(name string, at Pos) *yfile {
	if f, ok := l.files[name]; ok {
		return f
	}
	f := &yfile{name: name, anchors: map[string]ast.Node{}}
	l.files[name] = f
	if at.File == "" {
		at = Pos{File: name}
	}
	data, err := l.fs.read(name)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			l.errorf(at, "", "cannot read %s: file not found", name)
		default:
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			l.errorf(at, "", "cannot read %s: %v", name, err)
		}
		return f
	}
	if !utf8.Valid(data) {
		l.errorf(Pos{File: name}, "", "the file is not valid UTF-8")
		return f
	}
	af, err := parser.ParseBytes(data, 0)
	if err != nil {
		p := Pos{File: name}
		msg := err.Error()
		var ye yaml.Error
		if errors.As(err, &ye) {
			p = tokenPos(name, ye.GetToken())
			msg = ye.GetMessage()
		}
		l.errorf(p, "", "YAML: %s", msg)
		return f
	}
	if len(af.Docs) > 1 {
		l.errorf(ynode{n: af.Docs[1].Body, fr: &frame{file: f}}.pos(), "", "a permissions file holds one YAML document, not %d", len(af.Docs))
		return f
	}
	if len(af.Docs) == 1 {
		f.body = af.Docs[0].Body
	}
	collectAnchors(f.body, f.anchors)
	f.ok = true
	return f
}

// collectAnchors records every &anchor of n. A name defined twice keeps its
// last definition.
func collectAnchors(n ast.Node, m map[string]ast.Node) {
	switch n := n.(type) {
	case *ast.AnchorNode:
		if n.Name != nil {
			m[n.Name.GetToken().Value] = n.Value
		}
		collectAnchors(n.Value, m)
	case *ast.MappingNode:
		for _, v := range n.Values {
			collectAnchors(v, m)
		}
	case *ast.MappingValueNode:
		collectAnchors(n.Key, m)
		collectAnchors(n.Value, m)
	case *ast.MappingKeyNode:
		collectAnchors(n.Value, m)
	case *ast.SequenceNode:
		for _, v := range n.Values {
			collectAnchors(v, m)
		}
	case *ast.TagNode:
		collectAnchors(n.Value, m)
	}
}

// deref follows anchors, aliases, tags and !include (as a tag or as a
// string "!include file.yaml", the way Hasura's CLI writes it) to the node
// that holds the value.
func (l *loader) deref(x ynode) ynode { return l.resolve(x, true) }

// resolve is deref; includes false leaves "!include ..." strings alone,
// for literal values inside filters and presets.
func (l *loader) resolve(x ynode, includes bool) ynode {
	for {
		if x.bad || x.n == nil {
			return x
		}
		switch n := x.n.(type) {
		case *ast.AnchorNode:
			x.n = n.Value
		case *ast.AliasNode:
			name := ""
			if n.Value != nil {
				name = n.Value.GetToken().Value
			}
			target, ok := x.fr.file.anchors[name]
			if !ok {
				l.errorf(x.pos(), "", "alias *%s refers to no anchor", name)
				return ynode{bad: true}
			}
			if l.aliases >= maxAliases {
				l.errorf(x.pos(), "", "too many alias expansions (more than %d)", maxAliases)
				return ynode{bad: true}
			}
			l.aliases++
			x.n = target
		case *ast.TagNode:
			tag := n.Start.Value
			switch {
			case tag == "!include":
				target, ok := n.Value.(*ast.StringNode)
				if !ok {
					l.errorf(x.pos(), "", "!include needs a file name")
					return ynode{bad: true}
				}
				if !includes {
					return x.child(target)
				}
				x = l.include(x, target.Value)
			case tag == "!!str":
				if _, scalar := n.Value.(ast.ScalarNode); scalar {
					if tk := n.Value.GetToken(); tk != nil {
						x.n = &ast.StringNode{BaseNode: &ast.BaseNode{}, Token: tk, Value: tk.Value}
						continue
					}
				}
				x.n = n.Value
			case strings.HasPrefix(tag, "!!"):
				x.n = n.Value
			default:
				l.errorf(x.pos(), "", "unsupported YAML tag %s", tag)
				return ynode{bad: true}
			}
		case *ast.StringNode:
			if includes && strings.HasPrefix(n.Value, "!include ") {
				x = l.include(x, strings.TrimSpace(strings.TrimPrefix(n.Value, "!include ")))
				continue
			}
			return x
		default:
			return x
		}
	}
}

// include returns the body of the file target, relative to the file of x.
func (l *loader) include(x ynode, target string) ynode {
	p := x.pos()
	if target == "" {
		l.errorf(p, "", "!include needs a file name")
		return ynode{bad: true}
	}
	name := l.fs.join(x.fr.file.name, target)
	for f := x.fr; f != nil; f = f.parent {
		if f.file.name == name {
			l.errorf(p, "", "!include %s: the file includes itself", target)
			return ynode{bad: true}
		}
	}
	f := l.file(name, p)
	if !f.ok {
		return ynode{bad: true}
	}
	return ynode{n: f.body, fr: &frame{file: f, parent: x.fr}}
}

// field is one key: value of a mapping.
type field struct {
	key    string
	keyPos Pos
	val    ynode
}

// mapping returns the entries of the mapping x, in file order. what names
// x in a type error ("select permission", "using").
func (l *loader) mapping(x ynode, ctx, what string) ([]field, bool) {
	x = l.deref(x)
	if x.bad {
		return nil, false
	}
	var pairs []*ast.MappingValueNode
	switch n := x.n.(type) {
	case *ast.MappingNode:
		pairs = n.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{n}
	default:
		l.typeError(x, ctx, what, "a mapping")
		return nil, false
	}
	fields := make([]field, 0, len(pairs))
	ok := true
	for _, mv := range pairs {
		k := x.child(mv.Key)
		key, good := l.key(k, ctx)
		if !good {
			ok = false
			continue
		}
		fields = append(fields, field{key: key, keyPos: k.pos(), val: x.child(mv.Value)})
	}
	return fields, ok
}

// key returns a mapping key as a string.
func (l *loader) key(k ynode, ctx string) (string, bool) {
	switch n := k.n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return n.GetToken().Value, true
	case *ast.MergeKeyNode:
		l.errorf(k.pos(), ctx, "merge keys (<<) are not supported")
		return "", false
	}
	l.errorf(k.pos(), ctx, "a mapping key must be a plain name")
	return "", false
}

// seq returns the items of the list x.
func (l *loader) seq(x ynode, ctx, what string) ([]ynode, bool) {
	x = l.deref(x)
	if x.bad {
		return nil, false
	}
	n, ok := x.n.(*ast.SequenceNode)
	if !ok {
		l.typeError(x, ctx, what, "a list")
		return nil, false
	}
	items := make([]ynode, len(n.Values))
	for i, v := range n.Values {
		items[i] = x.child(v)
	}
	return items, true
}

// isString reports whether the resolved node x is a string.
func isString(x ynode) bool {
	switch x.n.(type) {
	case *ast.StringNode, *ast.LiteralNode:
		return true
	}
	return false
}

// rawString returns the string of the resolved node x, not following
// "!include" strings: for literal values.
func rawString(x ynode) (string, bool) {
	switch n := x.n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		if n.Value != nil {
			return n.Value.Value, true
		}
		return "", true
	}
	return "", false
}

// isNull reports whether x is null or absent.
func (l *loader) isNull(x ynode) bool {
	x = l.deref(x)
	if x.bad {
		return false
	}
	switch x.n.(type) {
	case nil, *ast.NullNode:
		return true
	}
	return false
}

// str returns the string x.
func (l *loader) str(x ynode, ctx, what string) (string, bool) {
	x = l.deref(x)
	if x.bad {
		return "", false
	}
	switch n := x.n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		if n.Value != nil {
			return n.Value.Value, true
		}
	}
	l.typeError(x, ctx, what, "a string")
	return "", false
}

// name returns the non-empty string x.
func (l *loader) name(x ynode, ctx, what string) (string, bool) {
	s, ok := l.str(x, ctx, what)
	if ok && s == "" {
		l.errorf(l.deref(x).pos(), ctx, "%s must not be empty", what)
		return "", false
	}
	return s, ok
}

// boolean returns the bool x.
func (l *loader) boolean(x ynode, ctx, what string) (bool, bool) {
	x = l.deref(x)
	if x.bad {
		return false, false
	}
	if n, ok := x.n.(*ast.BoolNode); ok {
		return n.Value, true
	}
	l.typeError(x, ctx, what, "true or false")
	return false, false
}

// count returns the non-negative integer x.
func (l *loader) count(x ynode, ctx, what string) (int, bool) {
	x = l.deref(x)
	if x.bad {
		return 0, false
	}
	if n, ok := x.n.(*ast.IntegerNode); ok {
		switch v := n.Value.(type) {
		case int64:
			if v >= 0 && v <= math.MaxInt32 {
				return int(v), true
			}
		case uint64:
			if v <= math.MaxInt32 {
				return int(v), true
			}
		}
	}
	l.typeError(x, ctx, what, "a non-negative 32-bit integer")
	return 0, false
}

// typeError reports that x is not what was expected.
func (l *loader) typeError(x ynode, ctx, what, want string) {
	l.errorf(x.pos(), ctx, "%s must be %s, not %s", what, want, describe(x.n))
}

// describe names a node's value for a type error: `the string "ten"`,
// `the number 5`, `a list`.
func describe(n ast.Node) string {
	switch n := n.(type) {
	case nil, *ast.NullNode:
		return "null"
	case *ast.StringNode:
		return "the string " + quoteShort(n.Value)
	case *ast.LiteralNode:
		if n.Value != nil {
			return "the string " + quoteShort(n.Value.Value)
		}
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + n.GetToken().Value
	case *ast.BoolNode:
		return strconv.FormatBool(n.Value)
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	return "a " + strings.ToLower(n.Type().String())
}

// describeValue names a decoded literal like describe names a node.
func describeValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "the string " + quoteShort(v)
	case json.Number:
		return "the number " + v.String()
	case bool:
		return strconv.FormatBool(v)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return "a value"
}

func quoteShort(s string) string {
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return strconv.Quote(s)
}

// literal decodes x into what encoding/json would give with UseNumber.
// Strings are not followed as !include.
func (l *loader) literal(x ynode, ctx string, depth int) (any, bool) {
	x = l.resolve(x, false)
	if x.bad {
		return nil, false
	}
	if depth > 100 {
		l.errorf(x.pos(), ctx, "the value is nested too deeply")
		return nil, false
	}
	switch n := x.n.(type) {
	case nil, *ast.NullNode:
		return nil, true
	case *ast.BoolNode:
		return n.Value, true
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		if n.Value != nil {
			return n.Value.Value, true
		}
		return "", true
	case *ast.IntegerNode:
		switch v := n.Value.(type) {
		case int64:
			return json.Number(strconv.FormatInt(v, 10)), true
		case uint64:
			return json.Number(strconv.FormatUint(v, 10)), true
		}
	case *ast.FloatNode:
		text := n.Token.Value
		if json.Valid([]byte(text)) {
			return json.Number(text), true
		}
		if !math.IsInf(n.Value, 0) && !math.IsNaN(n.Value) {
			return json.Number(strconv.FormatFloat(n.Value, 'g', -1, 64)), true
		}
	case *ast.SequenceNode:
		list := make([]any, 0, len(n.Values))
		ok := true
		for _, v := range n.Values {
			item, good := l.literal(x.child(v), ctx, depth+1)
			ok = ok && good
			list = append(list, item)
		}
		return list, ok
	case *ast.MappingNode, *ast.MappingValueNode:
		fields, ok := l.mapping(x, ctx, "a value")
		m := make(map[string]any, len(fields))
		for _, f := range fields {
			v, good := l.literal(f.val, ctx, depth+1)
			ok = ok && good
			m[f.key] = v
		}
		return m, ok
	}
	l.errorf(x.pos(), ctx, "%s is not a value Postgres can take", describe(x.n))
	return nil, false
}

package metadata

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/hasgen/hasgen/introspect"
)

// Load reads the permissions file at path and validates it against s.
//
// path is either a YAML file or a directory. A file holds the list of
// table entries (`- table: {schema: public, name: messages}`), or is a
// Hasura databases.yaml. A directory is a Hasura metadata directory (the
// one holding databases/databases.yaml) or a Hasura project directory
// holding metadata/. From databases.yaml, the tables of one database
// source are read: the only one, else the one named "default", else the
// first of kind postgres; Metadata.Warnings says when others were skipped.
//
// A metadata directory in Hasura's older layout, with metadata/tables.yaml,
// is read too.
//
// "!include file.yaml", as a string (how Hasura's CLI writes it) or as a
// YAML tag, is replaced by the file's content, relative to the including
// file. An included file holds one table entry or a list of them.
//
// On any problem Load returns a nil *Metadata and an ErrorList with every
// problem found, each with its file:line:col. A file that cannot be read
// at all is reported the same way.
func Load(path string, s *introspect.Schema) (*Metadata, error) {
	root := path
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		root = findDatabases(osFS{}, path, filepath.Join)
	}
	return load(osFS{}, root, s)
}

// LoadFS is Load on a file system: name is a slash-separated path in fsys,
// and an !include may not leave fsys.
func LoadFS(fsys fs.FS, name string, s *introspect.Schema) (*Metadata, error) {
	root := name
	if fi, err := fs.Stat(fsys, name); err == nil && fi.IsDir() {
		root = findDatabases(ioFS{fsys}, name, path.Join)
	}
	return load(ioFS{fsys}, root, s)
}

// findDatabases returns databases/databases.yaml under dir or under
// dir/metadata, whichever exists, else the tables.yaml of Hasura's older
// single-database layout; else the first, to be reported missing.
func findDatabases(fsys fileSystem, dir string, join func(...string) string) string {
	first := join(dir, "databases", "databases.yaml")
	for _, p := range []string{
		first, join(dir, "metadata", "databases", "databases.yaml"),
		join(dir, "tables.yaml"), join(dir, "metadata", "tables.yaml"),
	} {
		if _, err := fsys.read(p); err == nil {
			return p
		}
	}
	return first
}

type osFS struct{}

func (osFS) read(name string) ([]byte, error) { return os.ReadFile(name) }

func (osFS) join(from, target string) string {
	if filepath.IsAbs(target) {
		return filepath.Clean(target)
	}
	return filepath.Join(filepath.Dir(from), filepath.FromSlash(target))
}

type ioFS struct{ fsys fs.FS }

func (f ioFS) read(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.New("the path leaves the file system")}
	}
	return fs.ReadFile(f.fsys, name)
}

func (ioFS) join(from, target string) string {
	return path.Join(path.Dir(from), target)
}

// load runs the whole pipeline on the root file.
func load(fsys fileSystem, root string, s *introspect.Schema) (*Metadata, error) {
	if s == nil {
		return nil, errors.New("metadata: Load needs the database schema")
	}
	l := &loader{fs: fsys, files: map[string]*yfile{}}
	v := &validator{loader: l, s: s, tables: map[string]*Table{}}
	m := &Metadata{}
	if f := l.file(root, Pos{}); f.ok {
		x := ynode{n: f.body, fr: &frame{file: f}}
		var entries []ynode
		m.Source, entries = l.entries(x)
		v.run(entries)
		m.Tables = v.sorted()
		m.Functions = v.functions()
	}
	_, slash := fsys.(ioFS)
	if name := apiLimitsFile(root, slash); name != "" {
		m.APILimits = l.apiLimits(name)
	}
	if len(l.errs) > 0 {
		l.errs.sort()
		return nil, l.errs
	}
	l.warns.sort()
	m.Warnings = l.warns
	return m, nil
}

// entries finds the table entries of the root file: a list of tables, one
// table, or a databases.yaml whose chosen source lists them.
func (l *loader) entries(x ynode) (source string, tables []ynode) {
	x = l.deref(x)
	if x.bad || l.isNull(x) {
		return "", nil
	}
	if fields, ok := l.mappingQuiet(x); ok {
		if hasKey(fields, "table") {
			return "", []ynode{x}
		}
	}
	items, ok := l.seq(x, "", "the permissions file")
	if !ok || len(items) == 0 {
		return "", nil
	}
	first := l.deref(items[0])
	if fields, ok := l.mappingQuiet(first); ok && !hasKey(fields, "table") &&
		(hasKey(fields, "kind") || hasKey(fields, "tables") || hasKey(fields, "configuration")) {
		return l.databases(items)
	}
	return "", l.flatten(items, 0)
}

// flatten splices included lists: an item whose value is a list (a file
// that holds several tables) contributes its items.
func (l *loader) flatten(items []ynode, depth int) []ynode {
	var out []ynode
	for _, it := range items {
		d := l.deref(it)
		if d.bad {
			continue
		}
		if isList(d) && depth < 8 {
			sub, _ := l.seq(d, "", "")
			out = append(out, l.flatten(sub, depth+1)...)
			continue
		}
		out = append(out, d)
	}
	return out
}

// databases picks the database source from the entries of a
// databases.yaml and returns its tables.
func (l *loader) databases(items []ynode) (string, []ynode) {
	type source struct {
		name, kind string
		pos        Pos
		tables     ynode
		has        bool
		functions  *ynode
	}
	var sources []source
	for _, it := range items {
		fields, ok := l.mapping(it, "", "a database source")
		if !ok {
			continue
		}
		src := source{pos: l.deref(it).pos()}
		for _, f := range fields {
			switch f.key {
			case "name":
				src.name, _ = l.name(f.val, "database source", "name")
			case "kind":
				src.kind, _ = l.str(f.val, "database source", "kind")
			case "tables":
				src.tables, src.has = f.val, true
			case "functions":
				src.functions = &f.val
			}
		}
		sources = append(sources, src)
	}
	if len(sources) == 0 {
		return "", nil
	}
	chosen := -1
	for i, s := range sources {
		if s.name == "default" {
			chosen = i
			break
		}
	}
	if chosen < 0 {
		for i, s := range sources {
			if s.kind == "postgres" || s.kind == "" {
				chosen = i
				break
			}
		}
	}
	if chosen < 0 {
		chosen = 0
	}
	src := sources[chosen]
	l.functions = src.functions
	if len(sources) > 1 {
		var others []string
		for i, s := range sources {
			if i != chosen {
				others = append(others, `"`+s.name+`"`)
			}
		}
		l.warnf(src.pos, "using database source %q; hasgen serves one source and ignores %s", src.name, strings.Join(others, ", "))
	}
	if src.kind != "" && src.kind != "postgres" {
		l.errorf(src.pos, "", "database source %q is of kind %q; hasgen serves postgres only", src.name, src.kind)
		return src.name, nil
	}
	if !src.has || l.isNull(src.tables) {
		return src.name, nil
	}
	tables, ok := l.seq(src.tables, "database source "+`"`+src.name+`"`, "tables")
	if !ok {
		return src.name, nil
	}
	return src.name, l.flatten(tables, 0)
}

// mappingQuiet is mapping without reporting a non-mapping.
func (l *loader) mappingQuiet(x ynode) ([]field, bool) {
	x = l.deref(x)
	if x.bad || !isMapping(x) {
		return nil, false
	}
	return l.mapping(x, "", "")
}

func isMapping(x ynode) bool {
	switch x.n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

func isList(x ynode) bool {
	_, ok := x.n.(*ast.SequenceNode)
	return ok
}

func hasKey(fields []field, key string) bool {
	for _, f := range fields {
		if f.key == key {
			return true
		}
	}
	return false
}

package metadata

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

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
		v.run(l.entries(m, x))
		m.Tables = v.sorted()
		m.Functions = v.functions()
	}
	_, slash := fsys.(ioFS)
	if dir := metadataDir(root, slash); dir != "" {
		join := filepath.Join
		if slash {
			join = path.Join
		}
		l.projectFiles(m, dir, join)
	}
	l.inheritRoles(m, m.InheritedRoles)
	l.checkRemoteRelationships(m)
	l.checkAllowList(m) // querycollections.go
	if len(l.errs) > 0 {
		l.errs.sort()
		return nil, l.errs
	}
	l.warns.sort()
	l.unsup.sort()
	m.Warnings = l.warns
	m.Unsupported = l.unsup
	m.EventTriggers = l.trig.sortedEvents()
	return m, nil
}

// metadataDir returns the metadata directory of root (a metadata
// directory's databases/databases.yaml, or the old layout's tables.yaml),
// or "" for a plain permissions file or an export.
func metadataDir(root string, slash bool) string {
	dir, base := filepath.Dir, filepath.Base
	if slash {
		dir, base = path.Dir, path.Base
	}
	switch {
	case base(root) == "databases.yaml" && base(dir(root)) == "databases":
		return dir(dir(root))
	case base(root) == "tables.yaml":
		return dir(root)
	}
	return ""
}

// entries finds the table entries of the root file: a list of tables, one
// table, a databases.yaml whose chosen source lists them, or a metadata
// export (Hasura's `export_metadata`, version 2 or 3).
func (l *loader) entries(m *Metadata, x ynode) []ynode {
	x = l.deref(x)
	if x.bad || l.isNull(x) {
		return nil
	}
	if fields, ok := l.mappingQuiet(x); ok {
		if hasKey(fields, "table") {
			return []ynode{x}
		}
		if hasKey(fields, "version") || hasKey(fields, "sources") || hasKey(fields, "tables") {
			return l.export(m, fields)
		}
	}
	items, ok := l.seq(x, "", "the permissions file")
	if !ok || len(items) == 0 {
		return nil
	}
	first := l.deref(items[0])
	if fields, ok := l.mappingQuiet(first); ok && !hasKey(fields, "table") &&
		(hasKey(fields, "kind") || hasKey(fields, "tables") || hasKey(fields, "configuration")) {
		return l.databases(m, items)
	}
	return l.flatten(items, 0)
}

// export reads a metadata export: version 3 lists database sources,
// version 2 (and Hasura v1's format) the tables and functions of the one
// database. The other keys are those of a metadata directory's files.
func (l *loader) export(m *Metadata, fields []field) []ynode {
	version := 0
	for _, f := range fields {
		if f.key == "version" {
			if n, ok := l.count(f.val, "metadata", "version"); ok {
				version = n
				if n < 1 || n > 3 {
					l.errorf(l.deref(f.val).pos(), "metadata", "version must be 1, 2 or 3, not %d", n)
				}
			}
		}
	}
	var tables []ynode
	for _, f := range fields {
		switch f.key {
		case "version":
		case "sources":
			if version != 0 && version < 3 {
				l.errorf(f.keyPos, "metadata", "sources is a key of version 3 metadata, and this is version %d", version)
				continue
			}
			items, ok := l.seq(f.val, "metadata", "sources")
			if ok && len(items) > 0 {
				tables = l.databases(m, items)
			}
		case "tables":
			if version == 3 {
				l.errorf(f.keyPos, "metadata", "tables belongs in a source in version 3 metadata")
				continue
			}
			m.Source = "default"
			items, ok := l.seq(f.val, "metadata", "tables")
			if ok {
				tables = l.flatten(items, 0)
			}
		case "functions":
			if version == 3 {
				l.errorf(f.keyPos, "metadata", "functions belongs in a source in version 3 metadata")
				continue
			}
			l.functions = &f.val
		default:
			if !isProjectKey(f.key) {
				l.errorf(f.keyPos, "metadata", "unknown key %q", f.key)
				continue
			}
			l.projectKey(m, f.key, f.keyPos, f.val)
		}
	}
	return tables
}

func isProjectKey(key string) bool {
	for _, pk := range projectKeys {
		if pk.key == key {
			return true
		}
	}
	return false
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
// databases.yaml (or an export's sources), reads its settings, and
// returns its tables. hasgen serves one source: the others are reported.
func (l *loader) databases(m *Metadata, items []ynode) []ynode {
	type source struct {
		name, kind string
		pos        Pos
		fields     []field
	}
	var sources []source
	for _, it := range items {
		fields, ok := l.mapping(it, "", "a database source")
		if !ok {
			continue
		}
		src := source{pos: l.deref(it).pos(), fields: fields}
		for _, f := range fields {
			switch f.key {
			case "name":
				src.name, _ = l.name(f.val, "database source", "name")
			case "kind":
				src.kind, _ = l.str(f.val, "database source", "kind")
			}
		}
		sources = append(sources, src)
	}
	if len(sources) == 0 {
		return nil
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
	for i, s := range sources {
		if i != chosen {
			l.unsup.add(s.pos, "database source %q is not supported by hasgen: it serves one source, %q", s.name, sources[chosen].name)
		}
	}
	src := sources[chosen]
	m.Source = src.name
	if src.kind != "" && src.kind != "postgres" {
		l.errorf(src.pos, "", "database source %q is of kind %q; hasgen serves postgres only", src.name, src.kind)
		return nil
	}
	ctx := fmt.Sprintf("database source %q", src.name)
	var tables []ynode
	for _, f := range src.fields {
		switch f.key {
		case "name", "kind":
		case "tables":
			if l.isNull(f.val) {
				continue
			}
			items, ok := l.seq(f.val, ctx, "tables")
			if ok {
				tables = l.flatten(items, 0)
			}
		case "configuration":
			m.Connection = l.connection(f.val, ctx)
		case "functions":
			l.functions = &f.val
		case "customization":
			if !l.isNull(f.val) {
				m.Customization = l.customization(f.val, ctx)
			}
		case "query_tags":
			if !l.isNull(f.val) {
				m.QueryTags = l.queryTags(f.val, ctx) // querytags.go
			}
		case "health_check", "logical_models", "native_queries", "stored_procedures", "backend_configs":
			if !l.empty(f.val) {
				l.unsupportedf(f.keyPos, ctx, f.key)
			}
		default:
			l.errorf(f.keyPos, ctx, "unknown key %q", f.key)
		}
	}
	return tables
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

// Schemas returns the Postgres schemas that the tables of the permissions
// file (or metadata directory, or export) at path are in, sorted, checking
// nothing else: the schemas to introspect before Load. It returns nil when
// the file cannot be read; Load then says why.
func Schemas(path string) []string {
	root := path
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		root = findDatabases(osFS{}, path, filepath.Join)
	}
	l := &loader{fs: osFS{}, files: map[string]*yfile{}}
	f := l.file(root, Pos{})
	if !f.ok {
		return nil
	}
	seen := map[string]bool{}
	entries := l.entries(&Metadata{}, ynode{n: f.body, fr: &frame{file: f}})
	for _, schema := range l.functionSchemas(entries) {
		seen[schema] = true
	}
	for _, e := range entries {
		fields, ok := l.mappingQuiet(e)
		if !ok {
			continue
		}
		for _, fl := range fields {
			if fl.key != "table" {
				continue
			}
			schema := "public"
			if sub, ok := l.mappingQuiet(fl.val); ok {
				for _, s := range sub {
					if v, ok := rawString(l.deref(s.val)); ok && s.key == "schema" && v != "" {
						schema = v
					}
				}
			}
			seen[schema] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

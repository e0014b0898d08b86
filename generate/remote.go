package generate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/model"
	"github.com/hasgen/hasgen/remoteschema"
	"github.com/hasgen/hasgen/runtime/remote"
	"github.com/hasgen/hasgen/templates"
)

// The remote schemas of the metadata (remote_schemas.yaml): each is
// introspected into its snapshot, schema/remote/<name>.graphqls, which the
// project commits; with Options.RemoteSnapshots, or when the remote cannot
// be reached and a snapshot exists, the snapshot is used instead. The
// remotes' parts are then merged into the schemas (remoteschema.Merge)
// and described for the server in schema/remote_schemas.jsonc.

// remoteSnapshotDir is where the snapshots are, in the project.
const remoteSnapshotDir = "schema/remote/"

// remoteSchemasFile is the server's description of the remotes.
const remoteSchemasFile = "schema/remote_schemas.jsonc"

// remotes are the merged remote schemas of a generation.
type remotes struct {
	merged    []*remoteschema.Merged
	snapshots map[string]string // by name
	// roles are the roles that see a remote but have no permission on
	// the database: their schema is the remotes' parts alone.
	roles    []string
	warnings []string
	// rels are the tables' remote relationships; typeRels the remote
	// types' relationships to tables.
	rels     []remoteRel
	typeRels []typeRel
}

// typeRel is a remote type's relationship field to a table.
type typeRel struct {
	table *model.Table
	field *remoteschema.TypeRelationshipField
}

// remoteRel is a table's remote relationship field.
type remoteRel struct {
	table *model.Table
	field *remoteschema.RelationshipField
}

// loadRemotes introspects or reads the snapshot of each remote schema of
// md and merges it. dir is the project directory.
func loadRemotes(ctx context.Context, o *Options, md *metadata.Metadata, p *model.Project, dir string) (*remotes, error) {
	rs := &remotes{snapshots: map[string]string{}}
	if md == nil {
		return rs, nil
	}
	known := map[string]bool{}
	for _, r := range p.Roles {
		known[r] = true
	}
	extra := map[string]bool{}
	for _, r := range md.RemoteSchemas {
		snap, err := remoteSnapshot(ctx, o, r, dir, &rs.warnings)
		if err != nil {
			return nil, err
		}
		m, err := remoteschema.Merge(r, snap)
		if err != nil {
			return nil, err
		}
		rs.warnings = append(rs.warnings, m.Warnings...)
		rs.merged = append(rs.merged, m)
		rs.snapshots[r.Name] = snap
		for _, perm := range r.Permissions {
			if !known[perm.Role] && perm.Role != model.AdminRole {
				extra[perm.Role] = true
			}
		}
	}
	byName := map[string]*remoteschema.Merged{}
	for _, m := range rs.merged {
		byName[m.Schema.Name] = m
	}
	for _, mt := range md.Tables {
		t := p.Table(mt.Schema, mt.Name)
		if t == nil {
			continue
		}
		for _, rel := range mt.RemoteRelationships {
			m := byName[rel.RemoteSchema]
			if m == nil {
				return nil, &metadata.Error{Pos: rel.SchemaPos, Msg: fmt.Sprintf("table %s remote relationship %q: remote schema %q is not defined", t.Qualified(), rel.Name, rel.RemoteSchema)}
			}
			scalar := func(col string) string {
				if c := t.Column(col); c != nil && c.Dims == 0 {
					return c.Scalar
				}
				return ""
			}
			if err := m.AddRelationship(t.Qualified(), t.TypeName(""), rel, scalar); err != nil {
				return nil, err
			}
			rs.rels = append(rs.rels, remoteRel{table: t, field: m.Fields[len(m.Fields)-1]})
		}
	}
	for _, r := range md.RemoteSchemas {
		m := byName[r.Name]
		for _, rel := range r.Relationships {
			t := p.Table(rel.Schema, rel.Table)
			if t == nil {
				return nil, &metadata.Error{Pos: rel.TablePos, Msg: fmt.Sprintf("remote schema %q: type %s relationship %q: table %s.%s is not tracked", r.Name, rel.TypeName, rel.Name, rel.Schema, rel.Table)}
			}
			field := func(col string) string {
				if c := t.Column(col); c != nil {
					return c.Field
				}
				return col
			}
			if err := m.AddTypeRelationship(rel, t.TypeName(""), t.Roots.Select, t.Namespace(), field); err != nil {
				return nil, err
			}
			rs.typeRels = append(rs.typeRels, typeRel{table: t, field: m.TypeFields[len(m.TypeFields)-1]})
		}
	}
	for r := range extra {
		rs.roles = append(rs.roles, r)
	}
	sort.Strings(rs.roles)
	return rs, nil
}

// remoteSnapshot is r's schema: introspected, unless told to use the
// snapshot or the remote cannot be reached while a snapshot exists.
func remoteSnapshot(ctx context.Context, o *Options, r *metadata.RemoteSchema, dir string, warnings *[]string) (string, error) {
	path := filepath.Join(dir, filepath.FromSlash(remoteSnapshotDir+r.Name+".graphqls"))
	old, readErr := os.ReadFile(path)
	if o.RemoteSnapshots {
		if readErr != nil {
			return "", fmt.Errorf("%s: remote schema %q: no snapshot to generate from (run hasgen generate with the remote reachable once): %w", r.Pos, r.Name, readErr)
		}
		return stripComments(string(old)), nil
	}
	c, err := remote.NewClient(r.Name, &r.Definition, os.Getenv)
	var sdl string
	if err == nil {
		sdl, err = remoteschema.Introspect(ctx, c)
	}
	if err != nil {
		if readErr == nil {
			*warnings = append(*warnings, fmt.Sprintf("%s: remote schema %q: generated from its snapshot (%s): %v", r.Pos, r.Name, remoteSnapshotDir+r.Name+".graphqls", err))
			return stripComments(string(old)), nil
		}
		return "", fmt.Errorf("%s: %w", r.Pos, err)
	}
	return sdl, nil
}

// stripComments drops the header comment lines of a snapshot.
func stripComments(s string) string {
	for strings.HasPrefix(s, "#") {
		_, s, _ = strings.Cut(s, "\n")
	}
	return strings.TrimLeft(s, "\n")
}

// insert adds the remotes' parts that role sees to its schema sdl.
func (rs *remotes) insert(sdl []byte, role string) ([]byte, error) {
	if rs == nil {
		return sdl, nil
	}
	for _, m := range rs.merged {
		part := m.Parts[role]
		if part == nil {
			continue
		}
		var err error
		if sdl, err = remoteschema.Insert(sdl, m.Schema.Name, part); err != nil {
			return nil, err
		}
	}
	return sdl, nil
}

// files adds the snapshots and remote_schemas.jsonc to fs.
func (rs *remotes) files(src string, fs *files) error {
	if rs == nil || len(rs.merged) == 0 {
		return nil
	}
	var list []*remote.Schema
	for _, m := range rs.merged {
		s := *m.Schema
		for role := range m.Parts {
			if role != model.AdminRole {
				s.Roles = append(s.Roles, role)
			}
		}
		sort.Strings(s.Roles)
		list = append(list, &s)
		fs.generated[remoteSnapshotDir+s.Name+".graphqls"] = []byte(hashHeader(src) + "# The remote schema " + s.Name + " as introspected: hasgen check reports its drift.\n\n" + rs.snapshots[s.Name])
	}
	b, err := jsoncFile(src, &list)
	if err != nil {
		return err
	}
	fs.generated[remoteSchemasFile] = b
	return nil
}

// render renders role's schema (a role of the project, or one that only
// sees remotes) with the remotes' parts.
func (rs *remotes) render(p *model.Project, role string) ([]byte, error) {
	b, err := templates.SDL(p, role)
	if err != nil {
		return nil, err
	}
	if b, err = rs.insert(b, role); err != nil {
		return nil, err
	}
	return rs.relFields(p, b, role)
}

// relFields adds to sdl the remote relationship fields role sees: those
// whose remote field its remote permission allows, on a table where it
// may select every column the relationship needs (Hasura's rule).
func (rs *remotes) relFields(p *model.Project, sdl []byte, role string) ([]byte, error) {
	if rs == nil {
		return sdl, nil
	}
	byType := map[string]string{}
	var order []string
	for _, r := range rs.rels {
		text, ok := r.field.SDL[role]
		if !ok {
			continue
		}
		v := p.View(r.table, role)
		if v == nil {
			continue
		}
		all := true
		for _, name := range r.field.Columns {
			if c := r.table.Column(name); c == nil || !v.CanSelect(c) {
				all = false
			}
		}
		if !all {
			continue
		}
		typ := r.table.TypeName("")
		if _, ok := byType[typ]; !ok {
			order = append(order, typ)
		}
		byType[typ] += text
	}
	// A remote type's relationship to a table: for a role that may
	// select the table's mapped columns through its select root field.
	for _, r := range rs.typeRels {
		text, ok := r.field.SDL[role]
		if !ok {
			continue
		}
		v := p.View(r.table, role)
		if v == nil || (!v.IsAdmin() && !v.Perm.Query.Select) {
			continue
		}
		all := true
		for _, name := range r.field.Columns {
			if c := r.table.Column(name); c == nil || !v.CanSelect(c) {
				all = false
			}
		}
		if !all {
			continue
		}
		if _, ok := byType[r.field.Type]; !ok {
			order = append(order, r.field.Type)
		}
		byType[r.field.Type] += text
	}
	s := string(sdl)
	for _, typ := range order {
		var err error
		if s, err = remoteschema.AddFields(s, typ, byType[typ]); err != nil {
			return nil, err
		}
	}
	return []byte(s), nil
}

// remoteDrift names, for each snapshot that the generation in tmp
// rewrote, what changed in the remote.
func remoteDrift(have, tmp string) (string, error) {
	paths, _ := filepath.Glob(filepath.Join(tmp, filepath.FromSlash(remoteSnapshotDir), "*.graphqls"))
	var b strings.Builder
	for _, p := range paths {
		now, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		name := strings.TrimSuffix(filepath.Base(p), ".graphqls")
		old, err := os.ReadFile(filepath.Join(have, filepath.FromSlash(remoteSnapshotDir), filepath.Base(p)))
		if err != nil {
			continue // a new remote: the file diff shows it
		}
		changes, err := remoteschema.Diff(stripComments(string(old)), stripComments(string(now)))
		if err != nil {
			return "", err
		}
		for _, c := range changes {
			fmt.Fprintf(&b, "remote schema %q drifted: %s\n", name, c)
		}
	}
	return b.String(), nil
}

// roleFiles writes the schemas of the roles that only see remotes.
func (rs *remotes) roleFiles(p *model.Project, full []byte, src string, fs *files) error {
	if rs == nil {
		return nil
	}
	deltas := newDeltas(full)
	for _, role := range rs.roles {
		b, err := rs.render(p, role)
		if err != nil {
			return fmt.Errorf("schema of role %s: %w", role, err)
		}
		fs.generated["schema/roles/"+role+".graphqls"] = withHeader(hashHeader(src)+"\n"+roleFileNote, deltas(b))
	}
	return nil
}

func (rs *remotes) hasRoles() bool { return rs != nil && len(rs.roles) > 0 }

func (rs *remotes) any() bool { return rs != nil && len(rs.merged) > 0 }

func (rs *remotes) warningList() []string {
	if rs == nil {
		return nil
	}
	return rs.warnings
}

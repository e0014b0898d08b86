package metadata

import (
	"sort"
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/introspect"
)

// Infer returns the metadata `hasgen init` starts from: every table of s
// tracked, a relationship for each foreign key between them, and no
// permissions (only admin can query). Its names follow Hasura's console,
// so a Hasura user finds the names they know:
//
//   - A foreign key of table T is an object relationship on T named after
//     the referenced table in the singular: albums.artist_id → artists
//     gives albums.artist; customers.support_rep_id → employees gives
//     customers.employee.
//   - The same key seen from the referenced table is an array
//     relationship named after T in the plural (artists.albums,
//     playlists.playlist_tracks); when the key's columns are T's primary
//     key or a unique constraint it is an object relationship named after
//     T in the singular (one row at most).
//   - The name changes to <name>By<Columns> in lowerCamelCase (Hasura's
//     console fallback: employeeByReportsTo, tracksByAlbumId) when it is
//     taken by a column or an earlier relationship of the table, or when
//     several foreign keys join the same two tables in the same direction
//     (messages.sender_id and messages.recipient_id → users give
//     userBySenderId and userByRecipientId, and users.messagesBySenderId
//     and users.messagesByRecipientId); a number is appended if that is
//     taken too.
//   - Singular and plural change the last word of a snake_case name with
//     English rules (categories → category, media_types → media_type).
//     Characters a GraphQL name cannot hold become "_".
//
// Object relationships come first, from the table's own foreign keys by
// constraint name, then those of the other tables by table and constraint
// name. The result is deterministic; it has no positions.
func Infer(s *introspect.Schema) *Metadata {
	m := &Metadata{}
	byKey := map[string]*Table{}
	for i := range s.Tables {
		def := &s.Tables[i]
		t := &Table{Schema: def.Schema, Name: def.Name, def: def}
		m.Tables = append(m.Tables, t)
		byKey[key(def.Schema, def.Name)] = t
	}
	sort.Slice(m.Tables, func(i, j int) bool {
		a, b := m.Tables[i], m.Tables[j]
		if a.Schema != b.Schema {
			return a.Schema < b.Schema
		}
		return a.Name < b.Name
	})

	// incoming lists, for every table, the foreign keys that reference it.
	type ref struct {
		from *Table
		fk   introspect.ForeignKey
	}
	incoming := map[*Table][]ref{}
	for _, t := range m.Tables {
		for _, fk := range sortedKeys(t.def.ForeignKeys) {
			if to := byKey[key(fk.RefSchema, fk.RefTable)]; to != nil {
				incoming[to] = append(incoming[to], ref{t, fk})
			}
		}
	}

	for _, t := range m.Tables {
		taken := map[string]bool{}
		for _, c := range t.def.Columns {
			taken[c.Name] = true
		}
		var objects, arrays []*Relationship

		fks := sortedKeys(t.def.ForeignKeys)
		toCount := map[string]int{}
		for _, fk := range fks {
			toCount[key(fk.RefSchema, fk.RefTable)]++
		}
		for _, fk := range fks {
			to := key(fk.RefSchema, fk.RefTable)
			if byKey[to] == nil {
				continue
			}
			r := &Relationship{
				Name:           pickName(singular(fk.RefTable), fk.Columns, toCount[to] > 1, taken),
				Kind:           ObjectRelationship,
				RemoteSchema:   fk.RefSchema,
				RemoteTable:    fk.RefTable,
				Constraint:     fk.Name,
				InsertionOrder: BeforeParent,
			}
			for i := range fk.Columns {
				r.Columns = append(r.Columns, ColumnPair{Local: fk.Columns[i], Remote: fk.RefColumns[i]})
			}
			objects = append(objects, r)
		}

		fromCount := map[*Table]int{}
		for _, in := range incoming[t] {
			fromCount[in.from]++
		}
		for _, in := range incoming[t] {
			r := &Relationship{
				Kind:           ArrayRelationship,
				RemoteSchema:   in.from.Schema,
				RemoteTable:    in.from.Name,
				Constraint:     in.fk.Name,
				Reverse:        true,
				InsertionOrder: AfterParent,
			}
			base := plural(in.from.Name)
			if isUniqueKey(in.from.def, in.fk.Columns) {
				r.Kind = ObjectRelationship
				base = singular(in.from.Name)
			}
			r.Name = pickName(base, in.fk.Columns, fromCount[in.from] > 1, taken)
			for i := range in.fk.Columns {
				r.Columns = append(r.Columns, ColumnPair{Local: in.fk.RefColumns[i], Remote: in.fk.Columns[i]})
			}
			if r.Kind == ObjectRelationship {
				objects = append(objects, r)
			} else {
				arrays = append(arrays, r)
			}
		}
		t.Relationships = append(objects, arrays...)
	}
	return m
}

// Starter returns the permissions file `hasgen init` writes: Infer(s)
// written by Marshal, under a comment that says what to do next.
func Starter(s *introspect.Schema) ([]byte, error) {
	body, err := Marshal(Infer(s))
	if err != nil {
		return nil, err
	}
	const header = `# hasgen permissions file, in Hasura's table metadata format.
# Every table is tracked and every foreign key is a relationship; no role has
# permissions yet, so only admin can query. Add select_permissions,
# insert_permissions, update_permissions and delete_permissions per table.
`
	return append([]byte(header), body...), nil
}

func sortedKeys(fks []introspect.ForeignKey) []introspect.ForeignKey {
	out := append([]introspect.ForeignKey(nil), fks...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// isUniqueKey reports whether cols are exactly t's primary key or one of
// its unique constraints.
func isUniqueKey(t *introspect.Table, cols []string) bool {
	if t.PrimaryKey != nil && sameSet(t.PrimaryKey.Columns, cols) {
		return true
	}
	for _, u := range t.UniqueConstraints {
		if sameSet(u.Columns, cols) {
			return true
		}
	}
	return false
}

// pickName returns base, or base's "By<Columns>" form when base is taken
// or ambiguous, and marks the name taken.
func pickName(base string, cols []string, ambiguous bool, taken map[string]bool) string {
	name := graphQLSafe(base)
	if ambiguous || taken[name] {
		long := base + "_by_" + strings.Join(cols, "_")
		name = graphQLSafe(camelize(long))
		for i := 1; taken[name]; i++ {
			name = graphQLSafe(camelize(long + "_" + strconv.Itoa(i)))
		}
	}
	taken[name] = true
	return name
}

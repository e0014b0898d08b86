package generate

import (
	"github.com/hasgen/hasgen/metadata"
	"github.com/hasgen/hasgen/runtime/allowlist"
)

// allowListFile is schema/allow_list.jsonc: the metadata's allow list and
// the query collections it names, in Hasura's JSON, as runtime/allowlist
// reads them, after hasgen's header; nil when the allow list is empty
// (the server then allows only admin's requests when it is on, as Hasura
// does).
func allowListFile(source string, m *metadata.Metadata) []byte {
	if m == nil || len(m.AllowList) == 0 {
		return nil
	}
	var c allowlist.Config
	for _, e := range m.AllowList {
		entry := allowlist.Entry{Collection: e.Collection, Scope: &allowlist.Scope{Global: true}}
		if !e.Global() {
			entry.Scope = &allowlist.Scope{Roles: e.Roles}
		}
		c.AllowList = append(c.AllowList, entry)
		coll := m.Collection(e.Collection) // Load checked it exists
		rc := allowlist.Collection{Name: coll.Name}
		for _, q := range coll.Queries {
			rc.Definition.Queries = append(rc.Definition.Queries, allowlist.Query{Name: q.Name, Query: q.Query})
		}
		c.QueryCollections = append(c.QueryCollections, rc)
	}
	b, _ := jsoncFile(source, &c) // plain structs: Marshal cannot fail
	return b
}

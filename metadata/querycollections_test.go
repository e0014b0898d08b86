package metadata

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const collectionsDB = "- name: default\n  kind: postgres\n  tables: [{table: orgs}]\n"

// TestQueryCollections: query_collections.yaml and allow_list.yaml are
// read from a metadata directory and from an export, with positions, and
// no longer reported as unsupported.
func TestQueryCollections(t *testing.T) {
	collections := `- name: allowed-queries
  comment: the app's
  definition:
    queries:
      - name: orgs
        query: |
          query Orgs { orgs { id } }
      - name: one org
        query: "query ($id: Int!) { orgs_by_pk(id: $id) { name } }"
- name: reports
  definition:
    queries:
      - name: names
        query: "{ orgs { name } }"
`
	allow := "- collection: allowed-queries\n- collection: reports\n  scope:\n    global: false\n    roles: [manager, user]\n"
	export := `{"version": 3, "sources": [{"name": "default", "kind": "postgres", "tables": [{"table": {"schema": "public", "name": "orgs"}}]}],
  "query_collections": [{"name": "c", "definition": {"queries": [{"name": "q", "query": "{ orgs { id } }"}]}}],
  "allowlist": [{"collection": "c", "scope": {"global": true}}]}`

	m, err := loadString(t, "metadata/databases/databases.yaml", collectionsDB,
		"metadata/query_collections.yaml", collections, "metadata/allow_list.yaml", allow)
	if err != nil {
		t.Fatalf("the metadata does not load: %v", err)
	}
	wantColl := []*QueryCollection{
		{Pos: Pos{"metadata/query_collections.yaml", 1, 3}, Name: "allowed-queries", Comment: "the app's", Queries: []CollectionQuery{
			{Pos: Pos{"metadata/query_collections.yaml", 5, 9}, QueryPos: Pos{"metadata/query_collections.yaml", 6, 16}, Name: "orgs", Query: "query Orgs { orgs { id } }\n"},
			{Pos: Pos{"metadata/query_collections.yaml", 8, 9}, QueryPos: Pos{"metadata/query_collections.yaml", 9, 16}, Name: "one org", Query: "query ($id: Int!) { orgs_by_pk(id: $id) { name } }"},
		}},
		{Pos: Pos{"metadata/query_collections.yaml", 10, 3}, Name: "reports", Queries: []CollectionQuery{
			{Pos: Pos{"metadata/query_collections.yaml", 13, 9}, QueryPos: Pos{"metadata/query_collections.yaml", 14, 16}, Name: "names", Query: "{ orgs { name } }"},
		}},
	}
	if diff := cmp.Diff(wantColl, m.QueryCollections); diff != "" {
		t.Errorf("collections (-want +got):\n%s", diff)
	}
	wantAllow := []*AllowListEntry{
		{Pos: Pos{"metadata/allow_list.yaml", 1, 3}, Collection: "allowed-queries"},
		{Pos: Pos{"metadata/allow_list.yaml", 2, 3}, Collection: "reports", Roles: []string{"manager", "user"}},
	}
	if diff := cmp.Diff(wantAllow, m.AllowList); diff != "" {
		t.Errorf("allow list (-want +got):\n%s", diff)
	}
	if !m.AllowList[0].Global() || m.AllowList[1].Global() {
		t.Errorf("Global: %v %v, want true false", m.AllowList[0].Global(), m.AllowList[1].Global())
	}

	if len(m.Unsupported) != 0 {
		t.Errorf("reported as unsupported: %v", m.Unsupported)
	}

	m, err = loadString(t, "metadata.json", export)
	if err != nil {
		t.Fatalf("the export does not load: %v", err)
	}
	if len(m.QueryCollections) != 1 || m.QueryCollections[0].Queries[0].Query != "{ orgs { id } }" || len(m.AllowList) != 1 || !m.AllowList[0].Global() {
		t.Errorf("export: collections %+v, allow list %+v", m.QueryCollections, m.AllowList)
	}
}

// TestQueryCollectionErrors: every problem of the collections and the
// allow list is reported with its file:line:col, as Hasura refuses it.
func TestQueryCollectionErrors(t *testing.T) {
	coll := "- name: c\n  definition:\n    queries:\n      - name: q\n        query: '{ orgs { id } }'\n"
	tests := []struct {
		name, collections, allow string
		want                     []string
	}{
		{"unknown collection", coll, "- collection: nope\n",
			[]string{`metadata/allow_list.yaml:1:3: allowlist entry "nope": there is no query collection "nope" (query_collections.yaml)`}},
		{"query does not parse", "- name: c\n  definition:\n    queries:\n      - name: q\n        query: '{ orgs { id }'\n", "",
			[]string{`metadata/query_collections.yaml:5:16: query collection "c": query "q": the query does not parse: line 1, column 14 of the query: Expected Name, found <EOF>`}},
		{"no operation", "- name: c\n  definition:\n    queries:\n      - name: q\n        query: 'fragment F on orgs { id }'\n", "",
			[]string{`metadata/query_collections.yaml:5:16: query collection "c": query "q": the query has no operation`}},
		{"duplicate query", coll + "      - name: q\n        query: '{ orgs { name } }'\n", "",
			[]string{`metadata/query_collections.yaml:6:9: query collection "c": a second query named "q"`}},
		{"duplicate collection", coll + coll, "",
			[]string{`metadata/query_collections.yaml:6:3: query collection "c": a second collection of that name`}},
		{"no definition", "- name: c\n", "",
			[]string{`metadata/query_collections.yaml:1:3: query collection "c": a query collection needs a definition ({queries: [...]})`}},
		{"query without text", "- name: c\n  definition:\n    queries:\n      - name: q\n", "",
			[]string{`metadata/query_collections.yaml:4:9: query collection "c": query "q" needs a query (its GraphQL document)`}},
		{"unknown key", "- name: c\n  definitions: {}\n", "",
			[]string{`metadata/query_collections.yaml:1:3: query collection "c": a query collection needs a definition ({queries: [...]})`,
				`metadata/query_collections.yaml:2:3: query_collections: definitions is not a key of a query collection (name, definition, comment)`}},
		{"duplicate entry", coll, "- collection: c\n- collection: c\n",
			[]string{`metadata/allow_list.yaml:2:3: allowlist entry "c": the collection is already in the allow list`}},
		{"global with roles", coll, "- collection: c\n  scope: {global: true, roles: [user]}\n",
			[]string{`metadata/allow_list.yaml:2:25: allowlist entry "c": roles are not allowed when global is true`}},
		{"roles missing", coll, "- collection: c\n  scope: {global: false}\n",
			[]string{`metadata/allow_list.yaml:2:10: allowlist entry "c": a scope with global: false needs roles`}},
		{"no roles", coll, "- collection: c\n  scope: {global: false, roles: []}\n",
			[]string{`metadata/allow_list.yaml:2:26: allowlist entry "c": scope.roles must name at least one role`}},
		{"duplicate roles", coll, "- collection: c\n  scope: {global: false, roles: [user, user]}\n",
			[]string{`metadata/allow_list.yaml:2:40: allowlist entry "c": duplicate roles are not allowed ("user")`}},
		{"global missing", coll, "- collection: c\n  scope: {roles: [user]}\n",
			[]string{`metadata/allow_list.yaml:2:10: allowlist entry "c": scope needs global: true, or global: false with roles`}},
		{"not a list", coll, "collection: c\n",
			[]string{`metadata/allow_list.yaml:1:1: allowlist: allowlist must be a list, not a mapping`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := []string{"metadata/databases/databases.yaml", collectionsDB, "metadata/query_collections.yaml", tt.collections}
			if tt.allow != "" {
				files = append(files, "metadata/allow_list.yaml", tt.allow)
			}
			_, err := loadString(t, files...)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			list, ok := err.(ErrorList)
			if !ok {
				t.Fatalf("error %T %v, want an ErrorList", err, err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestAllowListAdminWarns: admin in a scope's roles is accepted with a
// warning, since the allow list never applies to admin.
func TestAllowListAdminWarns(t *testing.T) {
	m, err := loadString(t, "metadata/databases/databases.yaml", collectionsDB,
		"metadata/query_collections.yaml", "- name: c\n  definition: {queries: [{name: q, query: '{ orgs { id } }'}]}\n",
		"metadata/allow_list.yaml", "- collection: c\n  scope: {global: false, roles: [admin]}\n")
	if err != nil {
		t.Fatalf("the metadata does not load: %v", err)
	}
	want := []string{`metadata/allow_list.yaml:2:34: allowlist entry "c": the allow list does not apply to admin; the role is ignored in scope.roles`}
	var got []string
	for _, w := range m.Warnings {
		got = append(got, w.Error())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

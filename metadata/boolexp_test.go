package metadata

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// filterOn loads blogTables with a select permission for role user on
// table ("public.articles") whose filter is filter, and returns the filter.
func filterOn(t *testing.T, table, filter string) BoolExp {
	t.Helper()
	_, e := loadFilter(t, table, filter)
	return e
}

// loadFilter is filterOn that also returns the whole metadata.
func loadFilter(t *testing.T, table, filter string) (*Metadata, BoolExp) {
	t.Helper()
	schema, name, _ := strings.Cut(table, ".")
	head := "- table: {schema: " + schema + ", name: " + name + "}\n"
	perm := "  select_permissions:\n    - role: user\n      permission: {columns: '*', filter: " + filter + "}\n"
	src := strings.Replace(blogTables, head, head+perm, 1)
	if src == blogTables {
		t.Fatalf("blogTables has no table %s", table)
	}
	m := mustLoad(t, src)
	return m, m.Table(schema, name).SelectPermission("user").Filter
}

func TestBoolExpString(t *testing.T) {
	const ordersT, authorsT, articlesT = "shop.orders", "public.authors", "public.articles"
	tests := []struct {
		table, filter, want string
	}{
		// structure
		{ordersT, `{}`, `true`},
		{ordersT, `{id: 1}`, `(_eq id 1)`},
		{ordersT, `{id: {}}`, `true`},
		{ordersT, `{id: 1, author_id: 2}`, `(and (_eq id 1) (_eq author_id 2))`},
		{ordersT, `{id: {_gt: 1, _lt: 9}}`, `(and (_gt id 1) (_lt id 9))`},
		{ordersT, `{_and: []}`, `true`},
		{ordersT, `{_or: []}`, `false`},
		{ordersT, `{_and: [{id: 1}]}`, `(and (_eq id 1))`},
		{ordersT, `{_or: [{id: 1}, {id: 2}]}`, `(or (_eq id 1) (_eq id 2))`},
		{ordersT, `{_not: {id: 1}}`, `(not (_eq id 1))`},
		{ordersT, `{_not: {}}`, `(not true)`},
		{ordersT, `{$and: [{$or: [{id: {$eq: 1}}]}, {$not: {id: {$ne: 2}}}]}`, `(and (or (_eq id 1)) (not (_neq id 2)))`},

		// every operator
		{ordersT, `{id: {_eq: 1, _neq: 2, _ne: 3, _gt: 4, _lt: 5, _gte: 6, _lte: 7}}`,
			`(and (_eq id 1) (_neq id 2) (_neq id 3) (_gt id 4) (_lt id 5) (_gte id 6) (_lte id 7))`},
		{ordersT, `{id: {_in: [1, 2], _nin: [], _is_null: false}}`, `(and (_in id [1 2]) (_nin id []) (_is_null id false))`},
		{articlesT, `{title: {_like: "a%", _nlike: b, _ilike: c, _nilike: d, _similar: e, _nsimilar: f}}`,
			`(and (_like title "a%") (_nlike title "b") (_ilike title "c") (_nilike title "d") (_similar title "e") (_nsimilar title "f"))`},
		{articlesT, `{title: {_regex: a, _nregex: b, _iregex: c, _niregex: d}}`,
			`(and (_regex title "a") (_nregex title "b") (_iregex title "c") (_niregex title "d"))`},
		{authorsT, `{profile: {_contains: {a: [1, true, null]}, _contained_in: {b: "x"}}}`,
			`(and (_contains profile {"a":[1 true null]}) (_contained_in profile {"b":"x"}))`},
		{authorsT, `{profile: {_has_key: a, _has_keys_any: [a, b], _has_keys_all: X-Hasura-Keys}}`,
			`(and (_has_key profile "a") (_has_keys_any profile ["a" "b"]) (_has_keys_all profile x-hasura-keys))`},
		{authorsT, `{profile: {_cast: {String: {_ilike: "%x%"}}}}`, `(_ilike profile::text "%x%")`},
		{authorsT, `{profile: {_cast: {String: {_eq: a, _neq: b}}}}`, `(and (_eq profile::text "a") (_neq profile::text "b"))`},
		{authorsT, `{tags: {_contains: [a, b], _contained_in: X-Hasura-Tags}}`,
			`(and (_contains tags ["a" "b"]) (_contained_in tags x-hasura-tags))`},
		{authorsT, `{tags: {_eq: "{a,b}"}}`, `(_eq tags "{a,b}")`},

		// values
		{ordersT, `{id: {_in: X-HASURA-ALLOWED-IDS}}`, `(_in id x-hasura-allowed-ids)`},
		{ordersT, `{author_id: X-Hasura-User-Id}`, `(_eq author_id x-hasura-user-id)`},
		{authorsT, `{score: {_gt: 1.50}}`, `(_gt score 1.50)`},
		{authorsT, `{score: {_gt: "2.5"}, big: {_lt: "9007199254740993"}}`, `(and (_gt score "2.5") (_lt big "9007199254740993"))`},
		{authorsT, `{mood: sad, active: true, karma: {_gte: 3}}`, `(and (_eq mood "sad") (_eq active true) (_gte karma 3))`},
		{authorsT, `{uid: {_eq: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}, created_at: {_lt: "2020-01-01"}}`,
			`(and (_eq uid "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11") (_lt created_at "2020-01-01"))`},
		{authorsT, `{name: {_eq: "!include x.yaml"}}`, `(_eq name "!include x.yaml")`},

		// relationships
		{articlesT, `{author: {name: {_eq: x}}}`, `(rel author (_eq name "x"))`},
		{articlesT, `{comments: {}}`, `(rel comments true)`},
		{articlesT, `{comments: {article: {author: {org: {name: acme}}}}}`,
			`(rel comments (rel article (rel author (rel org (_eq name "acme")))))`},
		{articlesT, `{owner: {id: X-Hasura-User-Id}, _or: [{is_published: true}, {author_id: {_is_null: true}}]}`,
			`(and (rel owner (_eq id x-hasura-user-id)) (or (_eq is_published true) (_is_null author_id true)))`},

		// _exists
		{ordersT, `{_exists: {_table: {schema: public, name: orgs}, _where: {name: {_eq: acme}}}}`,
			`(exists public.orgs (_eq name "acme"))`},
		{ordersT, `{_exists: {_table: orgs, _where: {id: {_ceq: ["$", author_id]}}}}`,
			`(exists public.orgs (_ceq id $.author_id))`},

		// column comparisons
		{articlesT, `{author_id: {_ceq: editor_id, _cne: [owner_id], _cneq: id}}`,
			`(and (_ceq author_id editor_id) (_cne author_id owner_id) (_cne author_id id))`},
		{articlesT, `{author: {id: {_cgt: ["$", author_id], _clt: org_id, _cgte: org_id, _clte: ["$", id]}}}`,
			`(rel author (and (_cgt id $.author_id) (_clt id org_id) (_cgte id org_id) (_clte id $.id)))`},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			m, e := loadFilter(t, tt.table, tt.filter)
			if got := e.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			// Marshal writes the filter back; it reads to the same tree.
			out, err := Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			schema, name, _ := strings.Cut(tt.table, ".")
			again := mustLoad(t, string(out)).Table(schema, name).SelectPermission("user").Filter
			if again.String() != tt.want {
				t.Errorf("after Marshal: %s\nwant %s\n%s", again, tt.want, out)
			}
		})
	}
}

// TestBoolExpNodes checks the fields a compiler reads, beyond String.
func TestBoolExpNodes(t *testing.T) {
	const articlesT = "public.articles"
	got := filterOn(t, articlesT, `{author_id: {_eq: X-Hasura-User-Id}, author: {karma: {_in: [1, 2]}}, title: {_like: "a%"}}`)
	and, ok := got.(*And)
	if !ok || len(and.Exprs) != 3 {
		t.Fatalf("got %s, want an And of 3", got)
	}
	eq := and.Exprs[0].(*Compare)
	if eq.Op != OpEq || eq.Column != "author_id" || eq.Type.Name != "int4" || eq.Pos.Line != 12 {
		t.Errorf("eq = %+v", eq)
	}
	if sv, ok := eq.Value.(*SessionVar); !ok || sv.Name != "x-hasura-user-id" {
		t.Errorf("eq.Value = %#v, want session variable x-hasura-user-id", eq.Value)
	}
	rel := and.Exprs[1].(*Related)
	if rel.Relationship.Name != "author" || rel.Relationship.RemoteTable != "authors" {
		t.Errorf("rel = %+v", rel.Relationship)
	}
	in := rel.Where.(*Compare)
	if in.Type.Kind != "domain" || in.Type.Scalar().Name != "int4" {
		t.Errorf("a domain column keeps its type: %+v", in.Type)
	}
	if diff := cmp.Diff([]any{json.Number("1"), json.Number("2")}, in.Value.(*Literal).Value); diff != "" {
		t.Errorf("_in value (-want +got):\n%s", diff)
	}
	if lit := and.Exprs[2].(*Compare).Value.(*Literal); lit.Value != "a%" {
		t.Errorf("_like value = %#v", lit.Value)
	}
}

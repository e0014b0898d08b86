package runtime_test

// The statement shapes (compile/select.go): a row's JSON is row_to_json of
// a lateral row, an object relationship a scalar subquery (without LIMIT
// over a key of the remote table). What must hold whatever the shape:
// answers byte for byte (key order, aliases, __typename, null), parents in
// their order, a remote role filter that nulls the relationship without
// dropping the parent, and one row for a relationship over columns that
// are not a key.

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
)

const (
	shapesSQL    = "testdata/fixtures/shapes/schema.sql"
	shapesConfig = "testdata/fixtures/shapes/hasgen.yaml"
)

// subSelectPerRow is the shape rows no longer have: a row's JSON built
// by a sub-select in the select list.
var subSelectPerRow = regexp.MustCompile(`\(SELECT row_to_json\("_\d+"\) FROM \(SELECT `)

func TestStatementShapes(t *testing.T) {
	e, _ := inProcessEngine(t, []string{shapesSQL}, shapesConfig, nil, nil)
	admin := &session.Session{Role: session.AdminRole, Vars: map[string]string{"x-hasura-role": "admin"}}
	reader := &session.Session{Role: "reader", Vars: map[string]string{"x-hasura-role": "reader"}}
	do := func(s *session.Session, query string) string {
		return string(e.Do(context.Background(), s, &wire.Request{Query: query}))
	}

	t.Run("answers", func(t *testing.T) {
		cases := []struct {
			name  string
			s     *session.Session
			query string
			want  string
		}{
			// The books in the table's order (no order_by): an object
			// relationship must not reorder its parents.
			{"parents keep their order", admin, `{ books { id author { name } } }`,
				`{"data":{"books":[{"id":5,"author":{"name":"Cy"}}, {"id":2,"author":{"name":"Bob"}}, {"id":9,"author":{"name":"Ann"}}, {"id":1,"author":null}, {"id":7,"author":{"name":"Bob"}}, {"id":3,"author":{"name":"Ann"}}]}}`},
			// Bob is hidden from readers: his books come back, their
			// author null; the role's limit (4) applies to the books.
			{"remote filter nulls, parent stays", reader, `{ books(order_by: {id: desc}) { id author { id name } } }`,
				`{"data":{"books":[{"id":9,"author":{"id":1,"name":"Ann"}}, {"id":7,"author":null}, {"id":5,"author":{"id":3,"name":"Cy"}}, {"id":3,"author":{"id":1,"name":"Ann"}}]}}`},
			{"keys, aliases and __typename in order", reader, `{ books_by_pk(id: 9) { t: title, __typename, author { __typename n: name id } } }`,
				`{"data":{"books_by_pk":{"t":"nine","__typename":"books","author":{"__typename":"authors","n":"Ann","id":1}}}}`},
			{"a hidden row by key is null", reader, `{ authors_by_pk(id: 2) { name } }`,
				`{"data":{"authors_by_pk":null}}`},
			{"no remote row is null", admin, `{ books_by_pk(id: 1) { id author { name } } }`,
				`{"data":{"books_by_pk":{"id":1,"author":null}}}`},
			{"nested object relationships", admin, `{ books(where: {id: {_eq: 5}}) { author { name profile { bio } } } }`,
				`{"data":{"books":[{"author":{"name":"Cy","profile":{"bio":"only"}}}]}}`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if got := do(c.s, c.query); got != c.want {
					t.Errorf("%s\n got %s\nwant %s", c.query, got, c.want)
				}
			})
		}
	})

	// profile maps authors.name onto profiles.author_name, which is not a
	// key: Ann has two profiles, and the relationship gives one of them
	// (Hasura's LIMIT 1), not an error or two rows.
	t.Run("object relationship over columns that are not a key", func(t *testing.T) {
		got := do(reader, `{ authors { name profile { bio } } }`)
		var resp struct {
			Data struct {
				Authors []struct {
					Name    string
					Profile *struct{ Bio string }
				}
			}
			Errors []any
		}
		if err := json.Unmarshal([]byte(got), &resp); err != nil || resp.Errors != nil {
			t.Fatalf("%s (%v)", got, err)
		}
		if len(resp.Data.Authors) != 2 {
			t.Fatalf("want Ann and Cy (Bob is hidden), got %s", got)
		}
		for _, a := range resp.Data.Authors {
			if a.Profile == nil {
				t.Fatalf("%s has no profile: %s", a.Name, got)
			}
			switch {
			case a.Name == "Ann" && (a.Profile.Bio == "first" || a.Profile.Bio == "second"):
			case a.Name == "Cy" && a.Profile.Bio == "only":
			default:
				t.Errorf("unexpected %s: %s", a.Name, got)
			}
		}
	})

	// The shapes themselves: over a key, no LIMIT and no lateral join per
	// object relationship; over other columns, LIMIT 1.
	t.Run("statements", func(t *testing.T) {
		sql := func(s *session.Session, query string) string {
			ex, err := e.Explain(context.Background(), s, &wire.Request{Query: query})
			if err != nil || len(ex) != 1 {
				t.Fatalf("%s: %v %v", query, ex, err)
			}
			return ex[0].SQL
		}
		key := sql(admin, `{ books { id author { name } } }`)
		if strings.Contains(key, "LIMIT") || strings.Contains(key, "LEFT JOIN LATERAL") {
			t.Errorf("relationship over a key: want a scalar subquery without LIMIT, got\n%s", key)
		}
		if !strings.Contains(key, "row_to_json(") || subSelectPerRow.MatchString(key) {
			t.Errorf("want row_to_json of a lateral row, not a sub-select per row, got\n%s", key)
		}
		if notKey := sql(admin, `{ authors { profile { bio } } }`); !strings.Contains(notKey, " LIMIT 1") {
			t.Errorf("relationship over columns that are not a key: want LIMIT 1, got\n%s", notKey)
		}
	})
}

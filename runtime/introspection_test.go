package runtime_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/session"
)

const (
	deploySQL    = "testdata/fixtures/deploy/schema.sql"
	deployConfig = "testdata/fixtures/deploy/metadata"
)

// TestIntrospectionDisabledForRoles: graphql_schema_introspection.yaml
// refuses __schema and __type to role user, with Hasura's error, in
// process and over the generated server (which reads it from
// schema/source.jsonc); __typename stays allowed, and role viewer and
// admin still introspect.
func TestIntrospectionDisabledForRoles(t *testing.T) {
	e := newFixtureEngine(t, deploySQL, deployConfig, false)
	refused := []string{
		`{ __schema { queryType { name } } }`,
		`{ __type(name: "notes") { name } }`,
		`{ s: __schema { queryType { name } } }`,
		`{ notes { id } __type(name: "notes") { name } }`,
		`query { ...F } fragment F on query_root { __schema { types { name } } }`,
	}
	for _, q := range refused {
		err := e.fail(t, "user", nil, q, nil)
		if err.Message != `introspection is disabled for role: "user"` || err.Extensions.Code != "not-supported" || err.Extensions.Path != "$" {
			t.Errorf("%s: error %+v, want Hasura's not-supported at $", q, err)
		}
	}
	sameJSON(t, "__typename for user", e.raw(t, "user", nil, `{ __typename notes(order_by: {id: asc}) { __typename id } }`, nil),
		`{"data":{"__typename":"query_root","notes":[{"__typename":"notes","id":1},{"__typename":"notes","id":2}]}}`)
	// The others introspect: over the generated server only, since the
	// in-process engine has no custom executor to answer __schema.
	for _, role := range []string{"viewer", session.AdminRole} {
		body := e.overHTTP(t, role, nil, []byte(`{"query":"{ __type(name: \"notes\") { name } }"}`))
		if body != `{"data":{"__type":{"name":"notes"}}}` {
			t.Errorf("%s: introspection answered %s", role, body)
		}
	}
}

// TestDisableIntrospectionAllRoles: HASGEN_DISABLE_INTROSPECTION
// (engine.Config.DisableIntrospection) refuses every role but admin with
// the same error.
func TestDisableIntrospectionAllRoles(t *testing.T) {
	e, _ := inProcessEngine(t, []string{deploySQL}, deployConfig, nil, func(c *engine.Config) { c.DisableIntrospection = true })
	for _, role := range []string{"viewer", "user", "nobody"} {
		out := e.Do(context.Background(), &session.Session{Role: role}, request(`{ __schema { queryType { name } } }`, nil))
		var r response
		if err := json.Unmarshal(out, &r); err != nil || len(r.Errors) != 1 {
			t.Fatalf("%s: %s", role, out)
		}
		if want := `introspection is disabled for role: "` + role + `"`; r.Errors[0].Message != want || r.Errors[0].Extensions.Code != "not-supported" {
			t.Errorf("%s: %s", role, out)
		}
	}
	out := e.Do(context.Background(), &session.Session{Role: session.AdminRole}, request(`{ __schema { queryType { name } } }`, nil))
	if strings.Contains(string(out), "introspection is disabled") {
		t.Errorf("admin refused: %s", out)
	}
}

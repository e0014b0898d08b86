package runtime_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	inheritedSQL    = "testdata/fixtures/inherited/schema.sql"
	inheritedConfig = "testdata/fixtures/inherited/metadata"
)

// The session of every role below: department 1, user 1.
var inheritedVars = map[string]string{"x-hasura-dept-id": "1", "x-hasura-user-id": "1"}

// An inherited role (staff_manager = staff ∪ manager, and everyone =
// staff_manager ∪ auditor) sees the union of its parents' rows, and in
// each row only the cells of a parent that sees that row (Hasura's cell
// semantics). The expected rows are derived by hand from the fixture:
//
//	staff    (dept 1):       rows 1 2 5, columns id name dept_id
//	manager  (manager 1):    rows 2 3,   columns id name phone salary
//	auditor  (salary >= 95): row 1,      columns id salary
//
// Row 4 is nobody's; phone 111/555 and salary 100/60 are staff-only rows'
// cells the manager grants; dept_id 2 of row 3 is a manager-only row's
// cell only staff grants. None of them may come back.
func TestInheritedRoleSelect(t *testing.T) {
	e := newFixtureEngine(t, inheritedSQL, inheritedConfig, false)
	q := `{ employees(order_by: {id: asc}) { id name dept_id phone salary } }`
	want := `{"data":{"employees":[` +
		`{"id":1,"name":"alice","dept_id":1,"phone":null,"salary":null},` +
		`{"id":2,"name":"bob","dept_id":1,"phone":"222","salary":80},` +
		`{"id":3,"name":"carol","dept_id":null,"phone":"333","salary":90},` +
		`{"id":5,"name":"erin","dept_id":1,"phone":null,"salary":null}]}}`
	sameJSON(t, "staff_manager", e.raw(t, "staff_manager", inheritedVars, q, nil), want)
	// Nested: auditor adds row 1's salary, nothing else.
	wantEveryone := `{"data":{"employees":[` +
		`{"id":1,"name":"alice","dept_id":1,"phone":null,"salary":100},` +
		`{"id":2,"name":"bob","dept_id":1,"phone":"222","salary":80},` +
		`{"id":3,"name":"carol","dept_id":null,"phone":"333","salary":90},` +
		`{"id":5,"name":"erin","dept_id":1,"phone":null,"salary":null}]}}`
	sameJSON(t, "everyone", e.raw(t, "everyone", inheritedVars, q, nil), wantEveryone)

	// Relationships join on the rows' own values, as in Hasura: row 3's
	// department is there though its dept_id cell is hidden, and row 3
	// is among department 2's employees.
	sameJSON(t, "object relationship", e.raw(t, "staff_manager", inheritedVars, `{ employees(order_by: {id: asc}) { id department { name } } }`, nil),
		`{"data":{"employees":[{"id":1,"department":{"name":"eng"}},{"id":2,"department":{"name":"eng"}},{"id":3,"department":{"name":"ops"}},{"id":5,"department":{"name":"eng"}}]}}`)
	sameJSON(t, "array relationship", e.raw(t, "staff_manager", inheritedVars,
		`{ departments(order_by: {id: asc}) { id employees(order_by: {id: asc}) { id dept_id phone } } }`, nil),
		`{"data":{"departments":[{"id":1,"employees":[{"id":1,"dept_id":1,"phone":null},{"id":2,"dept_id":1,"phone":"222"},{"id":5,"dept_id":1,"phone":null}]},`+
			`{"id":2,"employees":[{"id":3,"dept_id":null,"phone":"333"}]}]}}`)

	// A hidden cell cannot be filtered on, ordered by or counted: phone
	// 111 is row 1's, hidden from staff_manager; dept 2 is row 3's.
	empty := []struct{ name, q string }{
		{"where on a hidden phone", `{ employees(where: {phone: {_eq: "111"}}) { id } }`},
		{"where on a hidden department", `{ employees(where: {dept_id: {_eq: 2}}) { id } }`},
		{"where on a hidden salary", `{ employees(where: {salary: {_gte: 95}}) { id } }`},
		{"nobody's row", `{ employees(where: {id: {_eq: 4}}) { id } }`},
	}
	for _, c := range empty {
		sameJSON(t, c.name, e.raw(t, "staff_manager", inheritedVars, c.q, nil), `{"data":{"employees":[]}}`)
	}
	sameJSON(t, "order by phone", e.raw(t, "staff_manager", inheritedVars, `{ employees(order_by: [{phone: desc_nulls_last}, {id: asc}]) { id } }`, nil),
		`{"data":{"employees":[{"id":3},{"id":2},{"id":1},{"id":5}]}}`)
	sameJSON(t, "by_pk of nobody's row", e.raw(t, "staff_manager", inheritedVars, `{ employees_by_pk(id: 4) { id } }`, nil), `{"data":{"employees_by_pk":null}}`)

	// Aggregations: manager allows them, so staff_manager has them, over
	// its rows and its cells only: sum(salary) is 80 + 90.
	agg := `{ employees_aggregate { aggregate { count sum { salary } max { salary } min { salary } } nodes { id salary } } }`
	wantAgg := `{"data":{"employees_aggregate":{"aggregate":{"count":4,"sum":{"salary":170},"max":{"salary":90},"min":{"salary":80}},` +
		`"nodes":[{"id":1,"salary":null},{"id":2,"salary":80},{"id":3,"salary":90},{"id":5,"salary":null}]}}}`
	sameJSON(t, "aggregate", e.raw(t, "staff_manager", inheritedVars, agg, nil), wantAgg)
	// staff has no aggregations of its own.
	if err := e.fail(t, "staff", inheritedVars, agg, nil); err.Extensions.Code != "validation-failed" {
		t.Errorf("staff aggregate: %+v", err)
	}

	// Limit: the largest of the parents' (1 and 2).
	sameJSON(t, "departments limit", e.raw(t, "staff_manager", inheritedVars, `{ departments(order_by: {id: asc}) { id } }`, nil), `{"data":{"departments":[{"id":1},{"id":2}]}}`)
	sameJSON(t, "staff departments limit", e.raw(t, "staff", inheritedVars, `{ departments(order_by: {id: asc}) { id } }`, nil), `{"data":{"departments":[{"id":1}]}}`)

	// The SQL stays parameterised: the session's values are parameters.
	e.tracer.take()
	e.raw(t, "staff_manager", map[string]string{"x-hasura-dept-id": "1", "x-hasura-user-id": "987654"}, q, nil)
	for _, sql := range e.tracer.take() {
		if containsAny(sql, "987654") {
			t.Errorf("a session value is in the SQL text: %s", sql)
		}
	}
}

// sameJSON compares two JSON texts by value.
func sameJSON(t *testing.T, what, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s: %v: %s", what, err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: want: %v", what, err)
	}
	if d := cmp.Diff(w, g); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		for i := 0; i+len(sub) <= len(s); i++ {
			if s[i:i+len(sub)] == sub {
				return true
			}
		}
	}
	return false
}

// The inherited role's schema: the union of the columns, those not
// granted by every parent nullable (their cells can be NULL).
func TestInheritedRoleSchema(t *testing.T) {
	e := newFixtureEngine(t, inheritedSQL, inheritedConfig, false)
	body := e.overHTTP(t, "staff_manager", inheritedVars, []byte(`{"query":"{ __type(name: \"employees\") { fields { name type { kind name ofType { name } } } } }"}`))
	var resp response
	if err := json.Unmarshal([]byte(body), &resp); err != nil || resp.Data == nil {
		t.Fatalf("introspection: %v %s", err, body)
	}
	got := map[string]string{}
	for _, f := range resp.Data["__type"].(map[string]any)["fields"].([]any) {
		f := f.(map[string]any)
		typ := f["type"].(map[string]any)
		if typ["kind"] == "NON_NULL" {
			got[f["name"].(string)] = typ["ofType"].(map[string]any)["name"].(string) + "!"
		} else {
			got[f["name"].(string)] = typ["name"].(string)
		}
	}
	// department stays non-null: relationships join on the row's own
	// values, as in Hasura.
	want := map[string]string{"id": "Int!", "name": "String!", "dept_id": "Int", "phone": "String", "salary": "numeric", "department": "departments!"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("employees for staff_manager (-want +got):\n%s", d)
	}
}

// Mutations are inherited when the parents that have the permission
// agree: both staff and manager may update their own phone; only manager
// deletes, its reports.
func TestInheritedRoleMutations(t *testing.T) {
	e := newFixtureEngine(t, inheritedSQL, inheritedConfig, false)
	// returning is read under the select permission: row 1 is a staff
	// row, whose phone the role does not see, even just written.
	sameJSON(t, "update own phone", e.raw(t, "staff_manager", inheritedVars, `mutation { update_employees_by_pk(pk_columns: {id: 1}, _set: {phone: "999"}) { id phone dept_id } }`, nil),
		`{"data":{"update_employees_by_pk":{"id":1,"phone":null,"dept_id":1}}}`)
	sameJSON(t, "update another's phone", e.raw(t, "staff_manager", inheritedVars, `mutation { update_employees(where: {id: {_eq: 2}}, _set: {phone: "000"}) { affected_rows } }`, nil),
		`{"data":{"update_employees":{"affected_rows":0}}}`)
	if err := e.fail(t, "staff_manager", inheritedVars, `mutation { update_employees(where: {}, _set: {name: "x"}) { affected_rows } }`, nil); err.Extensions.Code != "validation-failed" {
		t.Errorf("update of a column no parent may update: %+v", err)
	}
	sameJSON(t, "delete rows that are not the manager's reports", e.raw(t, "staff_manager", inheritedVars, `mutation { delete_employees(where: {id: {_in: [1, 4, 5]}}) { affected_rows } }`, nil),
		`{"data":{"delete_employees":{"affected_rows":0}}}`)
	if got := e.sqlJSON(t, `SELECT json_agg(phone ORDER BY id) FROM employees`); cmp.Diff([]any{"999", "222", "333", "444", "555"}, got) != "" {
		t.Errorf("phones after the updates: %v", got)
	}
}

// A live query and a stream under the inherited role: the first result,
// then the changes, with the cells still hidden.
func TestInheritedRoleSubscription(t *testing.T) {
	e := newFixtureEngine(t, inheritedSQL, inheritedConfig, false)
	c := dial(t, e.server.URL, protoNew, http.Header{})
	c.init(map[string]any{"headers": map[string]any{"x-hasura-admin-secret": e2eSecret, "x-hasura-role": "staff_manager",
		"x-hasura-dept-id": "1", "x-hasura-user-id": "1"}})
	c.subscribe("1", `subscription { employees(order_by: {id: asc}) { id phone } }`, nil)
	first := jsonOf(c.data("1"))
	if want := `{"employees":[{"id":1,"phone":null},{"id":2,"phone":"222"},{"id":3,"phone":"333"},{"id":5,"phone":null}]}`; first != want {
		t.Fatalf("first result\n got %s\nwant %s", first, want)
	}
	e.exec(t, `UPDATE employees SET phone = '3333' WHERE id = 3`)
	e.exec(t, `UPDATE employees SET phone = '5555' WHERE id = 5`) // a hidden cell: no change to see
	next := jsonOf(c.data("1"))
	if want := `{"employees":[{"id":1,"phone":null},{"id":2,"phone":"222"},{"id":3,"phone":"3333"},{"id":5,"phone":null}]}`; next != want {
		t.Fatalf("after update\n got %s\nwant %s", next, want)
	}

	// A stream: the rows after the cursor, cells hidden; a new row of
	// nobody's is never sent, a new report of the manager's is. (jsonOf
	// sorts keys.)
	c.stop("1")
	c.subscribe("2", `subscription { employees_stream(batch_size: 10, cursor: {initial_value: {id: 0}}) { id dept_id phone } }`, nil)
	if got, want := jsonOf(c.data("2")), `{"employees_stream":[{"dept_id":1,"id":1,"phone":null},{"dept_id":1,"id":2,"phone":"222"},{"dept_id":null,"id":3,"phone":"3333"},{"dept_id":1,"id":5,"phone":null}]}`; got != want {
		t.Fatalf("stream\n got %s\nwant %s", got, want)
	}
	e.exec(t, `INSERT INTO employees VALUES (6, 'frank', 2, 3, '666', 10), (7, 'gina', 3, 1, '777', 20)`)
	if got, want := jsonOf(c.data("2")), `{"employees_stream":[{"dept_id":null,"id":7,"phone":"777"}]}`; got != want {
		t.Fatalf("stream after insert\n got %s\nwant %s", got, want)
	}
}

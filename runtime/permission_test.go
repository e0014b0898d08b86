package runtime_test

// Permissions: per role, the rows and columns that must NOT come back,
// through root fields, relationships, aggregates, relationship filters and
// order_by, on Chinook (testdata/fixtures/chinook) and Pagila
// (testdata/fixtures/pagila). Expected data is computed by plain SQL with
// the role's filter written out by hand.

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const pagilaConfig = "testdata/fixtures/pagila/hasgen.yaml"

// errorCase is a query a role must not be able to run.
type errorCase struct {
	name, role string
	session    map[string]string
	query      string
	code, path string
	message    string // a regexp
}

func runErrorCases(t *testing.T, e *testEngine, cases []errorCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := e.fail(t, c.role, c.session, c.query, nil)
			if got.Extensions.Code != c.code || got.Extensions.Path != c.path || !regexp.MustCompile(c.message).MatchString(got.Message) {
				t.Errorf("got %q at %s (%s), want %q at %s (%s)", got.Message, got.Extensions.Path, got.Extensions.Code, c.message, c.path, c.code)
			}
		})
	}
}

// notEmpty fails when admin gets no rows from a query: a "must not see"
// case is only worth something if the rows exist.
func notEmpty(t *testing.T, e *testEngine, query, field string) {
	t.Helper()
	if rows, _ := e.data(t, "admin", nil, query, nil)[field].([]any); len(rows) == 0 {
		t.Fatalf("admin sees no rows either, the case proves nothing: %s", query)
	}
}

func TestPermissionsChinook(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", chinookConfig, false)
	c2 := map[string]string{"x-hasura-user-id": "2"}
	e3 := map[string]string{"x-hasura-user-id": "3"}

	// The rows the leak cases look for exist.
	notEmpty(t, e, `{ customers(where: {id: {_eq: 3}}) { id } }`, "customers")
	notEmpty(t, e, `{ tracks(where: {invoice_lines: {invoice: {customer_id: {_eq: 3}}}}) { id } }`, "tracks")
	notEmpty(t, e, `{ employees(where: {customers: {support_rep_id: {_eq: 4}}}) { id } }`, "employees")

	// c2Lines is customer 2's invoice lines, as the role's filter says.
	const c2Lines = `(SELECT l.* FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE i.customer_id = 2)`
	cases := []queryCase{
		{name: "customer_own_row_only", role: "customer", session: c2,
			query: `{ customers(order_by: {id: asc}) { id first_name } }`,
			sql:   `SELECT json_build_object('customers', json_agg(json_build_object('id', id, 'first_name', first_name))) FROM customers WHERE id = 2`},
		{name: "customer_where_cannot_widen", role: "customer", session: c2,
			query: `{ a: customers(where: {id: {_eq: 3}}) { id } b: customers(where: {_or: [{id: {_eq: 3}}, {id: {_neq: 3}}]}) { id } c: customers(where: {_not: {id: {_eq: 2}}}) { id } }`,
			want:  `{"a": [], "b": [{"id": 2}], "c": []}`},
		{name: "customer_by_pk_hidden_is_null", role: "customer", session: c2,
			query: `{ customers_by_pk(id: 3) { id } invoices_by_pk(id: 98) { id } mine: invoices_by_pk(id: 1) { id } }`,
			sql: `SELECT json_build_object('customers_by_pk', NULL, 'invoices_by_pk',
				(SELECT json_build_object('id', id) FROM invoices WHERE id = 98 AND customer_id = 2),
				'mine', (SELECT json_build_object('id', id) FROM invoices WHERE id = 1 AND customer_id = 2))`},
		{name: "customer_invoices_through_customers", role: "customer", session: c2,
			query: `{ customers { id invoices(order_by: {id: asc}) { id customer_id } invoices_aggregate { aggregate { count sum { total } } } } }`,
			sql: `SELECT json_build_object('customers', json_build_array(json_build_object('id', 2,
				'invoices', (SELECT json_agg(json_build_object('id', id, 'customer_id', customer_id) ORDER BY id) FROM invoices WHERE customer_id = 2),
				'invoices_aggregate', (SELECT json_build_object('aggregate', json_build_object('count', count(*), 'sum', json_build_object('total', sum(total)))) FROM invoices WHERE customer_id = 2))))`},
		{name: "customer_lines_to_invoice", role: "customer", session: c2,
			query: `{ invoice_lines(order_by: {id: asc}) { id invoice { customer_id } } }`,
			sql: `SELECT json_build_object('invoice_lines', json_agg(json_build_object('id', id, 'invoice', json_build_object('customer_id', 2)) ORDER BY id))
				FROM ` + c2Lines + ` l`},
		{name: "customer_public_tracks_to_private_lines", role: "customer", session: c2,
			query: `{ tracks(where: {id: {_in: [2, 4, 8, 9]}}, order_by: {id: asc}) { id invoice_lines(order_by: {id: asc}) { id invoice { customer_id } } invoice_lines_aggregate { aggregate { count } } } }`,
			sql: `SELECT json_build_object('tracks', json_agg(json_build_object('id', t.id,
				'invoice_lines', (SELECT coalesce(json_agg(json_build_object('id', l.id, 'invoice', json_build_object('customer_id', 2)) ORDER BY l.id), '[]') FROM ` + c2Lines + ` l WHERE l.track_id = t.id),
				'invoice_lines_aggregate', json_build_object('aggregate', json_build_object('count', (SELECT count(*) FROM ` + c2Lines + ` l WHERE l.track_id = t.id)))) ORDER BY t.id))
				FROM tracks t WHERE t.id IN (2, 4, 8, 9)`},
		{name: "customer_filter_through_private_lines", role: "customer", session: c2,
			query: `{ other: tracks(where: {invoice_lines: {invoice: {customer_id: {_eq: 3}}}}) { id }
				bought: tracks(where: {invoice_lines: {}}, order_by: {id: asc}) { id }
				agg: tracks(where: {invoice_lines_aggregate: {count: {predicate: {_gt: 0}}}}, order_by: {id: asc}) { id }
				none: tracks(where: {invoice_lines_aggregate: {count: {filter: {invoice_id: {_neq: 1}}, predicate: {_gt: 5}}}}) { id } }`,
			sql: `SELECT json_build_object('other', '[]'::json,
				'bought', (SELECT json_agg(json_build_object('id', id) ORDER BY id) FROM (SELECT DISTINCT track_id AS id FROM ` + c2Lines + ` l) x),
				'agg', (SELECT json_agg(json_build_object('id', id) ORDER BY id) FROM (SELECT DISTINCT track_id AS id FROM ` + c2Lines + ` l) x),
				'none', '[]'::json)`},
		{name: "customer_order_by_private_aggregate", role: "customer", session: c2,
			query: `{ tracks(order_by: [{invoice_lines_aggregate: {count: desc}}, {invoice_lines_aggregate: {max: {unit_price: asc}}}, {id: asc}], limit: 12) { id } }`,
			sql: `SELECT json_build_object('tracks', json_agg(json_build_object('id', id) ORDER BY c DESC, p ASC NULLS LAST, id)) FROM (
				SELECT t.id, (SELECT count(*) FROM ` + c2Lines + ` l WHERE l.track_id = t.id) AS c, (SELECT max(unit_price) FROM ` + c2Lines + ` l WHERE l.track_id = t.id) AS p
				FROM tracks t ORDER BY c DESC, p ASC NULLS LAST, t.id LIMIT 12) x`},
		{name: "customer_invoices_where_through_customer", role: "customer", session: c2,
			query: `{ invoices(where: {customer: {first_name: {_like: "%"}}}, order_by: {id: asc}) { id } lines: invoice_lines(where: {invoice: {customer_id: {_neq: 2}}}) { id } }`,
			sql:   `SELECT json_build_object('invoices', json_agg(json_build_object('id', id) ORDER BY id), 'lines', '[]'::json) FROM invoices WHERE customer_id = 2`},
		{name: "customer_aggregates_count_visible_rows", role: "customer", session: c2,
			query: `{ invoices_aggregate { aggregate { count max { total } min { invoice_date } } } invoice_lines_aggregate { aggregate { count sum { quantity unit_price } } } }`,
			sql: `SELECT json_build_object(
				'invoices_aggregate', (SELECT json_build_object('aggregate', json_build_object('count', count(*), 'max', json_build_object('total', max(total)), 'min', json_build_object('invoice_date', min(invoice_date)))) FROM invoices WHERE customer_id = 2),
				'invoice_lines_aggregate', (SELECT json_build_object('aggregate', json_build_object('count', count(*), 'sum', json_build_object('quantity', sum(quantity), 'unit_price', sum(unit_price)))) FROM ` + c2Lines + ` l))`},
		{name: "customer_public_tables_need_no_session_variable", role: "customer", session: nil,
			query: `{ albums_by_pk(id: 1) { title artist { name } tracks_aggregate { aggregate { count } } } }`,
			want:  `{"albums_by_pk": {"title": "For Those About To Rock We Salute You", "artist": {"name": "AC/DC"}, "tracks_aggregate": {"aggregate": {"count": 10}}}}`},
		{name: "employee_nested_counts_only_visible_customers", role: "employee", session: e3,
			query: `{ employees(order_by: {id: asc}) { id customers_aggregate { aggregate { count } } customers(limit: 1, order_by: {id: asc}) { support_rep_id } } }`,
			sql: `SELECT json_build_object('employees', json_agg(json_build_object('id', e.id,
				'customers_aggregate', json_build_object('aggregate', json_build_object('count', (SELECT count(*) FROM customers c WHERE c.support_rep_id = e.id AND c.support_rep_id = 3))),
				'customers', (SELECT coalesce(json_agg(json_build_object('support_rep_id', support_rep_id)), '[]') FROM (SELECT * FROM customers c WHERE c.support_rep_id = e.id AND c.support_rep_id = 3 ORDER BY id LIMIT 1) x)) ORDER BY e.id))
				FROM employees e`},
		{name: "employee_order_by_visible_count", role: "employee", session: e3,
			query: `{ employees(order_by: [{customers_aggregate: {count: desc}}, {id: asc}]) { id } }`,
			want:  `{"employees": [{"id": 3}, {"id": 1}, {"id": 2}, {"id": 4}, {"id": 5}, {"id": 6}, {"id": 7}, {"id": 8}]}`},
		{name: "employee_where_through_visible_customers", role: "employee", session: e3,
			query: `{ a: employees(where: {customers: {support_rep_id: {_eq: 4}}}) { id } b: employees(where: {customers: {country: {_eq: "Brazil"}}}, order_by: {id: asc}) { id } c: employees(where: {customers_aggregate: {count: {predicate: {_gt: 0}}}}) { id } }`,
			sql: `SELECT json_build_object('a', '[]'::json,
				'b', (SELECT coalesce(json_agg(json_build_object('id', id) ORDER BY id), '[]') FROM employees e WHERE EXISTS (SELECT 1 FROM customers c WHERE c.support_rep_id = e.id AND c.support_rep_id = 3 AND c.country = 'Brazil')),
				'c', json_build_array(json_build_object('id', 3)))`},
		{name: "employee_invoices_through_customer_filter", role: "employee", session: e3,
			query: `{ invoices_aggregate { aggregate { count sum { total } } } invoices(where: {customer: {support_rep_id: {_eq: 4}}}) { id } }`,
			sql: `SELECT json_build_object('invoices_aggregate', json_build_object('aggregate', json_build_object('count', count(*), 'sum', json_build_object('total', sum(total)))), 'invoices', '[]'::json)
				FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE c.support_rep_id = 3`},
		{name: "employee_order_by_object_relationship", role: "employee", session: e3,
			query: `{ invoices(order_by: [{customer: {last_name: desc}}, {id: asc}], limit: 8) { id } }`,
			sql: `SELECT json_build_object('invoices', json_agg(json_build_object('id', id) ORDER BY n DESC, id)) FROM (
				SELECT i.id, c.last_name AS n FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE c.support_rep_id = 3 ORDER BY c.last_name DESC, i.id LIMIT 8) x`},
	}
	runCases(t, e, cases)

	missing := `^missing session variable: "x-hasura-user-id"$`
	runErrorCases(t, e, chinookErrorCases(c2, e3, missing))
	// An unknown role has Hasura's placeholder schema.
	got := e.data(t, "nobody", nil, `{ __typename }`, nil)
	if got["__typename"] != "query_root" {
		t.Errorf("unknown role: %v", got)
	}
}

func chinookErrorCases(c2, e3 map[string]string, missing string) []errorCase {
	return []errorCase{
		{"hidden_column", "customer", c2, `{ customers { id phone } }`,
			"validation-failed", "$.selectionSet.customers.selectionSet.phone", `^field 'phone' not found in type: 'customers'$`},
		{"hidden_column_nested", "customer", c2, `{ customers { invoices { id billing_address } } }`,
			"validation-failed", "$.selectionSet.customers.selectionSet.invoices.selectionSet.billing_address", `^field 'billing_address' not found in type: 'invoices'$`},
		{"hidden_column_in_fragment", "customer", c2, `{ customers { ...F } } fragment F on customers { fax }`,
			"validation-failed", "$.selectionSet.customers.selectionSet.fax", `^field 'fax' not found in type: 'customers'$`},
		{"hidden_column_in_where", "customer", c2, `{ customers(where: {phone: {_eq: "x"}}) { id } }`,
			"validation-failed", "$.selectionSet.customers.args.where.phone", `^field 'phone' not found in type: 'customers_bool_exp'$`},
		{"hidden_column_in_order_by", "customer", c2, `{ customers(order_by: {phone: asc}) { id } }`,
			"validation-failed", "$.selectionSet.customers.args.order_by.phone", `^field 'phone' not found in type: 'customers_order_by'$`},
		{"hidden_column_in_aggregate", "customer", c2, `{ invoices_aggregate { aggregate { max { billing_address } } } }`,
			"validation-failed", "$.selectionSet.invoices_aggregate.selectionSet.aggregate.selectionSet.max.selectionSet.billing_address", `^field 'billing_address' not found in type: 'invoices_max_fields'$`},
		{"hidden_column_in_distinct_on", "customer", c2, `{ customers(distinct_on: phone) { id } }`,
			"validation-failed", "$", `phone`},
		{"no_aggregations", "customer", c2, `{ customers_aggregate { aggregate { count } } }`,
			"validation-failed", "$.selectionSet.customers_aggregate", `^field 'customers_aggregate' not found in type: 'query_root'$`},
		// employees has no allow_aggregations for employee: no
		// employees_aggregate relationship field, order_by or predicate.
		{"no_aggregations_nested", "employee", e3, `{ employees { employees_aggregate { aggregate { count } } } }`,
			"validation-failed", "$.selectionSet.employees.selectionSet.employees_aggregate", `^field 'employees_aggregate' not found in type: 'employees'$`},
		{"no_aggregations_in_order_by", "employee", e3, `{ employees(order_by: {employees_aggregate: {count: desc}}) { id } }`,
			"validation-failed", "$.selectionSet.employees.args.order_by.employees_aggregate", `^field 'employees_aggregate' not found in type: 'employees_order_by'$`},
		{"no_aggregations_in_where", "employee", e3, `{ employees(where: {employees_aggregate: {count: {predicate: {_gt: 1}}}}) { id } }`,
			"validation-failed", "$.selectionSet.employees.args.where.employees_aggregate", `^field 'employees_aggregate' not found in type: 'employees_bool_exp'$`},
		{"relationship_to_table_without_permission", "customer", c2, `{ customers { employee { id } } }`,
			"validation-failed", "$.selectionSet.customers.selectionSet.employee", `^field 'employee' not found in type: 'customers'$`},
		{"relationship_filter_to_table_without_permission", "customer", c2, `{ customers(where: {employee: {id: {_eq: 1}}}) { id } }`,
			"validation-failed", "$.selectionSet.customers.args.where.employee", `^field 'employee' not found in type: 'customers_bool_exp'$`},
		{"relationship_order_to_table_without_permission", "customer", c2, `{ customers(order_by: {employee: {id: asc}}) { id } }`,
			"validation-failed", "$.selectionSet.customers.args.order_by.employee", `^field 'employee' not found in type: 'customers_order_by'$`},
		{"array_relationship_without_permission", "employee", e3, `{ invoices { invoice_lines { id } } }`,
			"validation-failed", "$.selectionSet.invoices.selectionSet.invoice_lines", `^field 'invoice_lines' not found in type: 'invoices'$`},
		{"table_without_permission", "customer", c2, `{ employees { id } }`,
			"validation-failed", "$.selectionSet.employees", `^field 'employees' not found in type: 'query_root'$`},
		{"untracked_for_role", "customer", c2, `{ playlists { id } }`,
			"validation-failed", "$.selectionSet.playlists", `^field 'playlists' not found in type: 'query_root'$`},
		{"by_pk_without_permission", "customer", c2, `{ employees_by_pk(id: 1) { id } }`,
			"validation-failed", "$.selectionSet.employees_by_pk", `^field 'employees_by_pk' not found in type: 'query_root'$`},
		{"unknown_role", "nobody", nil, `{ albums { id } }`,
			"validation-failed", "$.selectionSet.albums", `^field 'albums' not found in type: 'query_root'$`},
		{"missing_session_variable", "customer", nil, `{ customers { id } }`, "not-found", "$", missing},
		{"missing_session_variable_nested", "customer", nil, `{ albums { tracks { invoice_lines { id } } } }`, "not-found", "$", missing},
		{"missing_session_variable_in_relationship_filter", "customer", nil, `{ tracks(where: {invoice_lines: {}}) { id } }`, "not-found", "$", missing},
		{"missing_session_variable_in_order_by", "customer", nil, `{ tracks(order_by: {invoice_lines_aggregate: {count: asc}}) { id } }`, "not-found", "$", missing},
		{"missing_session_variable_in_aggregate", "customer", nil, `{ albums { tracks { invoice_lines_aggregate { aggregate { count } } } } }`, "not-found", "$", missing},
		{"missing_session_variable_other_var_set", "customer", map[string]string{"x-hasura-other": "2"}, `{ invoices { id } }`, "not-found", "$", missing},
		{"missing_session_variable_second_root_field", "customer", nil, `{ albums(limit: 1) { id } invoices { id } }`, "not-found", "$", missing},
	}
}

func TestPermissionsPagila(t *testing.T) {
	e := newTestEngine(t, "pagila", pagilaConfig, false)
	c1 := map[string]string{"x-hasura-user-id": "1"}
	s1 := map[string]string{"x-hasura-store-ids": "{1}"}
	s12 := map[string]string{"x-hasura-store-ids": "{1,2}"}

	notEmpty(t, e, `{ payment(where: {customer_id: {_eq: 2}}, limit: 1) { payment_id } }`, "payment")
	notEmpty(t, e, `{ film(where: {rating: {_eq: "R"}}, limit: 1) { film_id } }`, "film")
	notEmpty(t, e, `{ store(where: {address: {district: {_like: "%"}}}, limit: 1) { store_id } }`, "store")

	// The kid role's film filter, written out.
	const kidFilm = `rating IN ('G', 'PG') AND special_features @> ARRAY['Trailers']`
	cases := []queryCase{
		// customer 1: the partitioned payment table
		{name: "customer_payments_partitioned", role: "customer", session: c1,
			query: `{ payment_aggregate { aggregate { count sum { amount } max { payment_date } } } payment(order_by: {payment_id: asc}, limit: 5) { payment_id amount payment_date customer { customer_id } rental { rental_id } } }`,
			sql: `SELECT json_build_object(
				'payment_aggregate', (SELECT json_build_object('aggregate', json_build_object('count', count(*), 'sum', json_build_object('amount', sum(amount)), 'max', json_build_object('payment_date', max(payment_date)))) FROM payment WHERE customer_id = 1),
				'payment', (SELECT json_agg(json_build_object('payment_id', payment_id, 'amount', amount, 'payment_date', payment_date,
					'customer', json_build_object('customer_id', 1), 'rental', json_build_object('rental_id', rental_id)) ORDER BY payment_id)
					FROM (SELECT * FROM payment WHERE customer_id = 1 ORDER BY payment_id LIMIT 5) p))`},
		{name: "customer_payments_of_others_hidden", role: "customer", session: c1,
			query: `{ a: payment(where: {customer_id: {_eq: 2}}) { payment_id } c: rental(where: {payments: {customer_id: {_neq: 1}}}) { rental_id } }`,
			want:  `{"a": [], "c": []}`},
		{name: "customer_rentals_and_their_payments", role: "customer", session: c1,
			query: `{ rental(order_by: {rental_id: asc}, limit: 4) { rental_id inventory { film { title rating special_features } } payments { amount } payments_aggregate { aggregate { count } } } }`,
			sql: `SELECT json_build_object('rental', json_agg(json_build_object('rental_id', r.rental_id,
				'inventory', json_build_object('film', (SELECT json_build_object('title', f.title, 'rating', f.rating, 'special_features', f.special_features) FROM film f JOIN inventory i ON i.film_id = f.film_id WHERE i.inventory_id = r.inventory_id)),
				'payments', (SELECT coalesce(json_agg(json_build_object('amount', amount)), '[]') FROM payment p WHERE p.rental_id = r.rental_id AND p.customer_id = 1),
				'payments_aggregate', json_build_object('aggregate', json_build_object('count', (SELECT count(*) FROM payment p WHERE p.rental_id = r.rental_id AND p.customer_id = 1)))) ORDER BY r.rental_id))
				FROM (SELECT * FROM rental WHERE customer_id = 1 ORDER BY rental_id LIMIT 4) r`},
		// stores are public, their addresses are not
		{name: "customer_hidden_object_relationship_is_null", role: "customer", session: c1,
			query: `{ store(where: {store_id: {_lte: 20}}, order_by: {store_id: asc}) { store_id address { address_id } } }`,
			sql: `SELECT json_build_object('store', json_agg(json_build_object('store_id', s.store_id,
				'address', (SELECT json_build_object('address_id', a.address_id) FROM customer c JOIN address a ON a.address_id = c.address_id WHERE c.customer_id = 1 AND a.address_id = s.address_id)) ORDER BY s.store_id))
				FROM store s WHERE s.store_id <= 20`},
		{name: "customer_order_by_hidden_object_relationship", role: "customer", session: c1,
			query: `{ store(order_by: [{address: {address: asc}}, {store_id: desc}], limit: 10) { store_id } }`,
			sql: `SELECT json_build_object('store', json_agg(json_build_object('store_id', store_id) ORDER BY k ASC NULLS LAST, store_id DESC)) FROM (
				SELECT s.store_id, (SELECT a.address FROM customer c JOIN address a ON a.address_id = c.address_id WHERE c.customer_id = 1 AND a.address_id = s.address_id) AS k
				FROM store s ORDER BY k ASC NULLS LAST, s.store_id DESC LIMIT 10) x`},
		{name: "customer_where_through_hidden_object_relationship", role: "customer", session: c1,
			query: `{ store(where: {address: {district: {_like: "%"}}}, order_by: {store_id: asc}) { store_id } }`,
			sql: `SELECT json_build_object('store', coalesce(json_agg(json_build_object('store_id', s.store_id) ORDER BY s.store_id), '[]')) FROM store s
				WHERE s.address_id = (SELECT address_id FROM customer WHERE customer_id = 1)`},
		{name: "customer_view_rows_and_aggregate", role: "customer", session: c1,
			query: `{ film_list_aggregate { aggregate { count max { title } } } r: film_list(where: {rating: {_eq: "R"}}) { fid } }`,
			sql: `SELECT json_build_object('film_list_aggregate', json_build_object('aggregate', json_build_object('count', count(*), 'max', json_build_object('title', max(title)))), 'r', '[]'::json)
				FROM film_list WHERE rating = 'G'`},
		{name: "customer_role_limit", role: "customer", session: c1,
			query: `{ film(order_by: {film_id: desc}, limit: 1000) { film_id } }`,
			sql:   `SELECT json_build_object('film', json_agg(json_build_object('film_id', film_id) ORDER BY film_id DESC)) FROM (SELECT film_id FROM film ORDER BY film_id DESC LIMIT 100) x`},
		// kid: an enum and a text[] in the role's filter
		{name: "kid_films", role: "kid",
			query: `{ film_aggregate { aggregate { count avg { length } } } r: film(where: {rating: {_eq: "R"}}) { film_id } f: film(order_by: {film_id: asc}, limit: 5) { film_id rating special_features } }`,
			sql: `SELECT json_build_object(
				'film_aggregate', (SELECT json_build_object('aggregate', json_build_object('count', count(*), 'avg', json_build_object('length', avg(length)))) FROM film WHERE ` + kidFilm + `),
				'r', '[]'::json,
				'f', (SELECT json_agg(json_build_object('film_id', film_id, 'rating', rating, 'special_features', special_features) ORDER BY film_id) FROM (SELECT * FROM film WHERE ` + kidFilm + ` ORDER BY film_id LIMIT 5) x))`},
		{name: "kid_hidden_film_behind_visible_join_row", role: "kid",
			query: `{ film_category(where: {film_id: {_lte: 12}}, order_by: {film_id: asc}) { film_id film { title } } }`,
			sql: `SELECT json_build_object('film_category', json_agg(json_build_object('film_id', fc.film_id,
				'film', (SELECT json_build_object('title', title) FROM film f WHERE f.film_id = fc.film_id AND ` + kidFilm + `)) ORDER BY fc.film_id))
				FROM film_category fc WHERE fc.film_id <= 12`},
		{name: "kid_counts_per_category", role: "kid",
			query: `{ category(order_by: {category_id: asc}) { name visible: film_categories_aggregate(where: {film: {}}) { aggregate { count } } all: film_categories_aggregate { aggregate { count } } } }`,
			sql: `SELECT json_build_object('category', json_agg(json_build_object('name', c.name,
				'visible', json_build_object('aggregate', json_build_object('count', (SELECT count(*) FROM film_category fc JOIN film f ON f.film_id = fc.film_id WHERE fc.category_id = c.category_id AND ` + kidFilm + `))),
				'all', json_build_object('aggregate', json_build_object('count', (SELECT count(*) FROM film_category fc WHERE fc.category_id = c.category_id)))) ORDER BY c.category_id))
				FROM category c`},
		{name: "kid_order_by_hidden_film", role: "kid",
			query: `{ film_category(where: {category_id: {_eq: 1}}, order_by: [{film: {title: desc_nulls_last}}, {film_id: asc}], limit: 15) { film_id } }`,
			sql: `SELECT json_build_object('film_category', json_agg(json_build_object('film_id', film_id) ORDER BY k DESC NULLS LAST, film_id)) FROM (
				SELECT fc.film_id, (SELECT title FROM film f WHERE f.film_id = fc.film_id AND ` + kidFilm + `) AS k FROM film_category fc WHERE fc.category_id = 1
				ORDER BY k DESC NULLS LAST, fc.film_id LIMIT 15) x`},
		{name: "kid_text_array_and_enum_filters", role: "kid",
			query: `{ film(where: {special_features: {_contains: ["Deleted Scenes"]}, rating: {_in: ["PG", "R"]}}, order_by: {film_id: asc}) { film_id } }`,
			sql: `SELECT json_build_object('film', coalesce(json_agg(json_build_object('film_id', film_id) ORDER BY film_id), '[]')) FROM film
				WHERE ` + kidFilm + ` AND special_features @> ARRAY['Deleted Scenes'] AND rating = 'PG'`},
		{name: "kid_view", role: "kid",
			query: `{ film_list(where: {category: {_eq: "Family"}}, order_by: [{fid: asc}]) { fid rating } }`,
			sql: `SELECT json_build_object('film_list', coalesce(json_agg(json_build_object('fid', fid, 'rating', rating) ORDER BY fid), '[]')) FROM film_list
				WHERE rating IN ('G', 'PG') AND category = 'Family'`},
		// staff: a session variable holding a Postgres array literal
		{name: "staff_store_1", role: "staff", session: s1,
			query: `{ customer_aggregate { aggregate { count } } payment_aggregate { aggregate { count sum { amount } } } inventory_aggregate { aggregate { count } } other: inventory(where: {store_id: {_eq: 2}}) { inventory_id } }`,
			sql: `SELECT json_build_object(
				'customer_aggregate', json_build_object('aggregate', json_build_object('count', (SELECT count(*) FROM customer WHERE store_id = 1))),
				'payment_aggregate', (SELECT json_build_object('aggregate', json_build_object('count', count(*), 'sum', json_build_object('amount', sum(amount)))) FROM payment p JOIN staff s ON s.staff_id = p.staff_id WHERE s.store_id = 1),
				'inventory_aggregate', json_build_object('aggregate', json_build_object('count', (SELECT count(*) FROM inventory WHERE store_id = 1))),
				'other', '[]'::json)`},
		{name: "staff_stores_1_2", role: "staff", session: s12,
			query: `{ customer_aggregate { aggregate { count } } rental_aggregate { aggregate { count } } }`,
			sql: `SELECT json_build_object(
				'customer_aggregate', json_build_object('aggregate', json_build_object('count', (SELECT count(*) FROM customer WHERE store_id IN (1, 2)))),
				'rental_aggregate', json_build_object('aggregate', json_build_object('count', (SELECT count(*) FROM rental r JOIN inventory i ON i.inventory_id = r.inventory_id WHERE i.store_id IN (1, 2)))))`},
	}
	runCases(t, e, cases)

	// A payment of customer 2 by its (composite) key: admin finds it,
	// customer 1 gets null.
	pk := e.sqlJSON(t, `SELECT json_build_object('id', payment_id, 'd', payment_date) FROM payment WHERE customer_id = 2 ORDER BY payment_id LIMIT 1`).(map[string]any)
	byPk := `query ($id: Int!, $d: timestamptz!) { payment_by_pk(payment_id: $id, payment_date: $d) { customer_id } }`
	if got := e.data(t, "admin", nil, byPk, pk)["payment_by_pk"]; !cmp.Equal(got, map[string]any{"customer_id": 2.0}) {
		t.Errorf("admin payment_by_pk(%v) = %v", pk, got)
	}
	if got := e.data(t, "customer", c1, byPk, pk)["payment_by_pk"]; got != nil {
		t.Errorf("customer 1 sees customer 2's payment: %v", got)
	}

	runErrorCases(t, e, []errorCase{
		{"customer_hidden_column", "customer", c1, `{ customer { last_update } }`,
			"validation-failed", "$.selectionSet.customer.selectionSet.last_update", `^field 'last_update' not found in type: 'customer'$`},
		{"customer_hidden_film_column", "customer", c1, `{ film { replacement_cost } }`,
			"validation-failed", "$.selectionSet.film.selectionSet.replacement_cost", `^field 'replacement_cost' not found in type: 'film'$`},
		{"customer_no_staff", "customer", c1, `{ payment { staff { staff_id } } }`,
			"validation-failed", "$.selectionSet.payment.selectionSet.staff", `^field 'staff' not found in type: 'payment'$`},
		{"kid_no_customers", "kid", nil, `{ customer { customer_id } }`,
			"validation-failed", "$.selectionSet.customer", `^field 'customer' not found in type: 'query_root'$`},
		{"kid_view_hidden_column", "kid", nil, `{ film_list { price } }`,
			"validation-failed", "$.selectionSet.film_list.selectionSet.price", `^field 'price' not found in type: 'film_list'$`},
		{"staff_hidden_password", "staff", s1, `{ staff { password } }`,
			"validation-failed", "$.selectionSet.staff.selectionSet.password", `^field 'password' not found in type: 'staff'$`},
		{"staff_missing_array_variable", "staff", nil, `{ store { store_id } inventory { inventory_id } }`,
			"not-found", "$", `x-hasura-store-ids`},
		{"staff_malformed_array_variable", "staff", map[string]string{"x-hasura-store-ids": "1,2"}, `{ inventory { inventory_id } }`,
			"data-exception", "$", `malformed array literal`},
	})
	// The staff filter reads the session variable as an array literal:
	// quoting inside it is data.
	got := e.data(t, "staff", map[string]string{"x-hasura-store-ids": `{"1"}`}, `{ inventory_aggregate { aggregate { count } } }`, nil)
	want := e.sqlJSON(t, `SELECT json_build_object('inventory_aggregate', json_build_object('aggregate', json_build_object('count', count(*)))) FROM inventory WHERE store_id = 1`)
	if d := cmp.Diff(want, any(got)); d != "" {
		t.Errorf("quoted array literal (-want +got):\n%s", d)
	}
	if strings.Contains(e.raw(t, "staff", map[string]string{"x-hasura-store-ids": `{1}'); DROP TABLE inventory; --`}, `{ inventory { inventory_id } }`, nil), "inventory_id") {
		t.Errorf("an injected array literal returned rows")
	}
	if n := e.sqlJSON(t, `SELECT count(*) FROM inventory`); n == nil || n.(float64) == 0 {
		t.Errorf("inventory is gone")
	}
}

package runtime_test

import (
	"net/http"
	"testing"
)

// /v1alpha1/graphql serves the API of /v1/graphql with Hasura's old
// statuses: an error answers with its HTTP status, in the same body; a
// batch stays 200. Every case also goes to /v1/graphql, which must answer
// the same body with 200, over the generated server's HTTP mux.
func TestV1Alpha1Statuses(t *testing.T) {
	e := newTestEngine(t, "chinook-bench", "testdata/fixtures/chinook/hasgen.yaml", false)
	admin := map[string]string{"X-Hasura-Admin-Secret": e2eSecret}
	cases := []struct {
		name    string
		body    string
		headers map[string]string
		status  int
		want    string
	}{
		{"success", `{"query":"{ albums_by_pk(id: 1) { id } }"}`, admin, http.StatusOK,
			`{"data":{"albums_by_pk":{"id":1}}}`},
		{"validation error", `{"query":"{ nope }"}`, admin, http.StatusBadRequest,
			`{"errors":[{"message":"field 'nope' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.nope","code":"validation-failed"}}]}`},
		{"wrong secret", `{"query":"{ albums_by_pk(id: 1) { id } }"}`, map[string]string{"X-Hasura-Admin-Secret": "nope"}, http.StatusUnauthorized,
			`{"errors":[{"message":"invalid x-hasura-admin-secret/x-hasura-access-key","extensions":{"path":"$","code":"access-denied"}}]}`},
		{"no secret", `{"query":"{ albums_by_pk(id: 1) { id } }"}`, nil, http.StatusUnauthorized,
			`{"errors":[{"message":"x-hasura-admin-secret/x-hasura-access-key required, but not found","extensions":{"path":"$","code":"access-denied"}}]}`},
		{"missing session variable", `{"query":"{ customers { id } }"}`, map[string]string{"X-Hasura-Admin-Secret": e2eSecret, "X-Hasura-Role": "customer"}, http.StatusBadRequest,
			`{"errors":[{"message":"missing session variable: \"x-hasura-user-id\"","extensions":{"path":"$","code":"not-found"}}]}`},
		{"batch stays 200", `[{"query":"{ a: albums_by_pk(id: 1) { id } }"},{"query":"{ nope }"}]`, admin, http.StatusOK,
			`[{"data":{"a":{"id":1}}},{"errors":[{"message":"field 'nope' not found in type: 'query_root'","extensions":{"path":"$.selectionSet.nope","code":"validation-failed"}}]}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, e.server.URL+"/v1alpha1/graphql", c.body, c.headers)
			if status != c.status || body != c.want {
				t.Errorf("/v1alpha1/graphql: status %d body\n got %s\nwant %d %s", status, body, c.status, c.want)
			}
			status, body = post(t, e.server.URL+"/v1/graphql", c.body, c.headers)
			if status != http.StatusOK || body != c.want {
				t.Errorf("/v1/graphql: status %d body %s", status, body)
			}
		})
	}
}

package runtime_test

import (
	"encoding/json"
	"testing"
)

// mutateHTTP runs a mutation once, on the generated server over HTTP (the
// in-process engine is not run too: the writes would happen twice).
func (e *testEngine) mutateHTTP(t testing.TB, role string, vars map[string]string, query string, variables any) string {
	t.Helper()
	body, _ := json.Marshal(request(query, variables))
	return e.overHTTP(t, role, vars, body)
}

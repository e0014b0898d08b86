package wire

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseRequest: whenever the fast parser accepts a body, encoding/json
// reads the same request from it.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		`{"query":"{ a }"}`,
		`{"query":"query Q($x: Int) {\n  a(x: $x) { b }\n}","operationName":"Q","variables":{"x":1}}`,
		` { "variables" : null , "query" : "\u00e9\ud83d\ude00\"\\\/" , "extensions": {"a":[1,{"b":"}"}]} } `,
		`{"query":null,"operationName":null}`,
		`{"query":"a","query":null,"QUERY":"b","operationname":"x"}`,
		`{}`,
		`{"query":"\ud800"}`,
		`{"query": 1}`,
		`[{"query":"x"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fast Request
		if !parseRequest(b, &fast) {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("fast parser accepted what encoding/json rejects (%v): %q", err, b)
		}
		if _, ok := m["query"]; !ok {
			t.Fatalf("fast parser accepted a request without a query: %q", b)
		}
		var slow Request
		json.Unmarshal(m["query"], &slow.Query)
		json.Unmarshal(m["operationName"], &slow.OperationName)
		slow.Variables = m["variables"]
		if fast.Query != slow.Query || fast.OperationName != slow.OperationName {
			t.Fatalf("fast %q %q, encoding/json %q %q for %q", fast.Query, fast.OperationName, slow.Query, slow.OperationName, b)
		}
		var a, c bytes.Buffer
		json.Compact(&a, fast.Variables)
		json.Compact(&c, slow.Variables)
		if a.String() != c.String() {
			t.Fatalf("variables: fast %q, encoding/json %q", fast.Variables, slow.Variables)
		}
	})
}

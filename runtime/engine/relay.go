package engine

import (
	"strconv"
	"strings"

	"github.com/hasgen/hasgen/runtime/compile"
)

// writeNodeShape writes the part of an ID value that decides the SQL of
// the Relay API's node(id:): the table a global id names and how many key
// values it holds (compile.NodeTable). Other ID values add nothing.
func writeNodeShape(b *strings.Builder, v any) {
	s, ok := v.(string)
	if !ok {
		return
	}
	schema, table, n, ok := compile.NodeTable(s)
	if !ok {
		return
	}
	b.WriteString(strconv.Quote(schema + "." + table))
	b.WriteString(strconv.Itoa(n))
}

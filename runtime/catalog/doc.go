// Package catalog describes the tracked tables to the query compiler, and
// is all that a generated server's db package imports: Table with its
// columns, relationships, root fields and each role's permissions, whose
// filters are generated Go functions writing SQL through a Writer.
//
//	func messagesSelectUser(w *catalog.Writer, t string) {
//		w.Write(`(`, t, `."author_id" = `)
//		w.Session("x-hasura-user-id", "int4") // a bind parameter, never text
//		w.Write(`)`)
//	}
//
// NewSchema links a set of tables (relationships to their remote tables)
// without modifying them.
package catalog

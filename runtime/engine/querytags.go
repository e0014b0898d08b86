package engine

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/logs"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
)

// Query tags are Hasura's: a comment of key=value pairs appended to the
// SQL of each root field, so that a statement seen in pg_stat_activity, a
// slow-query log or pg_stat_statements points back to the GraphQL
// operation. Queries and mutations carry request_id (unless omitted),
// field_name, parameterized_query_hash and operation_name (when the
// operation has a name); subscriptions, whose statements serve many
// requests, field_name and parameterized_query_hash. In the standard
// format
//
//	SELECT ... /* request_id=..., field_name=item, parameterized_query_hash=..., operation_name=Items */
//
// and in sqlcommenter's, keys sorted, values URL-encoded and quoted:
//
//	SELECT ... /* field_name='item',operation_name='Items',parameterized_query_hash='...',request_id='...' */
//
// The cost: without request_id a field's comment never changes, so it is
// written into the plan's SQL once, when the plan is compiled, and the
// statement is prepared and cached as before (nothing per request). With
// request_id every statement's text is new: it is rendered per request
// and pgx prepares it as any statement it has not seen. That was measured
// against running it on the unnamed statement (describe-exec mode), which
// keeps nothing on the server: describe-exec was slower (BenchmarkQueryTags,
// "lone statement"), and the statement cache is an LRU whose hot
// statements stay in it, refreshed by use, while the one-off ones age out
// first, at most 512 of them alive per connection.

// TagFormat is the format of query tags.
type TagFormat string

// The formats Hasura knows.
const (
	TagsStandard     TagFormat = "standard"
	TagsSQLCommenter TagFormat = "sqlcommenter"
)

// QueryTags is a source's query_tags, when they are on.
type QueryTags struct {
	Format TagFormat
	// RequestID puts the request's id in the comment (omit_request_id:
	// false).
	RequestID bool
}

// ParseTagFormat reads a query_tags format, any case; "" is standard.
func ParseTagFormat(s string) (TagFormat, error) {
	switch strings.ToLower(s) {
	case "", "standard":
		return TagsStandard, nil
	case "sqlcommenter":
		return TagsSQLCommenter, nil
	}
	return "", fmt.Errorf("query_tags: format %q: want standard or sqlcommenter", s)
}

// attr is one key=value pair of a comment.
type attr struct{ k, v string }

// queryHash is the parameterized_query_hash of a document: a SHA-1 of its
// text as gqlparser formats it, so that two requests of one operation
// share it whatever their variables, spacing or comments. (Hasura hashes
// its own normalized form: the values differ from Hasura's.)
func queryHash(doc *ast.QueryDocument) string {
	var b bytes.Buffer
	formatter.NewFormatter(&b).FormatQueryDocument(doc)
	sum := sha1.Sum(b.Bytes())
	return hex.EncodeToString(sum[:])
}

// fieldAttrs are a root field's attributes but the request id, in
// Hasura's order.
func fieldAttrs(op *ast.OperationDefinition, field, hash string) []attr {
	a := []attr{{"field_name", field}, {"parameterized_query_hash", hash}}
	if op.Operation != ast.Subscription && op.Name != "" {
		a = append(a, attr{"operation_name", op.Name})
	}
	return a
}

// renderTags writes the comment of attrs in format f, with its leading
// space.
func renderTags(f TagFormat, attrs []attr) string {
	var b strings.Builder
	b.WriteString(" /* ")
	if f == TagsSQLCommenter {
		sorted := make([]attr, len(attrs))
		for i, a := range attrs {
			sorted[i] = attr{urlEncode(a.k), urlEncode(a.v)}
		}
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].k < sorted[j].k })
		for i, a := range sorted {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(a.k + "='" + a.v + "'")
		}
	} else {
		for i, a := range attrs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(a.k + "=" + safeValue(a.v))
		}
	}
	b.WriteString(" */")
	return b.String()
}

// urlEncode percent-encodes all but RFC 3986's unreserved characters (as
// sqlcommenter asks; '*' and '/' included, so that no value ends the
// comment).
func urlEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// safeValue is a value of the standard format: names, hashes and UUIDs
// are written as they are; anything else (a client's x-request-id) is
// percent-encoded, so that it cannot end the comment and write SQL.
func safeValue(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == ':') {
			return urlEncode(s)
		}
	}
	return s
}

// tagPlan writes the query tags that do not change between requests into
// a freshly compiled plan's SQL: every field's of a subscription, and
// every field's of a query or mutation when the request id is left out.
func (e *Engine) tagPlan(plan *compile.Plan, op *ast.OperationDefinition, hash string) {
	if e.tags == nil || (e.tags.RequestID && op.Operation != ast.Subscription) {
		return
	}
	for i := range plan.Fields {
		f := &plan.Fields[i]
		c := renderTags(e.tags.Format, fieldAttrs(op, f.Key, hash))
		if f.SQL != "" {
			f.SQL += c
		}
		if len(f.Mutations) > 0 {
			ms := make([]compile.Statement, len(f.Mutations))
			for j, m := range f.Mutations {
				m.SQL += c
				ms[j] = m
			}
			f.Mutations = ms
		}
	}
}

// taggedSQL is the SQL of root field key of p as it runs: with the
// request's id in its comment when the tags carry it (ctx's request id,
// logs.WithRequestID), else sql as the plan has it.
func (e *Engine) taggedSQL(ctx context.Context, p *Prepared, key, sql string) string {
	if e.tags == nil || !e.tags.RequestID {
		return sql
	}
	attrs := append([]attr{{"request_id", logs.RequestIDFrom(ctx)}}, fieldAttrs(p.op, key, p.tagHash)...)
	return sql + renderTags(e.tags.Format, attrs)
}

// WantsRequestID reports whether statements carry the request's id: the
// transports then put it in the request's context.
func (e *Engine) WantsRequestID() bool { return e != nil && e.tags != nil && e.tags.RequestID }

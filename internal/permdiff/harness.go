package permdiff

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

//go:embed policies.sql
var policiesSQL string

// PoliciesSQL returns the SQL that Install runs.
func PoliciesSQL() string { return policiesSQL }

// Install creates the reference's database roles, grants and RLS
// policies (policies.sql) in the database conn is connected to. The
// connection's role must be allowed to create roles and to own the
// tables (a superuser, as pgtest's clusters give). It may run again.
func Install(ctx context.Context, conn *pgx.Conn) error {
	// No arguments: the simple protocol, which runs the whole script.
	if _, err := conn.Exec(ctx, policiesSQL); err != nil {
		return fmt.Errorf("permdiff: install policies: %w", err)
	}
	return nil
}

// Config says where the two sides are.
type Config struct {
	// DatabaseURL is the Chinook database the server serves, with Install
	// run on it; the reference connects to it.
	DatabaseURL string
	// ServerURL is the generated server's base URL.
	ServerURL   string
	AdminSecret string
	// DBRoles maps Hasura roles to the reference's database roles;
	// DefaultDBRoles() when nil.
	DBRoles map[string]string
	// CapAggregates: see Reference.CapAggregates.
	CapAggregates bool
	// MaxConns bounds the reference's connections (4 when zero).
	MaxConns int32
}

// Harness runs cases against both sides and compares their answers.
type Harness struct {
	Schema  *Schema
	Samples *Samples
	Gen     *Generator
	Ref     *Reference
	Client  *Client
}

// New connects to the database, reads the schema and samples, and returns
// a harness. Close it when done.
func New(ctx context.Context, cfg Config) (*Harness, error) {
	conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("permdiff: connect: %w", err)
	}
	defer conn.Close(ctx)
	schema, err := LoadSchema(ctx, conn)
	if err != nil {
		return nil, err
	}
	samples, err := LoadSamples(ctx, conn, schema)
	if err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("permdiff: %w", err)
	}
	pcfg.MaxConns = cfg.MaxConns
	if pcfg.MaxConns == 0 {
		pcfg.MaxConns = 4
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("permdiff: %w", err)
	}
	roles := cfg.DBRoles
	if roles == nil {
		roles = DefaultDBRoles()
	}
	return &Harness{
		Schema:  schema,
		Samples: samples,
		Gen:     &Generator{Schema: schema, Samples: samples},
		Ref:     &Reference{Pool: pool, DBRoles: roles, CapAggregates: cfg.CapAggregates},
		Client: &Client{URL: cfg.ServerURL, AdminSecret: cfg.AdminSecret, HTTP: &http.Client{
			Timeout:   5 * time.Minute, // as the reference's statement_timeout
			Transport: &http.Transport{MaxIdleConnsPerHost: 16},
		}},
	}, nil
}

// Close releases the reference's connections.
func (h *Harness) Close() { h.Ref.Pool.Close() }

// Difference kinds.
const (
	// KindRows: both answered, with different data.
	KindRows = "different data"
	// KindServerError: the server refused a valid query the reference
	// answered.
	KindServerError = "server error on a valid query"
	// KindNotRefused: the server answered a query using what the role may
	// not use.
	KindNotRefused = "forbidden query answered"
	// KindWrongRefusal: the server refused a forbidden query without
	// naming the forbidden thing.
	KindWrongRefusal = "forbidden query refused for another reason"
	// KindSessionIgnored: the server answered a query reading a table
	// whose filter needs a session variable the request did not send.
	KindSessionIgnored = "query answered without a session variable its filters need"
	// KindBadSessionAnswered: the server answered a query reading a
	// table whose filter compares a session variable that is not a
	// valid value (Hasura fails: Postgres cannot cast it).
	KindBadSessionAnswered = "query answered with a session variable its filters cannot read"
	// KindRefAccepts: the reference's grants let a forbidden column or
	// table through: policies.sql and the permission model disagree.
	KindRefAccepts = "reference accepts a forbidden query (harness bug)"
	// KindRefDenies: the reference refused a valid query: policies.sql
	// and the permission model disagree.
	KindRefDenies = "reference refuses a valid query (harness bug)"
)

// Difference is a case whose two answers disagree.
type Difference struct {
	Kind    string
	Case    *Case
	Request Request
	// Server is the server's response body; Reference the reference's
	// data object or its error.
	Server, Reference string
	// Diff says where the normalized answers differ (see Diff).
	Diff string
	// Original is the case before shrinking, nil if not shrunk (d.Case
	// may be the original when nothing could be dropped).
	Original *Case
}

// Check asks both sides and returns their difference, nil when they
// agree. An error is a failure to ask (a connection, a timeout), not a
// difference.
func (h *Harness) Check(ctx context.Context, c *Case) (*Difference, error) {
	if v := Violations(c.Query, c.Role); (len(v) > 0) != (c.Forbidden != "") {
		return nil, fmt.Errorf("permdiff: case %d: generator bug: forbidden %q but violations %q", c.Index, c.Forbidden, v)
	}
	req := Render(c.Query)
	d := &Difference{Case: c, Request: req}
	resp, err := h.Client.Ask(ctx, req, c.Role, c.Session)
	if err != nil {
		return nil, err
	}
	d.Server = string(resp.Body)
	if c.Forbidden != "" {
		switch {
		case resp.HasData() || len(resp.Errors) == 0:
			d.Kind = KindNotRefused
		case !strings.Contains(resp.Messages(), c.ForbiddenName):
			d.Kind = KindWrongRefusal
		}
		if c.RefDenies {
			_, err := h.Ref.Answer(ctx, c.Query, c.Role, c.Session)
			var denied *DeniedError
			switch {
			case errors.As(err, &denied):
				d.Reference = denied.Error()
			case err != nil:
				return nil, err
			case d.Kind == "":
				d.Kind = KindRefAccepts
			}
		}
		if d.Kind == "" {
			return nil, nil
		}
		return d, nil
	}
	if v := c.Role.Session; v != "" {
		tables := SessionTables(c.Query, c.Role)
		_, err := strconv.ParseInt(c.Session[v], 10, 32)
		switch {
		case len(tables) == 0:
		case c.Session[v] == "":
			if resp.HasData() || !strings.Contains(resp.Messages(), v) {
				d.Kind = KindSessionIgnored
				d.Reference = fmt.Sprintf("an error: the filters of %s need %s", strings.Join(tables, ", "), v)
				return d, nil
			}
			return nil, nil
		case err != nil:
			if resp.HasData() || len(resp.Errors) == 0 {
				d.Kind = KindBadSessionAnswered
				d.Reference = fmt.Sprintf("an error: the filters of %s compare %s, %q is not an integer", strings.Join(tables, ", "), v, c.Session[v])
				return d, nil
			}
			return nil, nil
		}
	}
	ref, err := h.Ref.Answer(ctx, c.Query, c.Role, c.Session)
	var denied *DeniedError
	if errors.As(err, &denied) {
		d.Kind, d.Reference = KindRefDenies, denied.Error()
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	d.Reference = string(ref)
	if len(resp.Errors) > 0 || !resp.HasData() {
		d.Kind = KindServerError
		return d, nil
	}
	want, err := Normalize(ref, c.Query)
	if err != nil {
		return nil, err
	}
	got, err := Normalize(resp.Data, c.Query)
	if err != nil {
		return nil, err
	}
	if Equal(want, got) {
		return nil, nil
	}
	d.Kind = KindRows
	d.Diff = Diff(want, got)
	return d, nil
}

// Signature says which differences are alike, so that a run reports each
// kind once with a few shrunk examples instead of thousands: the kind,
// the role, and where the answers differ (the first path, list indexes
// and generated aliases dropped), or the error with its quoted parts and
// numbers dropped, or what the forbidden case used.
func (d *Difference) Signature() string {
	sig := d.Kind + " | " + d.Case.Role.Name + " | "
	switch d.Kind {
	case KindRows:
		first, _, _ := strings.Cut(d.Diff, "\n")
		path, rest, _ := strings.Cut(first, ": ")
		path = sigIndex.ReplaceAllString(path, "[]")
		path = sigAlias.ReplaceAllString(path, ".")
		what := "values differ"
		switch {
		case strings.Contains(rest, "rows in the reference"):
			what = "rows differ"
		case strings.Contains(rest, "another order"):
			what = "order differs"
		}
		return sig + path + " " + what
	case KindServerError:
		var resp Response
		json.Unmarshal([]byte(d.Server), &resp)
		msg := sigQuoted.ReplaceAllString(resp.Messages(), `"…"`)
		return sig + sigNumber.ReplaceAllString(msg, "N")
	case KindSessionIgnored, KindBadSessionAnswered:
		return sig + d.Reference
	case KindRefDenies:
		return sig + d.Reference
	}
	return sig + d.Case.Forbidden
}

var (
	sigIndex  = regexp.MustCompile(`\[\d+\]`)
	sigAlias  = regexp.MustCompile(`\.a\d+_`)
	sigQuoted = regexp.MustCompile(`"[^"]*"`)
	sigNumber = regexp.MustCompile(`\d+`)
)

func (d *Difference) sameRequest(o *Difference) bool {
	return d.Case.Role == o.Case.Role && d.Request.Query == o.Request.Query && string(d.Request.Variables) == string(o.Request.Variables)
}

// Write prints the difference: kind, role, session, the GraphQL document
// and variables, both answers and their diff.
func (d *Difference) Write(w *strings.Builder) {
	c := d.Case
	fmt.Fprintf(w, "=== %s (seed %d, case %d)\n", d.Kind, c.Seed, c.Index)
	sess, _ := json.Marshal(c.Session)
	fmt.Fprintf(w, "role: %s\nsession: %s\n", c.Role.Name, sess)
	if c.Forbidden != "" {
		fmt.Fprintf(w, "forbidden: %s (the error must name %q)\n", c.Forbidden, c.ForbiddenName)
	}
	fmt.Fprintf(w, "query:\n%s", d.Request.Query)
	if len(d.Request.Variables) > 0 {
		fmt.Fprintf(w, "variables: %s\n", d.Request.Variables)
	}
	fmt.Fprintf(w, "server:    %s\n", clip(strings.TrimSpace(d.Server)))
	if d.Reference != "" {
		fmt.Fprintf(w, "reference: %s\n", clip(d.Reference))
	}
	if d.Diff != "" {
		fmt.Fprintf(w, "differences:\n%s\n", d.Diff)
	}
}

// maxAnswer is how much of an answer a report prints: a shrunk
// reproduction's answers are short, an unshrunk one's can be megabytes.
const maxAnswer = 4000

func clip(s string) string {
	if len(s) <= maxAnswer {
		return s
	}
	return s[:maxAnswer] + fmt.Sprintf("... (%d bytes more)", len(s)-maxAnswer)
}

// String returns the difference as Write prints it.
func (d *Difference) String() string {
	var b strings.Builder
	d.Write(&b)
	return b.String()
}

package engine

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	lrucache "github.com/hashicorp/golang-lru/v2"

	"github.com/hasgen/hasgen/runtime/session"
	"github.com/hasgen/hasgen/runtime/wire"
	"github.com/vektah/gqlparser/v2/ast"
)

// Limits bound what one request of a role may cost: Hasura's api_limits.
// A zero field is no limit.
type Limits struct {
	// Depth is the deepest field nesting of an operation, fragments
	// expanded (depth_limit).
	Depth int
	// Nodes is the number of fields of an operation, fragments expanded
	// (node_limit).
	Nodes int
	// Time bounds each statement of the request (time_limit, seconds in
	// the metadata): the statement is cancelled when it is over.
	Time time.Duration
	// Batch is the number of operations of an HTTP batch (batch_limit).
	Batch int
}

// DefaultLimits are the limits of roles that no api_limits names, and of
// every role but admin when there is no api_limits at all: deep enough and
// large enough for applications' queries, far below what harms a server
// (documented in the README).
func DefaultLimits() Limits { return Limits{Depth: 15, Nodes: 2000, Batch: 100, Time: time.Minute} }

// AdminNodes is admin's node limit unless api_limits names admin: admin
// is trusted, but a request of a billion fields is a mistake whoever
// sends it.
const AdminNodes = 100_000

// LimitSet is the api_limits of a project: a global value per limit and
// per-role values that replace it.
type LimitSet struct {
	Global  Limits
	PerRole map[string]Limits
	// Disabled turns every limit off (api_limits.disabled).
	Disabled bool
}

// For returns role's limits: each of the role's values, else the global
// one. Unless api_limits names admin, admin has the global time limit and
// AdminNodes, nothing else.
func (ls *LimitSet) For(role string) Limits {
	if ls == nil || ls.Disabled {
		return Limits{}
	}
	r, named := ls.PerRole[role]
	g := ls.Global
	if role == session.AdminRole && !named {
		return Limits{Time: g.Time, Nodes: AdminNodes}
	}
	pick := func(v, def int) int {
		if v > 0 {
			return v
		}
		return def
	}
	out := Limits{Depth: pick(r.Depth, g.Depth), Nodes: pick(r.Nodes, g.Nodes), Batch: pick(r.Batch, g.Batch), Time: r.Time}
	if out.Time == 0 {
		out.Time = g.Time
	}
	return out
}

// ParseLimits reads Hasura's api_limits object (the metadata's
// api_limits.yaml, as JSON). Values left out of it fall back to defaults
// (defaults, usually DefaultLimits with the environment's overrides).
// rate_limit is not the engine's: runtime/ratelimit enforces it in the
// transport.
func ParseLimits(b []byte, defaults Limits) (*LimitSet, error) {
	ls := &LimitSet{Global: defaults, PerRole: map[string]Limits{}}
	if len(b) == 0 {
		return ls, nil
	}
	var raw wire.APILimits
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("api_limits: %w", err)
	}
	ls.Disabled = raw.Disabled
	set := func(o *wire.LimitValue, name string, put func(*Limits, float64)) error {
		if o == nil {
			return nil
		}
		if o.Global != nil {
			if *o.Global < 0 {
				return fmt.Errorf("api_limits: %s.global: want a non-negative number", name)
			}
			put(&ls.Global, *o.Global)
		}
		for role, v := range o.PerRole {
			if v < 0 {
				return fmt.Errorf("api_limits: %s.per_role.%s: want a non-negative number", name, role)
			}
			l := ls.PerRole[role]
			put(&l, v)
			ls.PerRole[role] = l
		}
		return nil
	}
	for _, err := range []error{
		set(raw.DepthLimit, "depth_limit", func(l *Limits, v float64) { l.Depth = int(v) }),
		set(raw.NodeLimit, "node_limit", func(l *Limits, v float64) { l.Nodes = int(v) }),
		set(raw.TimeLimit, "time_limit", func(l *Limits, v float64) { l.Time = time.Duration(v * float64(time.Second)) }),
		set(raw.BatchLimit, "batch_limit", func(l *Limits, v float64) { l.Batch = int(v) }),
	} {
		if err != nil {
			return nil, err
		}
	}
	return ls, nil
}

// cost is the size of an operation with its fragments expanded: its
// number of fields and its deepest nesting. It is counted without
// expanding anything: each fragment's cost is computed once, so that a
// document whose fragments double at every level (2^30 fields from a few
// kilobytes of text) is measured in time linear in its text.
type cost struct {
	nodes, depth int64
}

// maxCost saturates the counts: past it, the exact number is not needed.
const maxCost = 1 << 40

func add(a, b int64) int64 {
	if a+b > maxCost {
		return maxCost
	}
	return a + b
}

// operationCost measures op in doc.
func operationCost(doc *ast.QueryDocument, op *ast.OperationDefinition) cost {
	m := &costMeter{doc: doc, frags: map[string]*cost{}}
	return m.selections(op.SelectionSet)
}

type costMeter struct {
	doc   *ast.QueryDocument
	frags map[string]*cost // nil value: being measured (a cycle, which validation rejects)
}

func (m *costMeter) selections(set ast.SelectionSet) cost {
	var c cost
	for _, sel := range set {
		var sub cost
		switch s := sel.(type) {
		case *ast.Field:
			inner := m.selections(s.SelectionSet)
			sub = cost{nodes: add(inner.nodes, 1), depth: inner.depth + 1}
		case *ast.InlineFragment:
			sub = m.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			sub = m.fragment(s.Name)
		}
		c.nodes = add(c.nodes, sub.nodes)
		if sub.depth > c.depth {
			c.depth = sub.depth
		}
	}
	return c
}

func (m *costMeter) fragment(name string) cost {
	if c, seen := m.frags[name]; seen {
		if c == nil {
			return cost{}
		}
		return *c
	}
	m.frags[name] = nil
	f := m.doc.Fragments.ForName(name)
	var c cost
	if f != nil {
		c = m.selections(f.SelectionSet)
	}
	m.frags[name] = &c
	return c
}

// checkCost refuses an operation over the role's depth or node limit.
func checkCost(l Limits, doc *ast.QueryDocument) error {
	if l.Depth == 0 && l.Nodes == 0 {
		return nil
	}
	for _, op := range doc.Operations {
		c := operationCost(doc, op)
		if l.Nodes > 0 && c.nodes > int64(l.Nodes) {
			return &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: fmt.Sprintf("the operation has %s fields, over the node limit of %d", countText(c.nodes), l.Nodes)}
		}
		if l.Depth > 0 && c.depth > int64(l.Depth) {
			return &wire.Error{Code: wire.CodeValidationFailed, Path: "$", Message: fmt.Sprintf("the operation is %d fields deep, over the depth limit of %d", c.depth, l.Depth)}
		}
	}
	return nil
}

func countText(n int64) string {
	if n >= maxCost {
		return fmt.Sprintf("more than %d", int64(maxCost))
	}
	return fmt.Sprint(n)
}

// The document cache's bounds: documents, and an estimate of the memory
// they hold (a request may carry megabytes of query text, and each
// document keeps its syntax tree and its compiled plans).
const (
	maxCachedDocuments     = 4096
	maxCachedDocumentBytes = 64 << 20
	// astBytesPerByte estimates a parsed and validated document's memory
	// per byte of its text (measured: about 35 for alias-heavy documents).
	astBytesPerByte = 40
)

// docCache is the engine's cache of documents, least recently used first
// out, bounded by entries and by their estimated memory: the syntax tree
// (astBytesPerByte per byte of text) and the SQL of their plans.
type docCache struct {
	lru      *lrucache.Cache[docKey, *document]
	bytes    atomic.Int64
	maxBytes int64
}

func newDocCache(entries int, maxBytes int64) (*docCache, error) {
	c := &docCache{maxBytes: maxBytes}
	var err error
	c.lru, err = lrucache.NewWithEvict(entries, func(_ docKey, d *document) {
		c.bytes.Add(-d.size.Load())
	})
	return c, err
}

func (c *docCache) get(k docKey) (*document, bool) { return c.lru.Get(k) }

// add caches d; a document larger than the whole budget is not kept.
func (c *docCache) add(k docKey, d *document) {
	n := int64(len(k.query)) * astBytesPerByte
	if n > c.maxBytes || c.lru.Contains(k) {
		return
	}
	d.cache = c
	d.size.Store(n)
	c.bytes.Add(n)
	c.lru.Add(k, d)
	c.shrink()
}

// grow accounts for n more bytes held by d (a plan compiled for it).
func (c *docCache) grow(d *document, n int64) {
	d.size.Add(n)
	c.bytes.Add(n)
	c.shrink()
}

// shrink drops the least recently used documents while over budget.
func (c *docCache) shrink() {
	for c.bytes.Load() > c.maxBytes {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			return
		}
	}
}

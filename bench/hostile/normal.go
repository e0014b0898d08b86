package main

// The normal queries: what an application sends while the attacks run.
// Each is answered once before the attacks (the baseline, checked against
// what Chinook holds), and every answer during them must be the same
// bytes, within normalTimeout.

import (
	"bytes"
	"context"
	"fmt"
	"time"
)

// normalQuery is one normal request and its answer before the attacks.
type normalQuery struct {
	name      string
	who       who
	query     string
	variables any
	// contains are pieces of the right answer, checked on the baseline.
	contains []string
	want     []byte // the baseline
}

// normalTimeout bounds a normal query: longer is a failure.
const normalTimeout = 10 * time.Second

func normalQueries() []*normalQuery {
	return []*normalQuery{
		{name: "album 1 (anonymous)", who: anonymous,
			query:    `query Album { albums_by_pk(id: 1) { id title artist { name } } }`,
			contains: []string{`"title":"For Those About To Rock We Salute You"`, `"name":"AC/DC"`}},
		{name: "artists 1-5 with albums (anonymous)", who: anonymous,
			query:    `query Artists { artists(where: {id: {_lte: 5}}, order_by: {id: asc}) { id name albums(order_by: {id: asc}) { title } } }`,
			contains: []string{`"name":"Accept"`, `"title":"Let There Be Rock"`, `"name":"Alanis Morissette"`}},
		{name: "own invoices (customer 5)", who: customer5,
			query:    `query Mine { customers { id email invoices(order_by: {id: asc}) { id total } } }`,
			contains: []string{`"id":5`, `"email":"frantisekw@jetbrains.com"`}},
		{name: "track counts per genre (admin)", who: admin,
			query:    `query Counts { tracks_aggregate { aggregate { count } } genres(order_by: {id: asc}) { name tracks_aggregate { aggregate { count } } } }`,
			contains: []string{`"count":3503`, `"name":"Rock"`, `"count":1297`}},
		{name: "track by id with variables (admin)", who: admin,
			query:     `query Track($id: Int!) { tracks_by_pk(id: $id) { name album { title } } }`,
			variables: map[string]any{"id": 1000},
			contains:  []string{`"tracks_by_pk":{"name":`}},
	}
}

// baseline answers every normal query once, before the attacks, and
// checks each answer holds what Chinook says.
func baseline(ctx context.Context, c *client) ([]*normalQuery, error) {
	qs := normalQueries()
	for _, q := range qs {
		ctx, cancel := context.WithTimeout(ctx, normalTimeout)
		a := c.post(ctx, q.who, requestBody(q.query, q.variables), 1<<20)
		cancel()
		if a.err != nil {
			return nil, fmt.Errorf("%s: %w", q.name, a.err)
		}
		if a.status != 200 || !bytes.HasPrefix(a.head, []byte(`{"data"`)) {
			return nil, fmt.Errorf("%s: HTTP %d %.300s", q.name, a.status, a.head)
		}
		for _, s := range q.contains {
			if !bytes.Contains(a.head, []byte(s)) {
				return nil, fmt.Errorf("%s: %s is not in %.300s", q.name, s, a.head)
			}
		}
		q.want = a.head
	}
	return qs, nil
}

// normalAttack is the trickle of normal queries: two loops, each sending
// the next query every 50 ms at most.
func normalAttack(qs []*normalQuery) attack {
	return attack{name: "normal", doc: "normal queries whose answers must not change", workers: 2,
		run: func(ctx context.Context, e *attackEnv, worker int) {
			e.loop(ctx, "normal", 50*time.Millisecond, maxRequests, func(ctx context.Context, i int) {
				q := qs[(i+worker)%len(qs)]
				ctx, cancel := context.WithTimeout(ctx, normalTimeout)
				defer cancel()
				a := e.c.post(ctx, q.who, requestBody(q.query, q.variables), 1<<20)
				class, example := a.class()
				switch {
				case class == "data" && bytes.Equal(a.head, q.want):
					class = "correct"
				case class == "data":
					class, example = "wrong answer", fmt.Sprintf("%.300s", a.head)
				}
				e.t.add("normal: "+q.name, class, example, a.latency, a.bytes)
			})
		}}
}

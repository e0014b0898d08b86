package runtime_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

const itemsQuery = `subscription { items(order_by: {id: asc}) { id label owner_id owner { name } } }`

// labels returns the labels of an items result, checking that every row
// belongs to owner (the permission filter: a user never sees another's
// rows).
func labels(t *testing.T, data map[string]any, key string, owner int) []string {
	t.Helper()
	var out []string
	rows, _ := data[key].([]any)
	for _, r := range rows {
		row := r.(map[string]any)
		if owner != 0 && row["owner_id"] != float64(owner) {
			t.Fatalf("user %d received a row of owner %v: %v", owner, row["owner_id"], row)
		}
		out = append(out, row["label"].(string))
	}
	return out
}

func TestLiveQueryBothProtocols(t *testing.T) {
	r := newRT(t, rtOptions{})
	for _, proto := range []string{protoNew, protoOld, ""} {
		t.Run("proto="+proto, func(t *testing.T) {
			r.exec(t, `DELETE FROM items`)
			c := dial(t, r.url, proto, nil)
			c.init(userInit(1))
			c.subscribe("1", itemsQuery, nil)
			if got := labels(t, c.data("1"), "items", 1); len(got) != 0 {
				t.Fatalf("first result: %v", got)
			}
			r.exec(t, `INSERT INTO items (owner_id, label) VALUES (1, 'a'), (2, 'b')`)
			if got := labels(t, c.data("1"), "items", 1); fmt.Sprint(got) != "[a]" {
				t.Fatalf("after insert: %v", got)
			}
			r.exec(t, `UPDATE items SET label = 'a2' WHERE label = 'a'`)
			if got := labels(t, c.data("1"), "items", 1); fmt.Sprint(got) != "[a2]" {
				t.Fatalf("after update: %v", got)
			}
			r.exec(t, `DELETE FROM items WHERE owner_id = 1`)
			if got := labels(t, c.data("1"), "items", 1); len(got) != 0 {
				t.Fatalf("after delete: %v", got)
			}
			c.stop("1")
			waitMetric(t, r.url, `hasgen_subscribers{kind="live"}`, 0)
			waitMetric(t, r.url, `hasgen_live_cohorts`, 0)
			waitMetric(t, r.url, `hasgen_live_groups`, 0)
		})
	}
}

func TestLiveQueryJSON(t *testing.T) {
	r := newRT(t, rtOptions{})
	c := dial(t, r.url, protoNew, nil)
	c.init(userInit(1))
	c.subscribe("x", `subscription ($id: bigint!) { items_by_pk(id: $id) { id label } }`, map[string]any{"id": 1})
	m := c.expect("next", "x")
	if string(m.Payload) != `{"data":{"items_by_pk":null}}` {
		t.Fatalf("got %s", m.Payload)
	}
	r.exec(t, `INSERT INTO items (id, owner_id, label) VALUES (1, 1, 'one')`)
	m = c.expect("next", "x")
	var p struct{ Data json.RawMessage }
	json.Unmarshal(m.Payload, &p)
	if string(p.Data) != `{"items_by_pk":{"id":1,"label":"one"}}` {
		t.Fatalf("got %s", m.Payload)
	}
}

// TestLivePermissionsAcrossUsers: subscribers of one query as different
// users share a group but not a cohort; each sees only its own rows, and
// a change to one user's rows sends nothing to the others.
func TestLivePermissionsAcrossUsers(t *testing.T) {
	r := newRT(t, rtOptions{})
	r.exec(t, `INSERT INTO items (owner_id, label) VALUES (1, 'a1'), (2, 'b1'), (3, 'c1')`)
	clients := map[int]*wsClient{}
	for _, u := range []int{1, 2, 3} {
		proto := protoNew
		if u == 2 {
			proto = protoOld
		}
		c := dial(t, r.url, proto, nil)
		c.init(userInit(u))
		c.subscribe("s", itemsQuery, nil)
		want := map[int]string{1: "[a1]", 2: "[b1]", 3: "[c1]"}[u]
		if got := fmt.Sprint(labels(t, c.data("s"), "items", u)); got != want {
			t.Fatalf("user %d: %s, want %s", u, got, want)
		}
		clients[u] = c
	}
	waitMetric(t, r.url, `hasgen_live_groups`, 1)
	waitMetric(t, r.url, `hasgen_live_cohorts`, 3)

	// A change to user 2's rows: user 2 sees it. Users 1 and 3 see
	// nothing: their next message is the one for their own later change.
	r.exec(t, `INSERT INTO items (owner_id, label) VALUES (2, 'b2')`)
	if got := fmt.Sprint(labels(t, clients[2].data("s"), "items", 2)); got != "[b1 b2]" {
		t.Fatalf("user 2 after its insert: %s", got)
	}
	r.exec(t, `UPDATE items SET label = 'a1x' WHERE owner_id = 1`)
	r.exec(t, `DELETE FROM items WHERE owner_id = 3`)
	if got := fmt.Sprint(labels(t, clients[1].data("s"), "items", 1)); got != "[a1x]" {
		t.Fatalf("user 1's next message: %s, want its own update", got)
	}
	if got := fmt.Sprint(labels(t, clients[3].data("s"), "items", 3)); got != "[]" {
		t.Fatalf("user 3's next message: %s, want its own delete", got)
	}
	// An update that changes nothing visible sends nothing either.
	r.exec(t, `UPDATE items SET score = score + 1 WHERE owner_id = 2`)
	r.exec(t, `INSERT INTO items (owner_id, label) VALUES (2, 'b3')`)
	if got := fmt.Sprint(labels(t, clients[2].data("s"), "items", 2)); got != "[b1 b2 b3]" {
		t.Fatalf("user 2's next message: %s", got)
	}

	// Disconnecting and unsubscribing leave nothing behind.
	clients[1].c.Close()
	clients[2].stop("s")
	waitMetric(t, r.url, `hasgen_live_cohorts`, 1)
	waitMetric(t, r.url, `hasgen_subscribers{kind="live"}`, 1)
	clients[3].c.Close()
	waitMetric(t, r.url, `hasgen_live_cohorts`, 0)
	waitMetric(t, r.url, `hasgen_live_groups`, 0)
	waitMetric(t, r.url, `hasgen_subscribers{kind="live"}`, 0)
	waitMetric(t, r.url, `hasgen_websocket_connections`, 1)
}

// TestLiveCohortOneStatement: two subscribers with the same variables and
// session variables are one cohort: one statement computes their result.
func TestLiveCohortOneStatement(t *testing.T) {
	t.Run("first results", func(t *testing.T) {
		// A refetch interval longer than the test: only first polls run.
		r := newRT(t, rtOptions{live: time.Hour})
		r.exec(t, `INSERT INTO items (owner_id, label) VALUES (1, 'a'), (2, 'b')`)
		q := `subscription ($o: Int!) { items(where: {owner_id: {_eq: $o}}) { label } }`
		a := dial(t, r.url, protoNew, nil)
		a.init(userInit(1))
		a.subscribe("a", q, map[string]any{"o": 1})
		a.data("a")
		// The same user id and variables, another connection and
		// protocol, another alias: the same cohort, its result at once.
		b := dial(t, r.url, protoOld, nil)
		b.init(userInit(1))
		b.subscribe("b", `subscription Q($o: Int!) { x: items(where: {owner_id: {_eq: $o}}) { label } }`, map[string]any{"o": 1})
		if d := b.data("b"); jsonOf(d) != `{"x":[{"label":"a"}]}` {
			t.Fatalf("second subscriber: %s", jsonOf(d))
		}
		if n := len(r.tracer.polls()); n != 1 {
			t.Fatalf("%d poll statements for one cohort, want 1", n)
		}
		waitMetric(t, r.url, `hasgen_live_cohorts`, 1)
		waitMetric(t, r.url, `hasgen_subscribers{kind="live"}`, 2)
		// Another session variable value is another cohort.
		c := dial(t, r.url, protoNew, nil)
		c.init(userInit(2))
		c.subscribe("c", q, map[string]any{"o": 1})
		if d := c.data("c"); jsonOf(d) != `{"items":[]}` {
			t.Fatalf("user 2: %s", jsonOf(d))
		}
		waitMetric(t, r.url, `hasgen_live_cohorts`, 2)
	})
	t.Run("changes", func(t *testing.T) {
		r := newRT(t, rtOptions{})
		a := dial(t, r.url, protoNew, nil)
		a.init(userInit(1))
		b := dial(t, r.url, protoNew, nil)
		b.init(userInit(1))
		a.subscribe("s", itemsQuery, nil)
		b.subscribe("s", itemsQuery, nil)
		a.data("s")
		b.data("s")
		r.exec(t, `INSERT INTO items (owner_id, label) VALUES (1, 'new')`)
		if got := fmt.Sprint(labels(t, a.data("s"), "items", 1)); got != "[new]" {
			t.Fatalf("a: %s", got)
		}
		if got := fmt.Sprint(labels(t, b.data("s"), "items", 1)); got != "[new]" {
			t.Fatalf("b: %s", got)
		}
		polls := r.tracer.polls()
		for _, p := range polls {
			if ids := p.args[0].([]int32); len(ids) != 1 {
				t.Fatalf("a poll statement carried %d cohorts, want 1", len(ids))
			}
		}
		if got := metric(t, r.url, `hasgen_poll_statements_total{kind="live"}`); int(got) != len(polls) {
			t.Fatalf("%v statements counted, %d run", got, len(polls))
		}
	})
}

// TestLiveMissingSessionVariable: a subscriber whose session lacks a
// variable the query needs gets an error; the others go on.
func TestLiveMissingSessionVariable(t *testing.T) {
	r := newRT(t, rtOptions{})
	ok := dial(t, r.url, protoNew, nil)
	ok.init(userInit(1))
	ok.subscribe("s", itemsQuery, nil)
	ok.data("s")
	for _, proto := range []string{protoNew, protoOld} {
		bad := dial(t, r.url, proto, nil)
		bad.init(adminInit("X-Hasura-Role", "user"))
		bad.subscribe("s", itemsQuery, nil)
		m := bad.expect("error", "s")
		if !strings.Contains(string(m.Payload), `missing session variable: \"x-hasura-user-id\"`) || !strings.Contains(string(m.Payload), "not-found") {
			t.Fatalf("%s: %s", proto, m.Payload)
		}
	}
	r.exec(t, `INSERT INTO items (owner_id, label) VALUES (1, 'still')`)
	if got := fmt.Sprint(labels(t, ok.data("s"), "items", 1)); got != "[still]" {
		t.Fatalf("the other subscriber: %s", got)
	}
	waitMetric(t, r.url, `hasgen_subscribers{kind="live"}`, 1)
}

// TestLiveBadValue: a variable Postgres cannot cast fails that subscriber
// only, although it shares a batch with others.
func TestLiveBadValue(t *testing.T) {
	r := newRT(t, rtOptions{live: time.Hour})
	q := `subscription ($id: bigint!) { items_by_pk(id: $id) { label } }`
	good := dial(t, r.url, protoNew, nil)
	good.init(adminInit())
	bad := dial(t, r.url, protoNew, nil)
	bad.init(adminInit())
	good.subscribe("g", q, map[string]any{"id": 1})
	bad.subscribe("b", q, map[string]any{"id": "not a number"})
	m := bad.expect("error", "b")
	if !strings.Contains(string(m.Payload), "invalid input syntax for type bigint") {
		t.Fatalf("bad: %s", m.Payload)
	}
	if d := good.data("g"); jsonOf(d) != `{"items_by_pk":null}` {
		t.Fatalf("good: %s", jsonOf(d))
	}
	waitMetric(t, r.url, `hasgen_live_cohorts`, 1)
}

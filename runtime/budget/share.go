// Package budget divides one budget of Postgres connections among every
// server instance of a deployment (Hasura Cloud's
// pool_settings.total_max_connections), with nothing but Postgres: each
// instance holds a session advisory lock for as long as it lives and a row
// of hdb_catalog.hasgen_instances that publishes how many connections it
// may open (coordinator.go); every heartbeat it computes its share of the
// budget among the live instances (Share) and sizes its Limiter to it
// (limiter.go), which every pool of the instance, and its other
// connections, take their connections from.
//
// The invariant: an instance never has more connections open than its
// published limit, and the published limits of the live instances never
// add up to more than the budget, because an instance raises its limit
// only in a transaction that holds the budget's advisory lock and sees the
// others' limits, and lowers its published limit only once its
// connections are closed. The one exception is an instance's first
// connection, which it must open to learn the others' (see Join).
package budget

// Share returns the connections of the instance at position i (0-based)
// among n live instances ordered the same way by every instance, sharing
// total: total/n each, and one more for the first total%n of them, so
// that the shares add up to total whatever n is. It is 0 for i out of
// range or n < 1.
func Share(total, n, i int) int {
	if n < 1 || i < 0 || i >= n || total < 0 {
		return 0
	}
	s := total / n
	if i < total%n {
		s++
	}
	return s
}

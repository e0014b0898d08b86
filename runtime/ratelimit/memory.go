package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory is a Store in the process: each instance counts on its own.
// Clients idle for two windows are forgotten, once a window, so that its
// memory is bounded by the clients of the last two minutes.
type Memory struct {
	mu        sync.Mutex
	clients   map[string]*counter
	lastSweep int64 // window index of the last sweep
}

type counter struct {
	idx       int64 // window index of cur
	cur, prev int64
}

// NewMemory returns an empty in-process store.
func NewMemory() *Memory { return &Memory{clients: map[string]*counter{}} }

// Take implements Store.
func (m *Memory) Take(_ context.Context, key string, max int, now time.Time) (bool, error) {
	idx, elapsed := windowOf(now)
	m.mu.Lock()
	defer m.mu.Unlock()
	if idx > m.lastSweep {
		m.lastSweep = idx
		for k, c := range m.clients {
			if c.idx < idx-1 {
				delete(m.clients, k)
			}
		}
	}
	c := m.clients[key]
	if c == nil {
		c = &counter{idx: idx}
		m.clients[key] = c
	}
	switch {
	case c.idx == idx-1:
		c.prev, c.cur, c.idx = c.cur, 0, idx
	case c.idx < idx-1:
		c.prev, c.cur, c.idx = 0, 0, idx
	case c.idx > idx:
		// The clock went back: count in the newer window.
		elapsed = 0
	}
	if !allowed(c.prev, c.cur, int64(max), elapsed) {
		return false, nil
	}
	c.cur++
	return true, nil
}

// clientCount is the number of clients held (tests).
func (m *Memory) clientCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.clients)
}

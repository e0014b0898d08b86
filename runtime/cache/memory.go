package cache

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// entryOverhead is what Memory counts for an entry beyond its body: the
// keys, the list element and the map slot.
const entryOverhead = 256

// maxMemoryEntries bounds the number of entries whatever their size, so
// that tiny responses do not make the index the memory.
const maxMemoryEntries = 1 << 20

// Memory is a Store in this process: entries up to a total size in
// bytes, the least recently used out first, expired ones dropped when
// met. Each instance has its own.
type Memory struct {
	mu    sync.Mutex
	lru   *simplelru.LRU[string, *memEntry]
	bytes int
	max   int
}

type memEntry struct {
	family  string
	body    []byte
	expires time.Time
}

func (e *memEntry) size() int { return len(e.body) + entryOverhead }

// NewMemory returns an in-process store of at most maxBytes.
func NewMemory(maxBytes int) *Memory {
	m := &Memory{max: maxBytes}
	// The size is positive, the only error NewLRU reports.
	m.lru, _ = simplelru.NewLRU[string, *memEntry](maxMemoryEntries, func(_ string, e *memEntry) { m.bytes -= e.size() })
	return m
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, k Key) (Entry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.lru.Get(k.Key)
	if !ok {
		return Entry{}, false, nil
	}
	if !time.Now().Before(e.expires) {
		m.lru.Remove(k.Key)
		return Entry{}, false, nil
	}
	return Entry{Body: e.body, Expires: e.expires}, true, nil
}

// Set implements Store. The body is copied; an entry larger than the
// whole store is refused with ErrTooLarge.
func (m *Memory) Set(_ context.Context, k Key, body []byte, expires time.Time) error {
	e := &memEntry{family: k.Family, body: append([]byte(nil), body...), expires: expires}
	if e.size() > m.max {
		return ErrTooLarge
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lru.Remove(k.Key) // its size leaves through the eviction callback
	m.lru.Add(k.Key, e)
	m.bytes += e.size()
	for m.bytes > m.max {
		m.lru.RemoveOldest()
	}
	return nil
}

// Clear implements Store.
func (m *Memory) Clear(_ context.Context, key, family string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if key == "" && family == "" {
		n := m.lru.Len()
		m.lru.Purge()
		return n, nil
	}
	n := 0
	for _, k := range m.lru.Keys() {
		e, _ := m.lru.Peek(k)
		if (key == "" || k == key) && (family == "" || e.family == family) {
			m.lru.Remove(k)
			n++
		}
	}
	return n, nil
}

// Bytes returns the memory the entries are counted as.
func (m *Memory) Bytes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bytes
}

// Close implements Store.
func (m *Memory) Close() error { return nil }

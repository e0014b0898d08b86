package live

// Subscriptions to an asynchronous action's call, <action>(id:): the
// current state is sent at once (engine.AsyncValue), then one statement
// per LiveInterval reads the statuses of every subscribed call
// (actions.Statuses), and only a call whose status changed is read again
// and sent when its value changed. A subscription completes once its call
// has its output or its errors (or is not the caller's), as Hasura's
// async action subscriptions do. With no such subscription nothing runs.

import (
	"bytes"
	"context"
	"time"

	"github.com/hasgen/hasgen/runtime/actions"
	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/wire"
)

// actionSub is one subscription to a call.
type actionSub struct {
	prep *engine.Prepared
	f    *compile.Field
	sk   Sink
	// id and status are the call's, as last read; last the value last
	// sent. Only the loop reads and writes them.
	id, status string
	last       []byte
	started    bool
}

// actionWatch holds the subscriptions to calls; guarded by Poller.mu.
type actionWatch struct {
	subs    map[*actionSub]bool
	running bool
	wake    chan struct{}
}

func (p *Poller) subscribeAction(prep *engine.Prepared, f *compile.Field, sk Sink) (func(), error) {
	db, ok := p.db.(engine.DBTX)
	if !ok || p.e == nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "subscriptions to actions are not served by this poller"}
	}
	s := &actionSub{prep: prep, f: f, sk: sk}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errShuttingDown
	}
	w := &p.actions
	if w.subs == nil {
		w.subs, w.wake = map[*actionSub]bool{}, make(chan struct{}, 1)
	}
	w.subs[s] = true
	if !w.running {
		w.running = true
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.watchActions(db)
		}()
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return func() {
		p.mu.Lock()
		delete(p.actions.subs, s)
		p.mu.Unlock()
	}, nil
}

// watchActions runs the subscriptions to calls until there is none left
// or the poller closes (each then gets Complete).
func (p *Poller) watchActions(db engine.DBTX) {
	tick := time.NewTicker(p.cfg.LiveInterval)
	defer tick.Stop()
	for {
		p.mu.Lock()
		w := &p.actions
		if len(w.subs) == 0 || p.ctx.Err() != nil {
			subs := w.subs
			w.subs, w.running = nil, false
			p.mu.Unlock()
			for s := range subs {
				s.sk.Complete()
			}
			return
		}
		subs := make([]*actionSub, 0, len(w.subs))
		for s := range w.subs {
			subs = append(subs, s)
		}
		wake := w.wake
		p.mu.Unlock()
		p.pollActions(p.ctx, db, subs)
		select {
		case <-tick.C:
		case <-wake:
		case <-p.ctx.Done():
		}
	}
}

// pollActions reads the statuses of the started subscriptions' calls in
// batches of LiveBatchSize, then reads again and sends the calls that
// changed, and the new subscriptions' calls.
func (p *Poller) pollActions(ctx context.Context, db engine.DBTX, subs []*actionSub) {
	var due []*actionSub
	var started []*actionSub
	for _, s := range subs {
		if s.started {
			started = append(started, s)
		} else {
			due = append(due, s)
		}
	}
	for lo := 0; lo < len(started); lo += p.cfg.LiveBatchSize {
		batch := started[lo:min(lo+p.cfg.LiveBatchSize, len(started))]
		ids := make([]string, len(batch))
		for i, s := range batch {
			ids[i] = s.id
		}
		statuses, err := actions.Statuses(ctx, db, ids)
		if err != nil {
			if ctx.Err() == nil {
				p.log.Error("subscriptions to actions: reading the calls' statuses", "error", err)
			}
			return
		}
		for _, s := range batch {
			if statuses[s.id] != s.status {
				due = append(due, s)
			}
		}
	}
	for _, s := range due {
		if !p.actionSubscribed(s) {
			continue
		}
		st, err := p.e.AsyncValue(ctx, db, s.prep, s.f)
		if ctx.Err() != nil {
			return
		}
		first := !s.started
		s.started = true
		if err != nil {
			s.sk.Fail(err, first)
			if first {
				p.dropAction(s)
			}
			continue
		}
		s.id, s.status = st.ID, st.Status
		if first || !bytes.Equal(st.Value, s.last) {
			s.sk.Next(s.f.Key, st.Value)
			s.last = st.Value
		}
		if st.Done {
			p.dropAction(s)
			s.sk.Complete()
		}
	}
}

// actionSubscribed reports whether s has not been stopped.
func (p *Poller) actionSubscribed(s *actionSub) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.actions.subs[s]
}

// dropAction ends s on the server's side.
func (p *Poller) dropAction(s *actionSub) {
	p.mu.Lock()
	delete(p.actions.subs, s)
	p.mu.Unlock()
}

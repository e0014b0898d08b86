package live

// Subscriptions to an asynchronous action's call, <action>(id:): the call
// is read every LiveInterval (engine.AsyncValue), its value sent when it
// changes, and the subscription completed once the call has its output or
// its errors, as Hasura's async action subscriptions do. Such a
// subscription lives as long as its call is pending, one indexed read per
// interval; there is nothing to multiplex, the calls being each their
// own row.

import (
	"bytes"
	"time"

	"github.com/hasgen/hasgen/runtime/compile"
	"github.com/hasgen/hasgen/runtime/engine"
	"github.com/hasgen/hasgen/runtime/wire"
)

func (p *Poller) subscribeAction(prep *engine.Prepared, f *compile.Field, sk Sink) (func(), error) {
	db, ok := p.db.(engine.DBTX)
	if !ok || p.e == nil {
		return nil, &wire.Error{Code: wire.CodeUnexpected, Path: "$", Message: "subscriptions to actions are not served by this poller"}
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errShuttingDown
	}
	p.wg.Add(1)
	p.mu.Unlock()
	stopped := make(chan struct{})
	var once bool
	stop := func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !once {
			once = true
			close(stopped)
		}
	}
	go func() {
		defer p.wg.Done()
		var last []byte
		first := true
		tick := time.NewTicker(p.cfg.LiveInterval)
		defer tick.Stop()
		for {
			value, done, err := p.e.AsyncValue(p.ctx, db, prep, f)
			select {
			case <-stopped:
				return
			default:
			}
			switch {
			case p.ctx.Err() != nil:
				sk.Complete()
				return
			case err != nil:
				sk.Fail(err, first)
				if first {
					return
				}
			case first || !bytes.Equal(value, last):
				sk.Next(f.Key, value)
				last = value
			}
			first = false
			if done && err == nil {
				sk.Complete()
				return
			}
			select {
			case <-tick.C:
			case <-stopped:
				return
			case <-p.ctx.Done():
				sk.Complete()
				return
			}
		}
	}()
	return stop, nil
}

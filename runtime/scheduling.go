package runtime

// Scheduled triggers in a server: NewServer installs their catalog and
// starts the scheduler, Close and Shutdown stop it. The work is in
// runtime/schedule (scheduler.go, deliver.go, ops.go).

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/hasgen/hasgen/runtime/events"
	"github.com/hasgen/hasgen/runtime/schedule"
	"github.com/hasgen/hasgen/runtime/transform"
	"github.com/hasgen/hasgen/runtime/transport"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// ScheduleConfig configures the delivery of scheduled triggers: the cron
// triggers of the metadata and the one-off scheduled events.
type ScheduleConfig struct {
	// FetchInterval is the time between two rounds of the scheduler
	// (HASGEN_SCHEDULED_EVENTS_FETCH_INTERVAL, milliseconds, default
	// 10000): how late an occurrence may be delivered.
	FetchInterval time.Duration
	// FetchBatchSize bounds the events one claim takes
	// (HASGEN_SCHEDULED_EVENTS_FETCH_BATCH_SIZE, default 100).
	FetchBatchSize int
	// LookupEnv resolves webhook_from_env, value_from_env and {{VAR}} in
	// webhooks; nil is os.LookupEnv. Not read from the environment.
	LookupEnv func(string) (string, bool)
	// Now is the scheduler's clock (tests set it); nil is time.Now. Not
	// read from the environment.
	Now func() time.Time
	// metrics gets the scheduler's metrics: the server's registry.
	metrics prometheus.Registerer
}

// schedulePoolConns is the size of the scheduler's own pool: a claim per
// round and a short statement per try, never held during a webhook call.
const schedulePoolConns = 5

// readScheduleEnv reads ScheduleConfig's variables.
func readScheduleEnv(env *envReader, c *ScheduleConfig) {
	c.FetchInterval, c.FetchBatchSize = 10*time.Second, 100
	env.duration(&c.FetchInterval, "HASGEN_SCHEDULED_EVENTS_FETCH_INTERVAL", time.Millisecond, 1)
	env.num(&c.FetchBatchSize, "HASGEN_SCHEDULED_EVENTS_FETCH_BATCH_SIZE", 1)
}

// scheduleServer is a server's scheduler and its pool; nil when nothing
// is scheduled (no cron trigger, and the catalog could not be installed).
type scheduleServer struct {
	pool  *pgxpool.Pool
	sched *schedule.Scheduler
	done  chan struct{}
}

// startScheduling installs the catalog of scheduled events and starts
// the scheduler on a pool of its own. The scheduler runs in every
// project, one-off events can be created at any time. When the project
// has cron triggers, a catalog that cannot be installed or a trigger that
// cannot be served (a bad schedule, a variable not set, a request
// transform that does not parse) fails the start; without cron triggers
// it is logged and one-off events are not served.
func startScheduling(ctx context.Context, cfg Config, p Project, log *slog.Logger) (*scheduleServer, error) {
	scfg, err := schedule.Load(p.Schemas)
	if err != nil {
		return nil, err
	}
	crons := len(scfg.Crons) > 0
	pcfg := cfg
	pcfg.MaxConns, pcfg.MinConns, pcfg.Tracer = schedulePoolConns, 0, nil
	// Claiming relies on read committed, as in events.
	pcfg.IsolationLevel = "read-committed"
	pool, err := NewPool(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("scheduled triggers: %w", err)
	}
	lookup := cfg.Schedule.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	err = schedule.Install(ctx, pool)
	var s *schedule.Scheduler
	if err == nil {
		s, err = schedule.New(pool, scfg, schedule.Options{
			FetchInterval: cfg.Schedule.FetchInterval, BatchSize: cfg.Schedule.FetchBatchSize,
			LookupEnv: lookup, Now: cfg.Schedule.Now, Logger: log,
			UserAgent: "hasgen/" + transport.Version(), RequestTransform: transform.ForCronTriggers,
			Registerer: cfg.Schedule.metrics,
		})
	}
	if err != nil {
		pool.Close()
		if crons {
			return nil, fmt.Errorf("scheduled triggers: %w", err)
		}
		log.Warn("one-off scheduled events are not served: "+err.Error(), "error", err)
		return nil, nil
	}
	ss := &scheduleServer{pool: pool, sched: s, done: make(chan struct{})}
	go func() {
		defer close(ss.done)
		if err := s.Run(context.WithoutCancel(ctx)); err != nil {
			log.Error("scheduled triggers", "error", err)
		}
	}()
	names := make([]string, len(scfg.Crons))
	for i, c := range scfg.Crons {
		names[i] = c.Name
	}
	log.Info("delivering scheduled triggers", "cron_triggers", names, "fetch_interval", cfg.Schedule.FetchInterval.String())
	return ss, nil
}

// ops returns the /v1/metadata operations of scheduled events; none when
// nothing is scheduled.
func (s *scheduleServer) ops() map[string]events.Op {
	if s == nil {
		return nil
	}
	return s.sched.Ops()
}

// shutdown stops claiming events; the deliveries in flight go on until
// ctx ends, then are cut off and their events released (no try counted).
// The returned channel is closed once the scheduler has stopped. Safe on
// nil.
func (s *scheduleServer) shutdown(ctx context.Context) <-chan struct{} {
	if s == nil {
		return inBackground(nil)
	}
	return inBackground(func() {
		s.sched.Shutdown(ctx)
		<-s.done
	})
}

// close stops the scheduler (interrupted deliveries are released for
// another instance) and closes its pool. Safe on nil and more than once.
func (s *scheduleServer) close() {
	if s == nil {
		return
	}
	s.sched.Close()
	<-s.done
	s.pool.Close()
}

package runtime

import (
	"context"
	"log/slog"

	"github.com/hasgen/hasgen/runtime/budget"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// startBudget joins the instances that share cfg.TotalMaxConns
// connections (runtime/budget), when a budget is set: every pool NewPool
// opens with the returned configuration, and the change hints' listening
// connection, then take their connections from the instance's share, and
// carry the instance's application_name. Without a budget it returns cfg
// and nil.
func startBudget(ctx context.Context, cfg Config, log *slog.Logger) (Config, *budget.Coordinator, error) {
	if cfg.TotalMaxConns <= 0 {
		return cfg, nil, nil
	}
	cc, err := pgx.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return cfg, nil, err
	}
	c, err := budget.Join(ctx, budget.Options{ConnConfig: cc, Total: cfg.TotalMaxConns, Log: log})
	if err != nil {
		return cfg, nil, err
	}
	cfg.budget = c
	listener := cfg.Live.ConnConfig
	cfg.Live.ConnConfig = func(lc *pgx.ConnConfig) {
		if listener != nil {
			listener(lc)
		}
		lc.RuntimeParams["application_name"] = c.ApplicationName()
		c.Limiter().ConfigureConn(lc)
	}
	st := c.Status()
	log.Info("sharing a connection budget", "total", cfg.TotalMaxConns, "instances", st.Instances, "limit", st.Limit,
		"application_name", c.ApplicationName())
	return cfg, c, nil
}

// budgetPool makes the pool pc configures take its connections from the
// instance's share, when there is a budget; register registers the pool
// once made.
func budgetPool(cfg Config, pc *pgxpool.Config) (register func(*pgxpool.Pool)) {
	if l := cfg.replicaLimiter; l != nil {
		l.ConfigurePool(pc)
		return l.Register
	}
	b := cfg.budget
	if b == nil {
		return func(*pgxpool.Pool) {}
	}
	if pc.ConnConfig.RuntimeParams["application_name"] == "" {
		pc.ConnConfig.RuntimeParams["application_name"] = b.ApplicationName()
	}
	b.Limiter().ConfigurePool(pc)
	return b.Limiter().Register
}

// registerBudgetMetrics adds the connection budget's gauges to reg: the
// live instances, this instance's share and limit (its control connection
// included), its open connections and the acquirers waiting for one.
// Nothing without a budget.
func registerBudgetMetrics(reg *prometheus.Registry, c *budget.Coordinator) {
	if c == nil {
		return
	}
	gauge := func(name, help string, v func() int) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return float64(v()) }))
	}
	gauge("hasgen_connection_budget_instances", "Live instances sharing the connection budget.", func() int { return c.Status().Instances })
	gauge("hasgen_connection_budget_share", "This instance's share of the connection budget.", func() int { return c.Status().Share })
	gauge("hasgen_connection_budget_limit", "Connections this instance may open now, its control connection included.", func() int { return c.Limiter().Stats().Limit + 1 })
	gauge("hasgen_connection_budget_open", "Connections this instance has open, its control connection included.", func() int { return c.Limiter().Stats().Open + 1 })
	gauge("hasgen_connection_budget_waiting", "Acquirers waiting for a connection of the budget.", func() int { return c.Limiter().Stats().Waiting })
}

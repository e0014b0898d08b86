package runtime

import (
	"context"
	"log/slog"

	"github.com/hasgen/hasgen/runtime/budget"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
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

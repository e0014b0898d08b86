package schedule

import (
	"context"
	"fmt"

	"github.com/hasgen/hasgen/runtime/events"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// CatalogSQL creates, when missing, the part of Hasura's catalog that
// scheduled triggers use, with Hasura's names, columns, defaults and
// indexes (as pg_dump shows them for a Hasura v2 database): cron events
// and one-off scheduled events still pending from a Hasura deployment
// are delivered after the switch, and Hasura can take the database back.
// Running it twice changes nothing.
//
// hasgen adds no column: the lease of a claimed event is its
// next_retry_at while its status is 'locked' (see Scheduler).
const CatalogSQL = events.UUIDFunctionSQL + `
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_cron_events (
  id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  trigger_name text NOT NULL,
  scheduled_time timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'scheduled',
  tries integer NOT NULL DEFAULT 0,
  created_at timestamptz DEFAULT now(),
  next_retry_at timestamptz,
  CONSTRAINT valid_status CHECK (status IN ('scheduled', 'locked', 'delivered', 'error', 'dead'))
);
CREATE INDEX IF NOT EXISTS hdb_cron_event_status ON hdb_catalog.hdb_cron_events (status);
-- One pending occurrence per trigger and time, whatever the number of
-- instances generating them.
CREATE UNIQUE INDEX IF NOT EXISTS hdb_cron_events_unique_scheduled
  ON hdb_catalog.hdb_cron_events (trigger_name, scheduled_time) WHERE status = 'scheduled';

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_cron_event_invocation_logs (
  id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  event_id text REFERENCES hdb_catalog.hdb_cron_events (id) ON UPDATE CASCADE ON DELETE CASCADE,
  status integer,
  request json,
  response json,
  created_at timestamptz DEFAULT now()
);
CREATE INDEX IF NOT EXISTS hdb_cron_event_invocation_event_id
  ON hdb_catalog.hdb_cron_event_invocation_logs (event_id);

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_scheduled_events (
  id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  webhook_conf json NOT NULL,
  scheduled_time timestamptz NOT NULL,
  retry_conf json,
  payload json,
  header_conf json,
  status text NOT NULL DEFAULT 'scheduled',
  tries integer NOT NULL DEFAULT 0,
  created_at timestamptz DEFAULT now(),
  next_retry_at timestamptz,
  comment text,
  CONSTRAINT valid_status CHECK (status IN ('scheduled', 'locked', 'delivered', 'error', 'dead'))
);
CREATE INDEX IF NOT EXISTS hdb_scheduled_event_status ON hdb_catalog.hdb_scheduled_events (status);

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_scheduled_event_invocation_logs (
  id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  event_id text REFERENCES hdb_catalog.hdb_scheduled_events (id) ON UPDATE CASCADE ON DELETE CASCADE,
  status integer,
  request json,
  response json,
  created_at timestamptz DEFAULT now()
);
`

// InstallLockKey is the transaction advisory lock Install holds while it
// creates the catalog: instances starting together would otherwise race
// on CREATE ... IF NOT EXISTS (which is not safe under concurrency). The
// key is hashtext('hasgen hdb_catalog'), shared by every hasgen piece
// that creates hdb_catalog objects.
const InstallLockKey = events.CatalogLockKey

// Install runs CatalogSQL in one transaction under InstallLockKey,
// unless its four tables exist already: a role that may not create
// schemas (CREATE SCHEMA IF NOT EXISTS needs the privilege even when the
// schema exists) then uses a catalog installed for it. It is safe to call
// from any number of instances at once, and again later.
func Install(ctx context.Context, pool *pgxpool.Pool) error {
	var installed bool
	err := pool.QueryRow(ctx, `SELECT to_regclass('hdb_catalog.hdb_cron_events') IS NOT NULL
  AND to_regclass('hdb_catalog.hdb_cron_event_invocation_logs') IS NOT NULL
  AND to_regclass('hdb_catalog.hdb_scheduled_events') IS NOT NULL
  AND to_regclass('hdb_catalog.hdb_scheduled_event_invocation_logs') IS NOT NULL`).Scan(&installed)
	if err == nil && installed {
		return nil
	}
	if err == nil {
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, InstallLockKey); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, CatalogSQL)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("install the scheduled triggers' catalog (hdb_catalog.hdb_cron_events, hdb_scheduled_events): %w", err)
	}
	return nil
}

package events

// CatalogLockKey names the transaction advisory lock,
// pg_advisory_xact_lock(hashtext(CatalogLockKey)), held by every hasgen
// piece that creates hdb_catalog objects (the trigger migration, the
// scheduler's install): CREATE ... IF NOT EXISTS is not safe when two
// run at once.
const CatalogLockKey = "hasgen hdb_catalog"

// UUIDFunctionSQL creates the schema hdb_catalog and Hasura's
// hdb_catalog.gen_hasura_uuid(), which the ids of the catalog tables
// default to, when they are missing. It starts every hasgen migration of
// hdb_catalog (this package's and the scheduler's).
const UUIDFunctionSQL = `CREATE SCHEMA IF NOT EXISTS hdb_catalog;

-- Created only when missing: Hasura's own (or another role's) is kept.
DO $$
BEGIN
  IF to_regprocedure('hdb_catalog.gen_hasura_uuid()') IS NULL THEN
    CREATE FUNCTION hdb_catalog.gen_hasura_uuid() RETURNS uuid
      LANGUAGE sql AS 'select gen_random_uuid()';
  END IF;
END
$$;
`

// CatalogSQL creates, when missing, the part of Hasura's source catalog
// that event triggers use, with Hasura's names, columns and defaults:
// a database Hasura served keeps its pending events and its logs, and
// Hasura can take the database back. Running it twice changes nothing.
const CatalogSQL = UUIDFunctionSQL + `
CREATE TABLE IF NOT EXISTS hdb_catalog.event_log (
  id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  trigger_name text NOT NULL,
  payload jsonb NOT NULL,
  delivered boolean NOT NULL DEFAULT false,
  error boolean NOT NULL DEFAULT false,
  tries integer NOT NULL DEFAULT 0,
  created_at timestamp DEFAULT now(),
  -- NULL: not claimed; else when an instance claimed it (the lease).
  locked timestamptz,
  next_retry_at timestamp,
  archived boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS event_log_trigger_name_idx ON hdb_catalog.event_log (trigger_name);
CREATE INDEX IF NOT EXISTS event_log_fetch_events ON hdb_catalog.event_log
  (locked NULLS FIRST, next_retry_at NULLS FIRST, created_at)
  WHERE delivered = 'f' AND error = 'f' AND archived = 'f';

CREATE TABLE IF NOT EXISTS hdb_catalog.event_invocation_logs (
  id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  trigger_name text,
  event_id text,
  status integer,
  request json,
  response json,
  created_at timestamp DEFAULT now()
);
CREATE INDEX IF NOT EXISTS event_invocation_logs_event_id_idx ON hdb_catalog.event_invocation_logs (event_id);

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_event_log_cleanups (
  id text DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  trigger_name text NOT NULL,
  scheduled_at timestamp NOT NULL,
  deleted_event_logs integer,
  deleted_event_invocation_logs integer,
  status text NOT NULL CHECK (status IN ('scheduled', 'paused', 'completed', 'dead')),
  UNIQUE (trigger_name, scheduled_at)
);

-- insert_event_log is what a trigger calls (Hasura's signature): the
-- payload carries the session variables of the transaction (hasura.user,
-- set by every mutation) and its trace context.
CREATE OR REPLACE FUNCTION hdb_catalog.insert_event_log(
  schema_name text, table_name text, trigger_name text, op text, row_data json)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  id text := gen_random_uuid();
BEGIN
  INSERT INTO hdb_catalog.event_log (id, schema_name, table_name, trigger_name, payload)
  VALUES (id, schema_name, table_name, trigger_name, json_build_object(
    'op', op,
    'data', row_data,
    'session_variables', NULLIF(current_setting('hasura.user', true), '')::json,
    'trace_context', NULLIF(current_setting('hasura.tracecontext', true), '')::json));
  RETURN id;
END;
$$;
`

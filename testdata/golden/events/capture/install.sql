-- hasgen event triggers: each change of a table with event triggers is
-- written to hdb_catalog.event_log in the same transaction (Hasura's
-- catalog and trigger names). Written by hasgen from the metadata's
-- event_triggers; running it again changes nothing.
BEGIN;
SELECT pg_advisory_xact_lock(hashtext('hasgen hdb_catalog'));

CREATE SCHEMA IF NOT EXISTS hdb_catalog;

-- Created only when missing: Hasura's own (or another role's) is kept.
DO $$
BEGIN
  IF to_regprocedure('hdb_catalog.gen_hasura_uuid()') IS NULL THEN
    CREATE FUNCTION hdb_catalog.gen_hasura_uuid() RETURNS uuid
      LANGUAGE sql AS 'select gen_random_uuid()';
  END IF;
END
$$;

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

-- Drop the event triggers that are no longer declared.
DO $hasgen$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT t.tgname, n.nspname, c.relname
    FROM pg_catalog.pg_trigger AS t
    JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_proc AS p ON p.oid = t.tgfoid
    WHERE NOT t.tgisinternal AND t.tgname LIKE 'notify\_hasura\_%'
      AND p.pronamespace = 'hdb_catalog'::regnamespace
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_inherits AS i
        JOIN pg_catalog.pg_trigger AS pt ON pt.tgrelid = i.inhparent AND pt.tgname = t.tgname
        WHERE i.inhrelid = t.tgrelid)
      AND (t.tgname::text, n.nspname::text, c.relname::text) NOT IN (('notify_hasura_items_changed_DELETE', 'public', 'items'), ('notify_hasura_items_changed_INSERT', 'public', 'items'), ('notify_hasura_items_changed_UPDATE', 'public', 'items'), ('notify_hasura_order-lines_INSERT', 'Shop', 'Order Lines'), ('notify_hasura_order-lines_UPDATE', 'Shop', 'Order Lines'))
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %I.%I', r.tgname, r.nspname, r.relname);
  END LOOP;
  FOR r IN
    SELECT p.oid::regprocedure AS fn
    FROM pg_catalog.pg_proc AS p
    WHERE p.pronamespace = 'hdb_catalog'::regnamespace AND p.proname LIKE 'notify\_hasura\_%'
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t WHERE t.tgfoid = p.oid)
      AND p.proname::text NOT IN ('notify_hasura_items_changed_DELETE', 'notify_hasura_items_changed_INSERT', 'notify_hasura_items_changed_UPDATE', 'notify_hasura_order-lines_INSERT', 'notify_hasura_order-lines_UPDATE')
  LOOP
    EXECUTE format('DROP FUNCTION %s', r.fn);
  END LOOP;
END
$hasgen$;

-- notify_hasura_items_changed_DELETE: DELETE of "public"."items"
CREATE OR REPLACE FUNCTION "hdb_catalog"."notify_hasura_items_changed_DELETE"() RETURNS trigger LANGUAGE plpgsql AS $hasgen$
BEGIN
  PERFORM hdb_catalog.insert_event_log(CAST(TG_TABLE_SCHEMA AS text), CAST(TG_TABLE_NAME AS text),
    CAST('items_changed' AS text), TG_OP, json_build_object('old', row_to_json(OLD), 'new', NULL));
  RETURN NULL;
END;
$hasgen$;
COMMENT ON FUNCTION "hdb_catalog"."notify_hasura_items_changed_DELETE"() IS 'hasgen event trigger e1123eb3a3ee74fc3a74e7e5c9d7532658bf83bd4fcd3fe50dcdb1da3e985d79';
DROP TRIGGER IF EXISTS "notify_hasura_items_changed_DELETE" ON "public"."items";
CREATE TRIGGER "notify_hasura_items_changed_DELETE" AFTER DELETE ON "public"."items" FOR EACH ROW EXECUTE PROCEDURE "hdb_catalog"."notify_hasura_items_changed_DELETE"();

-- notify_hasura_items_changed_INSERT: INSERT of "public"."items"
CREATE OR REPLACE FUNCTION "hdb_catalog"."notify_hasura_items_changed_INSERT"() RETURNS trigger LANGUAGE plpgsql AS $hasgen$
BEGIN
  PERFORM hdb_catalog.insert_event_log(CAST(TG_TABLE_SCHEMA AS text), CAST(TG_TABLE_NAME AS text),
    CAST('items_changed' AS text), TG_OP, json_build_object('old', NULL, 'new', row_to_json(NEW)));
  RETURN NULL;
END;
$hasgen$;
COMMENT ON FUNCTION "hdb_catalog"."notify_hasura_items_changed_INSERT"() IS 'hasgen event trigger c59d98673b426d7f153cf2e3f39c55ea42ac2c5de44a5078309c3fead0772e65';
DROP TRIGGER IF EXISTS "notify_hasura_items_changed_INSERT" ON "public"."items";
CREATE TRIGGER "notify_hasura_items_changed_INSERT" AFTER INSERT ON "public"."items" FOR EACH ROW EXECUTE PROCEDURE "hdb_catalog"."notify_hasura_items_changed_INSERT"();

-- notify_hasura_items_changed_UPDATE: UPDATE of "public"."items"
CREATE OR REPLACE FUNCTION "hdb_catalog"."notify_hasura_items_changed_UPDATE"() RETURNS trigger LANGUAGE plpgsql AS $hasgen$
DECLARE
  _old record;
  _new record;
  _changed boolean;
BEGIN
  _old := ROW(OLD."name");
  _new := ROW(NEW."name");
  BEGIN
    _changed := _old IS DISTINCT FROM _new;
  EXCEPTION WHEN undefined_function THEN
    _changed := _old *<> _new;
  END;
  IF NOT _changed THEN
    RETURN NULL;
  END IF;
  PERFORM hdb_catalog.insert_event_log(CAST(TG_TABLE_SCHEMA AS text), CAST(TG_TABLE_NAME AS text),
    CAST('items_changed' AS text), TG_OP, json_build_object('old', (SELECT row_to_json(r) FROM (SELECT OLD."id", OLD."name") AS r), 'new', (SELECT row_to_json(r) FROM (SELECT NEW."id", NEW."name") AS r)));
  RETURN NULL;
END;
$hasgen$;
COMMENT ON FUNCTION "hdb_catalog"."notify_hasura_items_changed_UPDATE"() IS 'hasgen event trigger 026bdbe43a55a3e17a3354bae70eb305eb9de9424377fe2bc8b74f44da35864a';
DROP TRIGGER IF EXISTS "notify_hasura_items_changed_UPDATE" ON "public"."items";
CREATE TRIGGER "notify_hasura_items_changed_UPDATE" AFTER UPDATE ON "public"."items" FOR EACH ROW EXECUTE PROCEDURE "hdb_catalog"."notify_hasura_items_changed_UPDATE"();

-- notify_hasura_order-lines_INSERT: INSERT of "Shop"."Order Lines"
CREATE OR REPLACE FUNCTION "hdb_catalog"."notify_hasura_order-lines_INSERT"() RETURNS trigger LANGUAGE plpgsql AS $hasgen$
BEGIN
  PERFORM hdb_catalog.insert_event_log(CAST(TG_TABLE_SCHEMA AS text), CAST(TG_TABLE_NAME AS text),
    CAST('order-lines' AS text), TG_OP, json_build_object('old', NULL, 'new', row_to_json(NEW)));
  RETURN NULL;
END;
$hasgen$;
COMMENT ON FUNCTION "hdb_catalog"."notify_hasura_order-lines_INSERT"() IS 'hasgen event trigger bdee58c754affa1264eba9e49227d8401d32f0a787169517dff4d840bedba14c';
DROP TRIGGER IF EXISTS "notify_hasura_order-lines_INSERT" ON "Shop"."Order Lines";
CREATE TRIGGER "notify_hasura_order-lines_INSERT" AFTER INSERT ON "Shop"."Order Lines" FOR EACH ROW EXECUTE PROCEDURE "hdb_catalog"."notify_hasura_order-lines_INSERT"();

-- notify_hasura_order-lines_UPDATE: UPDATE of "Shop"."Order Lines"
CREATE OR REPLACE FUNCTION "hdb_catalog"."notify_hasura_order-lines_UPDATE"() RETURNS trigger LANGUAGE plpgsql AS $hasgen$
DECLARE
  _old record;
  _new record;
  _changed boolean;
BEGIN
  _old := OLD;
  _new := NEW;
  BEGIN
    _changed := _old IS DISTINCT FROM _new;
  EXCEPTION WHEN undefined_function THEN
    _changed := _old *<> _new;
  END;
  IF NOT _changed THEN
    RETURN NULL;
  END IF;
  PERFORM hdb_catalog.insert_event_log(CAST(TG_TABLE_SCHEMA AS text), CAST(TG_TABLE_NAME AS text),
    CAST('order-lines' AS text), TG_OP, json_build_object('old', row_to_json(OLD), 'new', row_to_json(NEW)));
  RETURN NULL;
END;
$hasgen$;
COMMENT ON FUNCTION "hdb_catalog"."notify_hasura_order-lines_UPDATE"() IS 'hasgen event trigger 646bc358d72036dd67ff9e486026809795297155c4d746d3b334a8098d33425e';
DROP TRIGGER IF EXISTS "notify_hasura_order-lines_UPDATE" ON "Shop"."Order Lines";
CREATE TRIGGER "notify_hasura_order-lines_UPDATE" AFTER UPDATE ON "Shop"."Order Lines" FOR EACH ROW EXECUTE PROCEDURE "hdb_catalog"."notify_hasura_order-lines_UPDATE"();

COMMIT;

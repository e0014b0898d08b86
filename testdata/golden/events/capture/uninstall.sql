-- hasgen event triggers removed: changes are no longer captured. The
-- event catalog (hdb_catalog.event_log and its logs) is kept.
BEGIN;

CREATE SCHEMA IF NOT EXISTS hdb_catalog;
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
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %I.%I', r.tgname, r.nspname, r.relname);
  END LOOP;
  FOR r IN
    SELECT p.oid::regprocedure AS fn
    FROM pg_catalog.pg_proc AS p
    WHERE p.pronamespace = 'hdb_catalog'::regnamespace AND p.proname LIKE 'notify\_hasura\_%'
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t WHERE t.tgfoid = p.oid)
  LOOP
    EXECUTE format('DROP FUNCTION %s', r.fn);
  END LOOP;
END
$hasgen$;

COMMIT;

-- The database of the event trigger tests (events_e2e_test.go): a table
-- per behaviour, each with its trigger in metadata/.
CREATE TABLE items (
  id serial PRIMARY KEY,
  name text NOT NULL,
  watched int NOT NULL DEFAULT 0,
  unwatched int NOT NULL DEFAULT 0,
  owner text
);
CREATE TABLE retried (id serial PRIMARY KEY, v int NOT NULL);
CREATE TABLE slow (id serial PRIMARY KEY, v int NOT NULL);
CREATE TABLE blocked (id serial PRIMARY KEY, v int NOT NULL);
CREATE TABLE bulk (id serial PRIMARY KEY, v int NOT NULL);
-- handled goes to a Go handler: its columns cover the row struct's types.
CREATE TYPE mood AS ENUM ('calm', 'busy');
CREATE TABLE handled (
  id serial PRIMARY KEY,
  name text NOT NULL,
  score numeric,
  tags text[],
  meta jsonb,
  at timestamptz,
  day date,
  big bigint,
  small smallint,
  flag boolean,
  ratio double precision,
  uid uuid,
  naive timestamp,
  blob bytea,
  feeling mood,
  grid int[][]
);
-- plain has no trigger: the benchmark's baseline for a mutation.
CREATE TABLE plain (id serial PRIMARY KEY, v int NOT NULL);

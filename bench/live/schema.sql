-- Schema of the subscription load test (bench/live).
--
--   counters: one row per subscriber; a live query reads its own row,
--             the writer bumps v and written_at in every row once per
--             round;
--   events:   append-only; a stream reads its own rows by id, the writer
--             inserts one row per subscriber per round.

CREATE TABLE counters (
    id         integer PRIMARY KEY,
    owner      integer NOT NULL,
    v          integer NOT NULL DEFAULT 0,
    written_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX counters_owner ON counters (owner);

CREATE TABLE events (
    id      bigserial PRIMARY KEY,
    owner   integer NOT NULL,
    created timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX events_owner_id ON events (owner, id);

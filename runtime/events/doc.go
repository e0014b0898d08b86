// Package events delivers Hasura's event triggers: a table trigger writes
// each change into hdb_catalog.event_log in the writing transaction
// (Hasura's own catalog layout, so events still pending from a Hasura
// deployment are delivered after the switch); workers in every server
// instance claim events with FOR UPDATE SKIP LOCKED and a lease, and
// deliver them to a webhook (runtime/delivery) or to a Go handler, with
// Hasura's payload, retries and invocation logs.
//
// What a project declares comes from schema/events.jsonc, written by
// hasgen generate from the metadata's event_triggers (Load); the trigger
// SQL is a migration hasgen writes and installs on request.
package events

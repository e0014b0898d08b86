// Package templates is the emitter: from the model (package model) it
// renders a project's files without touching the disk. SDL writes each
// role's GraphQL schema (schema/roles/<role>.graphqls, and full.graphqls
// for admin); DB writes package db, one Go file per table declaring its
// catalog.Table with each role's permission filters as straight-line Go;
// Descriptors builds the same tables in memory, for explain and tests.
package templates

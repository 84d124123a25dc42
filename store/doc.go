// Package store keeps hotline's call records, agent accounts and unanswered questions, and serves the records
// at /api/calls.
//
// It owns: the call record type (Call, exactly the JSON of ../shared/design.md plus extras), the Store interface
// with two implementations behind it — SQLite (the default, embedded, file DATA/hotline.db) and PostgreSQL (for
// larger sites, by configuration) — sharing one set of numbered schema migrations; the asynchronous Writer
// that the call path hands finished records to without ever blocking (bounded queue, back-pressure metrics,
// retries, a record durable within 1 s of hang-up); the retention purge job; the API token file DATA/api.token;
// and the HTTP handler for /api/calls, /api/calls/{id} and a call's audio (/api/calls/{id}/recording and
// /voicemail, files under the data directory named by the record).
//
// It must not: be called synchronously from the media path (use Writer), decide call outcomes, or know about
// SIP or audio. Card numbers are masked (quality.MaskCardNumbers) in every text field before a record is
// written, so no caller can store one by mistake.
//
// Libraries: database/sql with modernc.org/sqlite (pure Go, so the binary stays cgo-free for the database and
// self-contained; WAL mode, busy_timeout, synchronous=FULL so a committed record survives kill -9 and power
// loss) and github.com/jackc/pgx/v5 through its database/sql driver (pgx/v5/stdlib), so both backends share one
// implementation and differ only in placeholders and a few DDL words. A record is one row: the columns the
// queries filter and sort on (id, started_at, outcome, agent, …) plus the whole record as JSON, so new fields
// of the record need no migration.
package store

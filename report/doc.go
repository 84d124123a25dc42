// Package report is the weekly human–bot collaboration report: where the bot and the agents hand calls to each
// other, and where that fails. It reads call records and unanswered questions from a store.Store over a date
// range and computes calls, bot containment, escalations by reason, emotion at the start against the end (the
// de-escalation rate), transfer surges by hour with their top causes, the share of transfers caused by
// recognition failures, average wait and ring time, per-agent quality scores and the top clusters of unanswered
// questions; it renders them as JSON, as CSV (one row per call, for export) and as one self-contained HTML page
// whose charts are inline SVG drawn on the server (no script, no outside files, so it prints and mails well).
//
// It owns the report's JSON shape (the design's top-level keys from, to, calls, bot_resolved, transferred,
// abandoned, failed, escalations_by_reason, and more), `hotline report` (cmd/hotline/report.go) and the /reports
// handler. It must not write to the store, and the handler does no authentication: the web server mounts it
// behind the supervisor login.
//
// Libraries: the standard library only (html/template, encoding/csv, hand-written SVG: a handful of bar charts
// needs no chart library, and server-side SVG keeps the page readable without JavaScript). Unanswered questions
// are grouped with dialog.ClusterQuestions (TF-IDF over stemmed words and character 3-grams, average-linkage
// clustering), the same clustering `hotline kb suggest` prints.
package report

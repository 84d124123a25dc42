package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotline/hotline/quality"
)

// sqlStore is the one implementation behind both backends; dialect holds their few differences.
type sqlStore struct {
	db   *sql.DB
	d    dialect
	cfg  Config
	name string // the database, for error messages: the SQLite path or "postgres"
}

// dialect is what differs between SQLite and PostgreSQL.
type dialect struct {
	driver string
	// serial is the column type of an auto-incrementing integer primary key.
	serial string
	// lockMigrations runs first in the migration transaction (PostgreSQL: an advisory lock; SQLite's immediate
	// transactions already exclude each other).
	lockMigrations string
	// numbered placeholders ($1, $2, …) instead of ?.
	numbered bool
}

// migrations are applied in order, each once, each in its own transaction; the version is its index + 1.
// Never edit an applied migration: append a new one.
func migrations(d dialect) []string {
	return []string{
		// 1: call records. Times are microseconds since the Unix epoch (UTC), so ordering and ranges are integer
		// comparisons on both backends; record holds the whole JSON record.
		`CREATE TABLE calls (
			id TEXT PRIMARY KEY,
			sip_call_id TEXT NOT NULL DEFAULT '',
			caller TEXT NOT NULL DEFAULT '',
			started_at BIGINT NOT NULL,
			ended_at BIGINT NOT NULL,
			outcome TEXT NOT NULL,
			agent TEXT NOT NULL DEFAULT '',
			transfer_reason TEXT NOT NULL DEFAULT '',
			intent TEXT NOT NULL DEFAULT '',
			content_purged SMALLINT NOT NULL DEFAULT 0,
			record TEXT NOT NULL
		);
		CREATE INDEX calls_started_id ON calls (started_at, id);
		CREATE INDEX calls_agent_started ON calls (agent, started_at);`,
		// 2: agent and supervisor accounts; skills is a JSON array.
		`CREATE TABLE accounts (
			name TEXT PRIMARY KEY,
			password_hash TEXT NOT NULL,
			role TEXT NOT NULL,
			skills TEXT NOT NULL DEFAULT '[]',
			created_at BIGINT NOT NULL
		);`,
		// 3: unanswered questions, for the knowledge-base suggestions and the report's clusters.
		`CREATE TABLE unanswered (
			id ` + d.serial + `,
			call_id TEXT NOT NULL,
			text TEXT NOT NULL,
			at BIGINT NOT NULL
		);
		CREATE INDEX unanswered_at ON unanswered (at);`,
		// 4: whether the caller left a message, so the messages to call back can be listed.
		`ALTER TABLE calls ADD COLUMN has_voicemail SMALLINT NOT NULL DEFAULT 0;
		CREATE INDEX calls_voicemail_started ON calls (has_voicemail, started_at);`,
	}
}

func (s *sqlStore) q(query string) string {
	if !s.d.numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// migrate applies the migrations not yet recorded in schema_migrations.
func (s *sqlStore) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store %s: creating schema_migrations: %w", s.name, err)
	}
	for i, m := range migrations(s.d) {
		version := i + 1
		if err := s.apply(ctx, version, m); err != nil {
			return fmt.Errorf("store %s: migration %d: %w", s.name, version, err)
		}
	}
	return nil
}

func (s *sqlStore) apply(ctx context.Context, version int, stmt string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	if s.d.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, s.d.lockMigrations); err != nil {
			return err
		}
	}
	var one int
	err = tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM schema_migrations WHERE version = ?`), version).Scan(&one)
	if err == nil {
		return nil // already applied
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	for _, part := range strings.Split(stmt, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, part); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`),
		version, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}

// SchemaVersion returns the highest applied migration (for tests and diagnostics).
func SchemaVersion(ctx context.Context, st Store) (int, error) {
	s, ok := st.(*sqlStore)
	if !ok {
		return 0, errors.New("store: not a SQL store")
	}
	var v sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("store %s: schema version: %w", s.name, err)
	}
	return int(v.Int64), nil
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// prepare returns the record as it will be stored: a deep copy (the caller's value is not touched), masked,
// without transcripts when they are not kept, with [] for empty lists.
func (s *sqlStore) prepare(c *Call) (*Call, []byte, error) {
	if c == nil || c.ID == "" {
		return nil, nil, errors.New("call record without an id")
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, nil, fmt.Errorf("call %s: encoding: %w", c.ID, err)
	}
	var cp Call
	if err := json.Unmarshal(raw, &cp); err != nil {
		return nil, nil, fmt.Errorf("call %s: copying: %w", c.ID, err)
	}
	cp.mask()
	if !s.cfg.RecordTranscripts || cp.ContentPurged {
		cp.stripContent()
	}
	cp.normalize()
	raw, err = json.Marshal(&cp)
	if err != nil {
		return nil, nil, fmt.Errorf("call %s: encoding: %w", c.ID, err)
	}
	return &cp, raw, nil
}

func (s *sqlStore) SaveCall(ctx context.Context, c *Call) error {
	cp, raw, err := s.prepare(c)
	if err != nil {
		return fmt.Errorf("store %s: %w", s.name, err)
	}
	purged, voicemail := 0, 0
	if cp.ContentPurged {
		purged = 1
	}
	if cp.Voicemail != nil {
		voicemail = 1
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO calls
		(id, sip_call_id, caller, started_at, ended_at, outcome, agent, transfer_reason, intent, content_purged,
			has_voicemail, record)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET sip_call_id = excluded.sip_call_id, caller = excluded.caller,
			started_at = excluded.started_at, ended_at = excluded.ended_at, outcome = excluded.outcome,
			agent = excluded.agent, transfer_reason = excluded.transfer_reason, intent = excluded.intent,
			content_purged = excluded.content_purged, has_voicemail = excluded.has_voicemail,
			record = excluded.record`),
		cp.ID, cp.SIPCallID, cp.Caller, micros(cp.StartedAt), micros(cp.EndedAt), string(cp.Outcome), cp.Agent,
		cp.TransferReason, cp.Intent, purged, voicemail, string(raw))
	if err != nil {
		return fmt.Errorf("store %s: saving call %s: %w", s.name, c.ID, err)
	}
	return nil
}

func (s *sqlStore) GetCall(ctx context.Context, id string) (*Call, error) {
	var raw string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT record FROM calls WHERE id = ?`), id).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("call %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: reading call %s: %w", s.name, id, err)
	}
	var c Call
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return nil, fmt.Errorf("store %s: decoding call %s: %w", s.name, id, err)
	}
	return &c, nil
}

func (s *sqlStore) ListCalls(ctx context.Context, opts ListOptions) ([]Call, error) {
	var where []string
	var args []any
	if !opts.From.IsZero() {
		where = append(where, "started_at >= ?")
		args = append(args, micros(opts.From))
	}
	if !opts.To.IsZero() {
		where = append(where, "started_at < ?")
		args = append(args, micros(opts.To))
	}
	if opts.Agent != "" {
		where = append(where, "agent = ?")
		args = append(args, opts.Agent)
	}
	if opts.Voicemail {
		where = append(where, "has_voicemail = 1")
	}
	if opts.Before != "" {
		var at int64
		err := s.db.QueryRowContext(ctx, s.q(`SELECT started_at FROM calls WHERE id = ?`), opts.Before).Scan(&at)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("before=%q: %w", opts.Before, ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("store %s: reading call %s: %w", s.name, opts.Before, err)
		}
		where = append(where, "(started_at < ? OR (started_at = ? AND id < ?))")
		args = append(args, at, at, opts.Before)
	}
	query := `SELECT record FROM calls`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY started_at DESC, id DESC"
	if opts.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, opts.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store %s: listing calls: %w", s.name, err)
	}
	defer rows.Close()
	calls := []Call{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("store %s: listing calls: %w", s.name, err)
		}
		var c Call
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, fmt.Errorf("store %s: decoding a call record: %w", s.name, err)
		}
		calls = append(calls, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store %s: listing calls: %w", s.name, err)
	}
	return calls, nil
}

func (s *sqlStore) PutAccount(ctx context.Context, a Account) error {
	if a.Name == "" {
		return errors.New("account without a name")
	}
	if a.Role != RoleAgent && a.Role != RoleSupervisor {
		return fmt.Errorf("account %s: role %q is not agent or supervisor", a.Name, a.Role)
	}
	if a.Skills == nil {
		a.Skills = []string{}
	}
	skills, _ := json.Marshal(a.Skills)
	if a.CreatedAt.IsZero() {
		a.CreatedAt = time.Now()
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO accounts (name, password_hash, role, skills, created_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role,
			skills = excluded.skills`),
		a.Name, a.PasswordHash, a.Role, string(skills), micros(a.CreatedAt))
	if err != nil {
		return fmt.Errorf("store %s: saving account %s: %w", s.name, a.Name, err)
	}
	return nil
}

func (s *sqlStore) GetAccount(ctx context.Context, name string) (*Account, error) {
	row := s.db.QueryRowContext(ctx, s.q(`SELECT name, password_hash, role, skills, created_at FROM accounts WHERE name = ?`), name)
	a, err := scanAccount(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("account %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: reading account %s: %w", s.name, name, err)
	}
	return a, nil
}

func (s *sqlStore) ListAccounts(ctx context.Context) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, password_hash, role, skills, created_at FROM accounts ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store %s: listing accounts: %w", s.name, err)
	}
	defer rows.Close()
	out := []Account{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("store %s: listing accounts: %w", s.name, err)
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

func (s *sqlStore) DeleteAccount(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM accounts WHERE name = ?`), name)
	if err != nil {
		return fmt.Errorf("store %s: deleting account %s: %w", s.name, name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("account %q: %w", name, ErrNotFound)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanAccount(r scanner) (*Account, error) {
	var a Account
	var skills string
	var created int64
	if err := r.Scan(&a.Name, &a.PasswordHash, &a.Role, &skills, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(skills), &a.Skills); err != nil {
		return nil, fmt.Errorf("account %s: skills %q: %w", a.Name, skills, err)
	}
	a.CreatedAt = fromMicros(created)
	return &a, nil
}

func (s *sqlStore) AddUnanswered(ctx context.Context, callID, text string, at time.Time) error {
	if !s.cfg.RecordTranscripts {
		return nil // the question is transcript text
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO unanswered (call_id, text, at) VALUES (?, ?, ?)`),
		callID, quality.MaskCardNumbers(text), micros(at))
	if err != nil {
		return fmt.Errorf("store %s: saving an unanswered question of call %s: %w", s.name, callID, err)
	}
	return nil
}

func (s *sqlStore) ListUnanswered(ctx context.Context, from, to time.Time) ([]Unanswered, error) {
	query := `SELECT call_id, text, at FROM unanswered`
	var where []string
	var args []any
	if !from.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, micros(from))
	}
	if !to.IsZero() {
		where = append(where, "at < ?")
		args = append(args, micros(to))
	}
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY at, id"
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store %s: listing unanswered questions: %w", s.name, err)
	}
	defer rows.Close()
	out := []Unanswered{}
	for rows.Next() {
		var u Unanswered
		var at int64
		if err := rows.Scan(&u.CallID, &u.Text, &at); err != nil {
			return nil, fmt.Errorf("store %s: listing unanswered questions: %w", s.name, err)
		}
		u.At = fromMicros(at)
		out = append(out, u)
	}
	return out, rows.Err()
}

// purgeBatch bounds the records PurgeContent holds in memory at once.
const purgeBatch = 256

func (s *sqlStore) PurgeContent(ctx context.Context, cutoff time.Time) ([]string, error) {
	var recordings []string
	for {
		n, recs, err := s.purgeSome(ctx, cutoff)
		if err != nil {
			return recordings, err
		}
		recordings = append(recordings, recs...)
		if n < purgeBatch {
			break
		}
	}
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM unanswered WHERE at < ?`), micros(cutoff)); err != nil {
		return recordings, fmt.Errorf("store %s: purging unanswered questions: %w", s.name, err)
	}
	return recordings, nil
}

func (s *sqlStore) purgeSome(ctx context.Context, cutoff time.Time) (int, []string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT record FROM calls WHERE started_at < ? AND content_purged = 0
		ORDER BY started_at LIMIT ?`), micros(cutoff), purgeBatch)
	if err != nil {
		return 0, nil, fmt.Errorf("store %s: finding calls to purge: %w", s.name, err)
	}
	var calls []Call
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return 0, nil, fmt.Errorf("store %s: finding calls to purge: %w", s.name, err)
		}
		var c Call
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			rows.Close()
			return 0, nil, fmt.Errorf("store %s: decoding a call record to purge: %w", s.name, err)
		}
		calls = append(calls, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("store %s: finding calls to purge: %w", s.name, err)
	}
	var recordings []string
	for i := range calls {
		c := &calls[i]
		if c.Recording != "" {
			recordings = append(recordings, c.Recording)
		}
		c.Recording = ""
		if c.Voicemail != nil && c.Voicemail.Path != "" {
			recordings = append(recordings, c.Voicemail.Path)
			c.Voicemail.Path = ""
		}
		c.ContentPurged = true
		if err := s.SaveCall(ctx, c); err != nil {
			return i, recordings, err
		}
	}
	return len(calls), recordings, nil
}

func (s *sqlStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store %s: closing: %w", s.name, err)
	}
	return nil
}

package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"
)

// ErrNotFound is returned when a call or account does not exist.
var ErrNotFound = errors.New("not found")

// Store keeps call records, accounts and unanswered questions. Implementations are safe for concurrent use.
// Nothing on the media path calls it directly: finished calls go through a Writer.
type Store interface {
	// SaveCall inserts or replaces the record with c.ID (an upsert). Card numbers in its text are masked and, when
	// record_transcripts is off, the transcript is dropped before writing.
	SaveCall(ctx context.Context, c *Call) error
	// GetCall returns the record with this id, or an error wrapping ErrNotFound.
	GetCall(ctx context.Context, id string) (*Call, error)
	// ListCalls returns records newest first (by started_at, then id), filtered by opts.
	ListCalls(ctx context.Context, opts ListOptions) ([]Call, error)

	// PutAccount inserts or replaces an agent or supervisor account.
	PutAccount(ctx context.Context, a Account) error
	// GetAccount returns the account with this name, or an error wrapping ErrNotFound.
	GetAccount(ctx context.Context, name string) (*Account, error)
	// ListAccounts returns every account, by name.
	ListAccounts(ctx context.Context) ([]Account, error)
	// DeleteAccount removes an account; an error wrapping ErrNotFound when there was none.
	DeleteAccount(ctx context.Context, name string) error

	// AddUnanswered records a caller's question the knowledge base had no answer for.
	AddUnanswered(ctx context.Context, callID, text string, at time.Time) error
	// ListUnanswered returns the questions asked in [from, to) (zero times: unbounded), oldest first.
	ListUnanswered(ctx context.Context, from, to time.Time) ([]Unanswered, error)

	// PurgeContent removes transcripts (and unanswered question texts) of calls that started before cutoff and
	// returns the recording paths those records held, for the caller to delete. Records themselves stay.
	PurgeContent(ctx context.Context, cutoff time.Time) (recordings []string, err error)

	// Close releases the database.
	Close() error
}

// ListOptions filters ListCalls. Zero values mean "no limit".
type ListOptions struct {
	// Limit is the most records returned (0: all).
	Limit int
	// Before is a call id: only records older than it (for paging; the id must exist).
	Before string
	// From and To bound started_at to [From, To).
	From, To time.Time
	// Agent, when set, keeps only calls the agent took.
	Agent string
	// Voicemail keeps only calls where the caller left a message.
	Voicemail bool
}

// Account is an agent or supervisor who can log in to the softphone.
type Account struct {
	Name         string    `json:"name"`
	PasswordHash string    `json:"-"`
	Role         string    `json:"role"` // RoleAgent or RoleSupervisor
	Skills       []string  `json:"skills"`
	CreatedAt    time.Time `json:"created_at"`
}

// Roles.
const (
	RoleAgent      = "agent"
	RoleSupervisor = "supervisor"
)

// Unanswered is a caller's question the bot could not answer.
type Unanswered struct {
	CallID string    `json:"call_id"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
}

// Config is the `store:` section of the configuration file.
type Config struct {
	// Driver is the database: "sqlite" (embedded, the default) or "postgres".
	Driver string `yaml:"driver"`
	// Path is the SQLite file; a relative path is under the data directory ("hotline.db").
	Path string `yaml:"path"`
	// DSN is the PostgreSQL connection string when driver is postgres, e.g.
	// "postgres://hotline:secret@127.0.0.1:5432/hotline?sslmode=disable" ("").
	DSN string `yaml:"dsn"`
	// MaxOpenConns bounds the PostgreSQL connection pool (8). SQLite uses one writer connection.
	MaxOpenConns int `yaml:"max_open_conns"`
	// RecordTranscripts keeps transcripts in call records (true). When false they are dropped before writing.
	RecordTranscripts bool `yaml:"record_transcripts"`
	// RetentionDays deletes recordings and transcripts of calls older than this many days (0: keep forever).
	// The records themselves (times, outcome, metrics) stay for the reports.
	RetentionDays int `yaml:"retention_days"`
	// PurgeInterval is how often the retention job runs ("1h").
	PurgeInterval time.Duration `yaml:"purge_interval"`
	// QueueSize is the Writer's queue of finished records waiting to be written (4096). When it is full new
	// records are dropped and counted (hotline_store_dropped_total): the call path never waits.
	QueueSize int `yaml:"queue_size"`
	// WriteRetries is how many times the Writer retries a failed write before dropping the record (5).
	WriteRetries int `yaml:"write_retries"`

	// DataDir is the data directory relative paths are resolved against; set by the caller from data_dir, not
	// read from the store section.
	DataDir string `yaml:"-"`
}

// DefaultConfig returns the defaults listed on Config's fields.
func DefaultConfig() Config {
	return Config{
		Driver:            "sqlite",
		Path:              "hotline.db",
		MaxOpenConns:      8,
		RecordTranscripts: true,
		PurgeInterval:     time.Hour,
		QueueSize:         4096,
		WriteRetries:      5,
	}
}

// Validate names the key at fault.
func (c Config) Validate() error {
	switch c.Driver {
	case "sqlite":
		if c.Path == "" {
			return errors.New("store.path: must not be empty with driver sqlite")
		}
	case "postgres":
		if c.DSN == "" {
			return errors.New("store.dsn: must be set with driver postgres")
		}
	default:
		return fmt.Errorf("store.driver: %q is not sqlite or postgres", c.Driver)
	}
	if c.MaxOpenConns < 1 {
		return fmt.Errorf("store.max_open_conns: %d must be at least 1", c.MaxOpenConns)
	}
	if c.RetentionDays < 0 {
		return fmt.Errorf("store.retention_days: %d must not be negative", c.RetentionDays)
	}
	if c.RetentionDays > 0 && c.PurgeInterval <= 0 {
		return fmt.Errorf("store.purge_interval: %s must be positive", c.PurgeInterval)
	}
	if c.QueueSize < 1 {
		return fmt.Errorf("store.queue_size: %d must be at least 1", c.QueueSize)
	}
	if c.WriteRetries < 0 {
		return fmt.Errorf("store.write_retries: %d must not be negative", c.WriteRetries)
	}
	return nil
}

// SQLitePath is the database file Open uses for driver sqlite.
func (c Config) SQLitePath() string {
	if filepath.IsAbs(c.Path) || c.DataDir == "" {
		return c.Path
	}
	return filepath.Join(c.DataDir, c.Path)
}

// Open validates cfg, connects to the database, and applies the schema migrations not applied yet.
func Open(ctx context.Context, cfg Config) (Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch cfg.Driver {
	case "postgres":
		return openPostgres(ctx, cfg)
	default:
		return openSQLite(ctx, cfg)
	}
}

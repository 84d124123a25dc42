package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

var sqliteDialect = dialect{driver: "sqlite", serial: "INTEGER PRIMARY KEY AUTOINCREMENT"}

// openSQLite opens (creating when missing) the database file in WAL mode. Every connection gets busy_timeout
// (writers wait for each other instead of failing), synchronous=FULL (a committed record is on disk) and
// immediate transactions (no lock upgrades that could deadlock).
func openSQLite(ctx context.Context, cfg Config) (Store, error) {
	path := cfg.SQLitePath()
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store %s: creating its directory: %w", path, err)
		}
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &sqlStore{db: db, d: sqliteDialect, cfg: cfg, name: path}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: opening: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

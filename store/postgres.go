package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

var postgresDialect = dialect{
	driver:   "pgx",
	serial:   "BIGSERIAL PRIMARY KEY",
	numbered: true,
	// Two hotline processes starting at once must not both apply a migration.
	lockMigrations: "SELECT pg_advisory_xact_lock(727146)",
}

// openPostgres connects through pgx's database/sql driver and applies the migrations.
func openPostgres(ctx context.Context, cfg Config) (Store, error) {
	db, err := sql.Open("pgx", cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("store postgres (store.dsn): %w", err)
	}
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxOpenConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &sqlStore{db: db, d: postgresDialect, cfg: cfg, name: "postgres"}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store postgres (store.dsn): connecting: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

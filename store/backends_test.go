package store

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// backend opens a fresh, empty store of one kind for a test.
type backend struct {
	name string
	open func(t testing.TB, mod func(*Config)) (Store, Config)
}

// backends is the table every store test runs over: SQLite always, PostgreSQL on a private cluster started for
// this test process (skipped with the reason when the Debian binaries are missing).
var backends = []backend{
	{name: "sqlite", open: openSQLiteForTest},
	{name: "postgres", open: openPostgresForTest},
}

func forEachBackend(t *testing.T, f func(t *testing.T, open func(mod func(*Config)) (Store, Config))) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f(t, func(mod func(*Config)) (Store, Config) { return b.open(t, mod) })
		})
	}
}

func openSQLiteForTest(t testing.TB, mod func(*Config)) (Store, Config) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	if mod != nil {
		mod(&cfg)
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg
}

var dbSeq atomic.Int64

func openPostgresForTest(t testing.TB, mod func(*Config)) (Store, Config) {
	t.Helper()
	base := pg.dsn(t, "postgres")
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres admin connection: %v", err)
	}
	defer admin.Close()
	name := fmt.Sprintf("hotline_test_%d", dbSeq.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("CREATE DATABASE %s: %v", name, err)
	}
	cfg := DefaultConfig()
	cfg.Driver = "postgres"
	cfg.DSN = pg.dsn(t, name)
	cfg.DataDir = t.TempDir()
	if mod != nil {
		mod(&cfg)
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, cfg
}

// pgCluster is a private PostgreSQL 15 cluster in a temporary directory on a loopback port, started on first
// use and stopped by TestMain.
type pgCluster struct {
	once    sync.Once
	err     error
	skip    string
	dir     string
	port    int
	bin     string
	asUser  []string // runuser prefix when we are root
	started bool
}

var pg pgCluster

const pgBin = "/usr/lib/postgresql/15/bin"

func (c *pgCluster) dsn(t testing.TB, db string) string {
	t.Helper()
	c.once.Do(c.start)
	if c.skip != "" {
		t.Skip(c.skip)
	}
	if c.err != nil {
		t.Fatalf("starting PostgreSQL: %v", c.err)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

func (c *pgCluster) cmd(name string, args ...string) *exec.Cmd {
	full := append(append([]string{}, c.asUser...), filepath.Join(c.bin, name))
	full = append(full, args...)
	return exec.Command(full[0], full[1:]...)
}

func (c *pgCluster) start() {
	c.bin = pgBin
	if _, err := os.Stat(filepath.Join(c.bin, "pg_ctl")); err != nil {
		c.skip = "PostgreSQL 15 binaries not found in " + pgBin + " (Debian package postgresql; `make test` installs it)"
		return
	}
	dir, err := os.MkdirTemp("", "hotline-pg-")
	if err != nil {
		c.err = err
		return
	}
	c.dir = dir
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: run it as the postgres user, owning the cluster directory.
		u, err := user.Lookup("postgres")
		if err != nil {
			c.skip = "running as root and there is no postgres user to run PostgreSQL as: " + err.Error()
			return
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			c.err = err
			return
		}
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.cmd("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8").CombinedOutput(); err != nil {
		c.err = fmt.Errorf("initdb: %v\n%s", err, out)
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.err = err
		return
	}
	c.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c full_page_writes=off", c.port, dir)
	if out, err := c.cmd("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "60", "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		c.err = fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
		return
	}
	c.started = true
	// Wait until it accepts connections on the port.
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", c.port), time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			c.err = fmt.Errorf("PostgreSQL not accepting connections on 127.0.0.1:%d: %v", c.port, err)
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *pgCluster) stop() {
	if c.started {
		_ = c.cmd("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop").Run()
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
}

func TestMain(m *testing.M) {
	if path := os.Getenv(killHelperEnv); path != "" {
		os.Exit(killHelper(path))
	}
	code := m.Run()
	pg.stop()
	os.Exit(code)
}

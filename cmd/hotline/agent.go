package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/config"
	"github.com/hotline/hotline/store"
)

func init() {
	register("agent", "manage softphone accounts: add, list, remove, passwd", runAgent)
}

const agentUsage = "add|list|remove|passwd [-config FILE] [-data DIR] [-skills LIST] [-role agent|supervisor] NAME"

// runAgent manages agent and supervisor accounts in the store `hotline serve` uses. add and passwd read the
// password from standard input (one line).
func runAgent(args []string) int {
	// -config and -data may also come before the action.
	pre := newFlagSet("agent", agentUsage)
	var common commonFlags
	common.register(pre)
	if st := parseFlags(pre, args); st >= 0 {
		return st
	}
	args = pre.Args()
	if len(args) == 0 {
		pre.Usage()
		return 2
	}
	action := args[0]
	fs := newFlagSet("agent "+action, agentUsage)
	fs.StringVar(&common.configPath, "config", common.configPath, "configuration `FILE` (YAML; the defaults when empty)")
	fs.StringVar(&common.dataDir, "data", common.dataDir, "data `DIR` (overrides data_dir of the configuration)")
	skills := fs.String("skills", "", "comma-separated skills, e.g. en,billing (add: none means any call)")
	role := fs.String("role", agentbridge.RoleAgent, "role: agent or supervisor")
	if st := parseFlags(fs, args[1:]); st >= 0 {
		return st
	}
	var name string
	switch action {
	case "add", "remove", "passwd":
		if fs.NArg() != 1 {
			fmt.Fprintf(os.Stderr, "hotline agent %s: exactly one NAME is needed\n", action)
			fs.Usage()
			return 2
		}
		name = fs.Arg(0)
		if err := agentbridge.ValidateName(name); err != nil {
			fmt.Fprintf(os.Stderr, "hotline agent %s: %v\n", action, err)
			return 2
		}
	case "list":
		if fs.NArg() != 0 {
			fmt.Fprintf(os.Stderr, "hotline agent list: unexpected argument %q\n", fs.Arg(0))
			return 2
		}
	default:
		fmt.Fprintf(os.Stderr, "hotline agent: unknown action %q (add, list, remove, passwd)\n", action)
		return 2
	}
	if err := agentbridge.ValidateRole(*role); err != nil {
		fmt.Fprintf(os.Stderr, "hotline agent %s: -role: %v\n", action, err)
		return 2
	}

	cfg, err := common.load()
	if err != nil {
		return fail("agent", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := store.Open(ctx, agentStoreConfig(cfg))
	if err != nil {
		return fail("agent", fmt.Errorf("opening the store under %s: %w", cfg.DataDir, err))
	}
	defer st.Close()

	switch action {
	case "list":
		return agentList(ctx, st, os.Stdout)
	case "remove":
		if err := st.DeleteAccount(ctx, name); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return fail("agent remove", fmt.Errorf("no account named %q", name))
			}
			return fail("agent remove", err)
		}
		fmt.Printf("removed %s\n", name)
		return 0
	}

	// add and passwd need the password.
	existing, err := st.GetAccount(ctx, name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fail("agent "+action, err)
	}
	if action == "add" && existing != nil {
		return fail("agent add", fmt.Errorf("account %q exists; use `hotline agent passwd %s` to change its password", name, name))
	}
	if action == "passwd" && existing == nil {
		return fail("agent passwd", fmt.Errorf("no account named %q", name))
	}
	password, err := readPassword(os.Stdin, name)
	if err != nil {
		return fail("agent "+action, err)
	}
	if action == "add" {
		a, err := agentbridge.NewAccount(name, password, *role, agentbridge.ParseSkills(*skills))
		if err != nil {
			fmt.Fprintf(os.Stderr, "hotline agent add: %v\n", err)
			return 2
		}
		if err := st.PutAccount(ctx, a); err != nil {
			return fail("agent add", err)
		}
		fmt.Printf("added %s (%s)\n", name, *role)
		return 0
	}
	h, err := agentbridge.HashPassword(password)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hotline agent passwd: %v\n", err)
		return 2
	}
	existing.PasswordHash = h
	if err := st.PutAccount(ctx, *existing); err != nil {
		return fail("agent passwd", err)
	}
	fmt.Printf("password of %s changed\n", name)
	return 0
}

// agentStoreConfig is the store section of cfg with its data directory, as `hotline serve` opens it.
func agentStoreConfig(cfg config.Config) store.Config {
	sc := cfg.Store
	sc.DataDir = cfg.DataDir
	return sc
}

func agentList(ctx context.Context, st store.Store, w io.Writer) int {
	list, err := st.ListAccounts(ctx)
	if err != nil {
		return fail("agent list", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tSKILLS\tCREATED")
	for _, a := range list {
		skills := strings.Join(a.Skills, ",")
		if skills == "" {
			skills = "(any)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.Name, a.Role, skills, a.CreatedAt.UTC().Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return fail("agent list", err)
	}
	return 0
}

// readPassword reads one line from r (a prompt goes to stderr when r is a terminal).
func readPassword(r *os.File, name string) (string, error) {
	if fi, err := r.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		fmt.Fprintf(os.Stderr, "password for %s: ", name)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty password on standard input")
	}
	return line, nil
}

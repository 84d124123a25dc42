package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
)

// TestAgentCommandManagesAccounts runs `hotline agent` as a user would: add, list, passwd, remove, and the
// exit statuses of mistakes.
func TestAgentCommandManagesAccounts(t *testing.T) {
	bin := testenv.Hotline(t)
	data := t.TempDir()
	run := func(stdin string, args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"agent"}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("hotline agent %v: %v", args, err)
		}
		return out.String(), code
	}
	for _, tc := range []struct {
		name     string
		stdin    string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"add an agent with skills", "first-password\n", []string{"add", "-data", data, "-skills", "en, Billing", "ann"}, 0, "added ann (agent)"},
		{"add a supervisor", "second-password\n", []string{"-data", data, "add", "-role", "supervisor", "sam"}, 0, "added sam (supervisor)"},
		{"the same name twice", "first-password\n", []string{"add", "-data", data, "ann"}, 1, "exists"},
		{"a short password", "short\n", []string{"add", "-data", data, "bob"}, 2, "at least 8"},
		{"a bad role", "first-password\n", []string{"add", "-data", data, "-role", "boss", "bob"}, 2, "agent or supervisor"},
		{"a bad name", "first-password\n", []string{"add", "-data", data, "no spaces"}, 2, "account name"},
		{"no password on stdin", "", []string{"add", "-data", data, "bob"}, 1, "standard input"},
		{"list", "", []string{"list", "-data", data}, 0, "en,billing"},
		{"change a password", "a-new-password\n", []string{"passwd", "-data", data, "ann"}, 0, "password of ann changed"},
		{"change the password of nobody", "a-new-password\n", []string{"passwd", "-data", data, "nobody"}, 1, "no account"},
		{"remove", "", []string{"remove", "-data", data, "sam"}, 0, "removed sam"},
		{"remove again", "", []string{"remove", "-data", data, "sam"}, 1, "no account"},
		{"unknown action", "", []string{"promote", "ann"}, 2, "unknown action"},
		{"no action", "", nil, 2, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := run(tc.stdin, tc.args...)
			if code != tc.wantCode || !strings.Contains(out, tc.wantOut) {
				t.Errorf("exit %d, output %q; want exit %d and %q", code, out, tc.wantCode, tc.wantOut)
			}
		})
	}
	if out, _ := run("", "list", "-data", data); strings.Contains(out, "sam") || !strings.Contains(out, "ann") {
		t.Errorf("after removing sam the list is %q", out)
	}
}

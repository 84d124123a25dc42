package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/store"
)

// TestReportCommandReadsTheStoreOfTheDataDirectory runs the built binary: `hotline report -data DIR` over
// records written to DIR's database, in each format, and with bad usage.
func TestReportCommandReadsTheStoreOfTheDataDirectory(t *testing.T) {
	bin := testenv.Hotline(t)
	dir := t.TempDir()
	cfg := store.DefaultConfig()
	cfg.DataDir = dir
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 10, 9, 0, 0, 0, time.Local)
	outcomes := []store.Outcome{store.OutcomeBotResolved, store.OutcomeBotResolved, store.OutcomeTransferred, store.OutcomeAbandoned}
	for i, o := range outcomes {
		c := &store.Call{ID: fmt.Sprintf("r%d", i), Caller: "sip:+15550000@127.0.0.1", StartedAt: day.Add(time.Duration(i) * time.Hour),
			EndedAt: day.Add(time.Duration(i)*time.Hour + time.Minute), Outcome: o, SIPStatus: 200}
		if o == store.OutcomeTransferred {
			c.TransferReason, c.Agent, c.WaitMS, c.RingMS = store.ReasonAskedForAgent, "alice", 8000, 3000
		}
		if err := s.SaveCall(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	// One call outside the range.
	if err := s.SaveCall(context.Background(), &store.Call{ID: "old", StartedAt: day.AddDate(0, 0, -20), EndedAt: day.AddDate(0, 0, -20), Outcome: store.OutcomeFailed}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, append([]string{"report"}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), errb.String(), code
	}
	out, stderr, code := run("-data", dir, "-from", "2026-11-09", "-to", "2026-11-10", "-format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep["calls"] != 4.0 || rep["bot_resolved"] != 2.0 || rep["transferred"] != 1.0 || rep["abandoned"] != 1.0 || rep["failed"] != 0.0 {
		t.Fatalf("report %v, want 4 calls: 2 bot_resolved, 1 transferred, 1 abandoned", out[:min(400, len(out))])
	}
	if r := rep["escalations_by_reason"].(map[string]any); r[store.ReasonAskedForAgent] != 1.0 {
		t.Fatalf("escalations_by_reason %v", r)
	}

	htmlFile := filepath.Join(dir, "r.html")
	if _, stderr, code := run("-data", dir, "-from", "2026-11-09", "-to", "2026-11-10", "-o", htmlFile); code != 0 {
		t.Fatalf("html: exit %d: %s", code, stderr)
	}
	page, _ := os.ReadFile(htmlFile)
	if !strings.Contains(string(page), `<svg data-chart="outcomes"`) {
		t.Fatalf("HTML report without the outcomes chart")
	}

	out, _, code = run("-data", dir, "-from", "2026-11-09", "-to", "2026-11-10", "-format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(rows) != 5 {
		t.Fatalf("csv: exit %d, %v, %d rows (want header + 4)", code, err, len(rows))
	}

	for _, bad := range [][]string{{"-format", "pdf"}, {"-from", "yesterday"}, {"-from", "2026-11-10", "-to", "2026-11-01"}, {"extra"}} {
		if _, _, code := run(append([]string{"-data", dir}, bad...)...); code != 2 {
			t.Errorf("hotline report %v: exit %d, want 2 (bad usage)", bad, code)
		}
	}
	if _, stderr, code := run("-data", filepath.Join(dir, "nothing-here")); code != 1 || !strings.Contains(stderr, "nothing-here") {
		t.Errorf("missing data directory: exit %d, %q; want 1 naming the path", code, stderr)
	}
}

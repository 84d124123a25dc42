//go:build eval

package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEvalDurabilityUnderKillNine: a helper process hangs up calls continuously (one every 5 ms, ~200 records a
// second through the Writer into SQLite with synchronous=FULL) and is killed with SIGKILL at a random moment;
// after reopening, every record hung up at least 1 s before the kill must be there. It prints how old the newest
// lost record was (the real durability lag) over several runs.
func TestEvalDurabilityUnderKillNine(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var lags []time.Duration
	lostOld := 0
	for run := 0; run < 5; run++ {
		path := t.TempDir() + "/hotline.db"
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killHelperEnv+"="+path, "HOTLINE_STORE_KILL_STREAM=1")
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		hung := map[string]time.Time{}
		killAt := time.Now().Add(time.Duration(1500+rng.Intn(2000)) * time.Millisecond)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[0] == "hangup" {
				ns, _ := strconv.ParseInt(f[2], 10, 64)
				hung[f[1]] = time.Unix(0, ns)
			}
			if time.Now().After(killAt) {
				break
			}
		}
		killed := time.Now()
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		cfg := DefaultConfig()
		cfg.Path = path
		s, err := Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var newestLost time.Duration = -1
		lost := 0
		for id, at := range hung {
			if _, err := s.GetCall(context.Background(), id); err != nil {
				lost++
				age := killed.Sub(at)
				if age >= time.Second {
					lostOld++
				}
				if age > newestLost {
					newestLost = age
				}
			}
		}
		s.Close()
		lags = append(lags, newestLost)
		t.Logf("run %d: %d hang-ups, %d not yet durable at the kill, the oldest of them hung up %v before it", run, len(hung), lost, newestLost)
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	fmt.Printf("EVAL store durability: 5 kill -9 runs at ~200 hang-ups/s on SQLite (synchronous=FULL): records lost that were hung up >= 1 s before the kill: %d; worst age of a lost record: %v\n",
		lostOld, lags[len(lags)-1])
	if lostOld > 0 {
		t.Errorf("%d records hung up at least 1 s before kill -9 were lost", lostOld)
	}
}

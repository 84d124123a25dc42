package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gatedStore is a real store whose SaveCall can be held (a database stalled on disk) or made to fail.
type gatedStore struct {
	Store
	gate     chan struct{}
	mu       sync.Mutex
	failNext int
}

func (g *gatedStore) SaveCall(ctx context.Context, c *Call) error {
	if g.gate != nil {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.mu.Lock()
	fail := g.failNext > 0
	if fail {
		g.failNext--
	}
	g.mu.Unlock()
	if fail {
		return errors.New("disk I/O error (injected)")
	}
	return g.Store.SaveCall(ctx, c)
}

func TestEnqueueNeverBlocksWhenTheDatabaseStalls(t *testing.T) {
	s, cfg := openSQLiteForTest(t, nil)
	g := &gatedStore{Store: s, gate: make(chan struct{})}
	cfg.QueueSize = 8
	m := NewMetrics(prometheus.NewRegistry())
	w := NewWriterWith(g, m, nil, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()

	start := time.Now()
	accepted := 0
	for i := 0; i < 200; i++ {
		if w.Enqueue(sampleCall(fmt.Sprintf("c%03d", i), t0.Add(time.Duration(i)*time.Second))) {
			accepted++
		}
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Fatalf("200 Enqueue calls took %v with the database stalled; they must not wait", el)
	}
	dropped := metricValue(t, m.dropped.WithLabelValues("queue_full"))
	if accepted > cfg.QueueSize+1 || int(dropped) != 200-accepted {
		t.Fatalf("accepted %d, dropped metric %v; want at most queue+1 accepted and the rest counted", accepted, dropped)
	}
	close(g.gate) // the database recovers
	fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer fcancel()
	if err := w.Flush(fctx); err != nil {
		t.Fatalf("Flush: %v (pending %d)", err, w.Pending())
	}
	all, _ := s.ListCalls(context.Background(), ListOptions{})
	if len(all) != accepted {
		t.Fatalf("%d records written, %d accepted", len(all), accepted)
	}
	if got := metricValue(t, m.writes); int(got) != accepted {
		t.Fatalf("writes metric %v, want %d", got, accepted)
	}
	cancel()
	<-done
}

func TestFailedWritesAreRetriedAndCounted(t *testing.T) {
	s, cfg := openSQLiteForTest(t, nil)
	g := &gatedStore{Store: s, failNext: 2}
	m := NewMetrics(nil)
	w := NewWriterWith(g, m, nil, cfg)
	w.backoff = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	w.Enqueue(sampleCall("retry-me", t0))
	fctx, fcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer fcancel()
	if err := w.Flush(fctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetCall(context.Background(), "retry-me"); err != nil {
		t.Fatalf("record not written after two failures: %v", err)
	}
	if r := metricValue(t, m.retries); r != 2 {
		t.Fatalf("retries metric %v, want 2", r)
	}
}

func TestCancelledWriterStillWritesWhatWasQueued(t *testing.T) {
	s, cfg := openSQLiteForTest(t, nil)
	w := NewWriterWith(s, nil, nil, cfg)
	for i := 0; i < 20; i++ {
		w.Enqueue(sampleCall(fmt.Sprintf("q%02d", i), t0.Add(time.Duration(i)*time.Second)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // shut down before the writer even started
	w.Run(ctx)
	all, _ := s.ListCalls(context.Background(), ListOptions{})
	if len(all) != 20 {
		t.Fatalf("%d of 20 queued records written on shutdown", len(all))
	}
}

const killHelperEnv = "HOTLINE_STORE_KILL_HELPER"

// killHelper is the child process of the kill -9 test: it opens the store at path, runs a Writer, and "hangs up"
// calls — each finished record handed to Enqueue, then "hangup ID" printed — and then idles until killed.
func killHelper(path string) int {
	cfg := DefaultConfig()
	cfg.Path = path
	s, err := Open(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w := NewWriter(s, nil, nil)
	go w.Run(context.Background())
	if os.Getenv("HOTLINE_STORE_KILL_STREAM") != "" { // the eval: hang up calls until killed
		for i := 0; ; i++ {
			c := sampleCall(fmt.Sprintf("s%06d", i), time.Now())
			c.EndedAt = time.Now()
			w.Enqueue(c)
			fmt.Printf("hangup %s %d\n", c.ID, c.EndedAt.UnixNano())
			time.Sleep(5 * time.Millisecond)
		}
	}
	for i := 0; i < 30; i++ {
		c := sampleCall(fmt.Sprintf("k%02d", i), time.Now())
		c.EndedAt = time.Now()
		w.Enqueue(c)
		fmt.Printf("hangup %s\n", c.ID)
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("idle")
	select {}
}

func TestKillNineOneSecondAfterHangupLosesNoRecord(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/hotline.db"
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killHelperEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var hungUp []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if id, ok := strings.CutPrefix(line, "hangup "); ok {
			hungUp = append(hungUp, id)
		}
		if line == "idle" {
			break
		}
	}
	lastHangup := time.Now()
	time.Sleep(time.Until(lastHangup.Add(time.Second)))
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(hungUp) != 30 {
		t.Fatalf("helper reported %d hang-ups, want 30", len(hungUp))
	}
	cfg := DefaultConfig()
	cfg.Path = path
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("reopening after kill -9: %v", err)
	}
	defer s.Close()
	for _, id := range hungUp {
		if _, err := s.GetCall(context.Background(), id); err != nil {
			t.Errorf("record %s lost by kill -9 one second after its hang-up: %v", id, err)
		}
	}
}

// metricValue reads a counter or gauge.
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	return d.Gauge.GetValue()
}

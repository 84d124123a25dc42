package sip

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
)

// Short transaction timers so that leak checks and refusals do not wait 32 s; every test server uses the same
// values (sipgo's timers are process-wide).
var testTimers = func() TimersConfig {
	if raceBuild {
		return TimersConfig{T1: 150 * time.Millisecond, T2: 1200 * time.Millisecond, T4: 1500 * time.Millisecond}
	}
	return TimersConfig{T1: 50 * time.Millisecond, T2: 400 * time.Millisecond, T4: 500 * time.Millisecond}
}()

func TestMain(m *testing.M) {
	applyTimers(testTimers)
	os.Exit(m.Run())
}

// testLogger writes through t.Log when HOTLINE_TEST_LOG is set, else discards.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("HOTLINE_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// testServer is a Server on loopback with random free ports.
type testServer struct {
	*Server
	pool *media.PortPool
	ends chan CallEnd
	cfg  Config

	stopOnce sync.Once
	stop     func() error
}

// shutdownForTest cancels Serve and waits for it to return (Cleanup then does nothing more).
func (ts *testServer) shutdownForTest() error {
	var err error
	ts.stopOnce.Do(func() { err = ts.stop() })
	return err
}

// waitActive waits (up to 5 s) until n calls are active.
func (ts *testServer) waitActive(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for ts.ActiveCalls() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d active calls after 5 s, want %d", ts.ActiveCalls(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dialMedia is the RTP configuration of test callers: their own port range, no drain.
func dialMedia() *media.Config {
	mc := testMediaConfig()
	mc.PortMin, mc.PortMax = 50000, 50999
	mc.Drain = 0
	return &mc
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.UDPAddr = "127.0.0.1:0"
	cfg.TCPAddr = "127.0.0.1:0"
	cfg.Timers = testTimers
	return cfg
}

// testMediaPorts is the RTP range of test servers (the load run widens it).
var testMediaPorts = [2]int{40000, 40999}

func testMediaConfig() media.Config {
	mc := media.DefaultConfig()
	mc.BindIP = "127.0.0.1"
	mc.PortMin, mc.PortMax = testMediaPorts[0], testMediaPorts[1]
	mc.Drain = 100 * time.Millisecond
	mc.FirstPacketTimeout = 10 * time.Second
	mc.InactivityTimeout = 10 * time.Second
	return mc
}

func startServer(t testing.TB, mod func(*Config), h Handler) *testServer {
	t.Helper()
	cfg := testConfig()
	if mod != nil {
		mod(&cfg)
	}
	log := testLogger(t)
	pool, err := media.NewPortPool(testMediaConfig(), nil, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{pool: pool, ends: make(chan CallEnd, 512), cfg: cfg}
	srv, err := NewServer(cfg, pool, h, NewMetrics(nil), log, WithOnEnd(func(e CallEnd) { ts.ends <- e }))
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = srv
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for !srv.Ready() {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server not ready: %v", <-done)
		}
		time.Sleep(5 * time.Millisecond)
	}
	ts.stop = func() error {
		cancel()
		defer pool.Close()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return fmt.Errorf("Serve did not return within 15 s of cancel")
		}
	}
	t.Cleanup(func() {
		if err := ts.shutdownForTest(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ts
}

// nextEnd waits for the next finished call.
// waitNoActiveCalls waits until no call is active: the end hook runs a moment before the call leaves the active
// set (on a loaded machine, many moments), so checking at once after nextEnd is a race.
func (ts *testServer) waitNoActiveCalls(t testing.TB) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ts.ActiveCalls() != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls still active 10 s after the last one ended", ts.ActiveCalls())
		}
	}
}

func (ts *testServer) nextEnd(t testing.TB) CallEnd {
	t.Helper()
	select {
	case e := <-ts.ends:
		return e
	case <-time.After(40 * time.Second): // a call without ACK takes 2 × 64*T1 to end
		t.Fatal("no call ended within 40 s")
	}
	return CallEnd{}
}

// freePort returns a loopback port free for UDP at the time of asking.
func freePort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// sippRun runs one sipp scenario from testdata/sipp against target and returns its exit code and output.
// Each run gets its own working directory (tone.wav is put there) and error trace file.
type sippRun struct {
	scenario string // file name in testdata/sipp, or "-sn NAME"
	target   string // HOST:PORT to call (empty for a UAS scenario)
	args     []string
	port     int // local SIP port (0: a free one)
	media    int // sipp's media port -mp (0: a free one)
	calls    int // -m (default 1)
	timeout  time.Duration
}

func (r sippRun) start(t testing.TB) (*exec.Cmd, *bytes.Buffer, string) {
	t.Helper()
	testenv.Need(t, "sipp", "sip-tester")
	dir := t.TempDir()
	writeToneWAV(t, filepath.Join(dir, "tone.wav"))
	if r.port == 0 {
		r.port = freePort(t)
	}
	if r.calls == 0 {
		r.calls = 1
	}
	if r.timeout == 0 {
		r.timeout = 30 * time.Second
	}
	args := []string{}
	if strings.HasPrefix(r.scenario, "-sn ") {
		args = append(args, "-sn", strings.TrimPrefix(r.scenario, "-sn "))
	} else {
		args = append(args, "-sf", filepath.Join(testenv.ModuleRoot(t), "testdata", "sipp", r.scenario))
	}
	errFile := filepath.Join(dir, "errors.log")
	if r.media == 0 {
		r.media = freePort(t)
	}
	args = append(args, "-i", "127.0.0.1", "-p", fmt.Sprint(r.port), "-mi", "127.0.0.1", "-mp", fmt.Sprint(r.media),
		"-m", fmt.Sprint(r.calls), "-timeout", fmt.Sprintf("%ds", int(r.timeout/time.Second)), "-timeout_error",
		"-trace_err", "-error_file", errFile, "-nostdin", "-max_recv_loops", "1000")
	args = append(args, r.args...)
	if r.target != "" {
		args = append(args, r.target)
	}
	cmd := exec.Command("sipp", args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("sipp: %v", err)
	}
	return cmd, &out, errFile
}

// run runs sipp to its end and returns the exit code; on failure the error trace is logged.
func (r sippRun) run(t testing.TB) int {
	t.Helper()
	cmd, out, errFile := r.start(t)
	return waitSipp(t, cmd, out, errFile)
}

func waitSipp(t testing.TB, cmd *exec.Cmd, out *bytes.Buffer, errFile string) int {
	t.Helper()
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("sipp: %v", err)
	}
	if code != 0 {
		trace, _ := os.ReadFile(errFile)
		tail := out.String()
		if len(tail) > 3000 {
			tail = tail[len(tail)-3000:]
		}
		t.Logf("sipp exit %d\n--- error trace ---\n%s\n--- output tail ---\n%s", code, trace, tail)
	}
	return code
}

// writeToneWAV writes 3 s of a 440 Hz tone as μ-law WAV (what sipp's rtp_stream sends as PCMU).
func writeToneWAV(t testing.TB, path string) {
	t.Helper()
	pcm := tone(440, 3*time.Second, 0.3)
	lin := filepath.Join(filepath.Dir(path), "tone-lin.wav")
	if err := media.WriteWAV(lin, 8000, 1, pcm); err != nil {
		t.Fatal(err)
	}
	if sox, err := exec.LookPath("sox"); err == nil {
		if out, err := exec.Command(sox, lin, "-e", "u-law", "-b", "8", path).CombinedOutput(); err == nil {
			return
		} else {
			t.Logf("sox: %v %s", err, out)
		}
	}
	// Without sox, sipp gets linear PCM: noise, but still RTP.
	data, _ := os.ReadFile(lin)
	_ = os.WriteFile(path, data, 0o644)
}

// tone makes 8 kHz samples of a sine at freq Hz and amplitude amp (0..1).
func tone(freq float64, d time.Duration, amp float64) []int16 {
	n := int(d.Seconds() * 8000)
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/8000))
	}
	return out
}

// rms is the root mean square of samples in [0, 1].
func rms(s []int16) float64 {
	if len(s) == 0 {
		return 0
	}
	var sum float64
	for _, v := range s {
		f := float64(v) / 32768
		sum += f * f
	}
	return math.Sqrt(sum / float64(len(s)))
}

// heard is what a test handler observed during a call.
type heard struct {
	mu      sync.Mutex
	frames  int
	loud    int // frames with RMS above -30 dBFS
	digits  string
	sources []string
	callers []string
	private []bool
}

func (h *heard) snapshot() (frames, loud int, digits string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.frames, h.loud, h.digits
}

// listeningHandler records the caller's audio energy and DTMF and plays a tone back until the call ends (or
// holdFor passes, when set).
func listeningHandler(h *heard, holdFor time.Duration) Handler {
	return func(ctx context.Context, c *Call) {
		h.mu.Lock()
		h.callers = append(h.callers, c.Caller())
		h.private = append(h.private, c.Private())
		h.mu.Unlock()
		frames := c.Media().Subscribe("test")
		dtmf := c.DTMF()
		go func() { _ = c.Media().Play(ctx, media.NewPCMSource(tone(600, 20*time.Second, 0.3))) }()
		var stop <-chan time.Time
		if holdFor > 0 {
			stop = time.After(holdFor)
		}
		for {
			select {
			case f, ok := <-frames:
				if !ok { // the session ended
					frames = nil
					continue
				}
				h.mu.Lock()
				h.frames++
				if rms(f[:]) > 0.03 {
					h.loud++
				}
				h.mu.Unlock()
			case d, ok := <-dtmf:
				if !ok { // the session ended: a closed channel must not read as digits
					dtmf = nil
					continue
				}
				h.mu.Lock()
				h.digits += string(d.Digit)
				h.sources = append(h.sources, d.Source)
				h.mu.Unlock()
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}
}

var _ = io.Discard

// metricValue reads a counter or gauge.
func metricValue(t testing.TB, m prometheus.Metric) float64 {
	t.Helper()
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		t.Fatal(err)
	}
	if d.Counter != nil {
		return d.Counter.GetValue()
	}
	if d.Gauge != nil {
		return d.Gauge.GetValue()
	}
	return 0
}

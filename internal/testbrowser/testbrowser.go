// Package testbrowser is the real headless Chromium (Debian's /usr/bin/chromium) that hotline's end-to-end tests
// drive with chromedp, in one place so every browser test starts and drives the browser the same way: the flags
// issue 6 prescribes, the fake microphone, steps with a time limit that fail the test naming what they did, the
// page's data-testid hooks, screenshots kept as artefacts, and killing the browser as a crash would. It is
// imported only from _test.go files.
package testbrowser

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
)

// DefaultStep is the time limit Start gives each step (Browser.Step).
const DefaultStep = 30 * time.Second

// Browser is one running Chromium. Ctx is its chromedp context; the browser ends with the test.
type Browser struct {
	Ctx context.Context
	// Step is how long each Run, Value, Attr, Text and Screenshot may take before it fails the test; Start sets
	// DefaultStep.
	Step time.Duration

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start launches Chromium headless with a fresh profile and waits until it answers. With micWAV set, the fake
// microphone plays that file and WebRTC may use loopback (the softphone tests); never --mute-audio. The test is
// skipped when chromium is not installed.
func Start(t testing.TB, micWAV string) *Browser {
	t.Helper()
	chrome := testenv.Need(t, "chromium", "chromium")
	b := &Browser{Step: DefaultStep}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			// Its own process group, so Kill can end the whole browser as a crash would; it dies with the test.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
			b.mu.Lock()
			b.cmd = cmd
			b.mu.Unlock()
		}),
	}
	if micWAV != "" {
		opts = append(opts,
			chromedp.Flag("allow-loopback-in-peer-connection", true),
			chromedp.Flag("use-fake-ui-for-media-stream", true),
			chromedp.Flag("use-fake-device-for-media-stream", true),
			chromedp.Flag("use-file-for-fake-audio-capture", micWAV),
			chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		)
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b.Ctx = ctx
	t.Cleanup(func() { cancel(); acancel() })
	// The first action starts the browser; it lives as long as the context it ran on, so no timeout here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return b
}

// Kill ends every browser process at once (SIGKILL), as when the agent's machine or tab crashes.
func (b *Browser) Kill() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd != nil && b.cmd.Process != nil {
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// Run runs actions within b.Step and fails the test, naming what, when they fail.
func (b *Browser) Run(t testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	b.RunWithin(t, what, b.Step, actions...)
}

// RunWithin is Run with its own time limit (waiting for something that takes long on a busy machine).
func (b *Browser) RunWithin(t testing.TB, what string, within time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, within)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s (within %v): %v", what, within, err)
	}
}

// Value runs an action that returns something, within b.Step, and fails the test, naming what, when it fails.
func Value[T any](t testing.TB, b *Browser, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, b.Step)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s (within %v): %v", what, b.Step, err)
	}
	return v
}

// TestID selects the page's element with data-testid="id", the hooks the softphone and supervisor pages keep
// for tests.
func TestID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// Attr reads the attribute name of the element with data-testid id.
func (b *Browser) Attr(t testing.TB, id, name string) string {
	t.Helper()
	return Value(t, b, "reading "+id+" "+name, chromedp.AttributeValue(TestID(id), name)).Value
}

// Text reads the text of the element with data-testid id.
func (b *Browser) Text(t testing.TB, id string) string {
	t.Helper()
	return Value(t, b, "reading "+id, chromedp.Text(TestID(id)))
}

// WaitAttr polls the attribute name of the element with data-testid id every 50 ms until pred holds, and returns
// the value and how long it took; it fails the test when pred does not hold within the time limit.
func (b *Browser) WaitAttr(t testing.TB, id, name string, within time.Duration, pred func(string) bool) (string, time.Duration) {
	t.Helper()
	start := time.Now()
	var v string
	for time.Since(start) < within {
		v = b.Attr(t, id, name)
		if pred(v) {
			return v, time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s %s stayed %q for %v", id, name, v, within)
	return v, 0
}

// Screenshot writes a PNG of the whole page to path and names the file in the test's log and on standard error
// (so it is seen without -v).
func (b *Browser) Screenshot(t testing.TB, path string) {
	t.Helper()
	png := Value(t, b, "screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	fmt.Fprintf(os.Stderr, "screenshot: %s\n", path)
}

// ArtifactsDir is where a test keeps screenshots and recordings for people to look at: $HOTLINE_ARTIFACTS/sub,
// else hotline-artifacts/sub in the system temp dir (sub may be empty). It is created when missing.
func ArtifactsDir(t testing.TB, sub string) string {
	t.Helper()
	dir := os.Getenv("HOTLINE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "hotline-artifacts")
	}
	dir = filepath.Join(dir, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts directory %s: %v", dir, err)
	}
	return dir
}

// MicToneHz is the tone of the fake microphone WriteMicTone writes: what the caller hears once the agent answers.
const MicToneHz = 1900

// WriteMicTone writes a fake microphone for Start: 2 s at 48 kHz, 16-bit mono, MicToneHz in 400 ms bursts with
// 100 ms gaps (so the browser's noise suppression keeps treating it as a signal), peak -10 dBFS. Chromium loops it.
func WriteMicTone(t testing.TB, path string) {
	t.Helper()
	const rate = 48000
	n := 2 * rate
	pcm := make([]int16, n)
	for i := range pcm {
		pos := i % (rate / 2)
		env := 0.0
		if pos < rate*4/10 {
			env = math.Min(1, math.Min(float64(pos), float64(rate*4/10-pos))/240)
		}
		pcm[i] = int16(0.316 * env * 32767 * math.Sin(2*math.Pi*MicToneHz*float64(i)/rate))
	}
	if err := media.WriteWAV(path, rate, 1, pcm); err != nil {
		t.Fatalf("writing the fake microphone %s: %v", path, err)
	}
}

// ToneShare is how much of a frame of 8 kHz audio is the tone hz (Goertzel): the share of the frame's power at
// hz (0..1) and the frame's level in dBFS (0 and -100 for digital silence). The tests use it to hear the fake
// microphone's MicToneHz at the caller's end of the call.
func ToneShare(f []int16, hz float64) (share, dbfs float64) {
	k := 2 * math.Cos(2*math.Pi*hz/8000)
	var s1, s2, total float64
	for _, v := range f {
		x := float64(v) / 32768
		s := x + k*s1 - s2
		s2, s1 = s1, s
		total += x * x
	}
	if total == 0 {
		return 0, -100
	}
	p := s1*s1 + s2*s2 - k*s1*s2
	return 2 * p / (float64(len(f)) * total), 10 * math.Log10(total/float64(len(f)))
}

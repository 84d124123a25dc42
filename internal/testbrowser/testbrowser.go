// Package testbrowser launches the real headless Chromium (Debian's /usr/bin/chromium) that hotline's
// end-to-end tests drive with chromedp, with the flags issue 6 prescribes, in one place so every browser test
// starts the browser the same way. It is imported only from _test.go files.
package testbrowser

import (
	"context"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline/hotline/internal/testenv"
)

// Browser is one running Chromium. Ctx is its chromedp context; the browser ends with the test.
type Browser struct {
	Ctx context.Context

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Start launches Chromium headless with a fresh profile and waits until it answers. With micWAV set, the fake
// microphone plays that file and WebRTC may use loopback (the softphone tests); never --mute-audio. The test is
// skipped when chromium is not installed.
func Start(t testing.TB, micWAV string) *Browser {
	t.Helper()
	chrome := testenv.Need(t, "chromium", "chromium")
	b := &Browser{}
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

// Run runs actions within the time limit and fails the test, naming what, when they fail.
func (b *Browser) Run(t testing.TB, what string, within time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, within)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s (within %v): %v", what, within, err)
	}
}

// Value runs an action that returns something, within the time limit, and fails the test when it fails.
func Value[T any](t testing.TB, b *Browser, what string, within time.Duration, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, within)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s (within %v): %v", what, within, err)
	}
	return v
}

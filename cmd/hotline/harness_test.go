package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hotline/hotline/internal/testenv"
)

// serveProc is a real `hotline serve` process started for a test on free loopback ports.
type serveProc struct {
	bin      string
	dataDir  string
	sipAddr  string
	httpAddr string
	cmd      *exec.Cmd
	logs     *lockedBuffer
	exited   chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freeSIPPort finds a port free for both UDP and TCP on 127.0.0.1.
func freeSIPPort(t *testing.T) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free SIP port")
	return 0
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startServe runs `hotline serve` with configYAML (may be empty) and waits until /healthz answers 200.
func startServe(t *testing.T, configYAML string) *serveProc {
	t.Helper()
	bin := testenv.Hotline(t)
	dir := t.TempDir()
	p := &serveProc{
		bin:      bin,
		dataDir:  filepath.Join(dir, "data"),
		sipAddr:  fmt.Sprintf("127.0.0.1:%d", freeSIPPort(t)),
		httpAddr: fmt.Sprintf("127.0.0.1:%d", freeTCPPort(t)),
		logs:     &lockedBuffer{},
		exited:   make(chan struct{}),
	}
	args := []string{"serve", "-data", p.dataDir, "-sip-addr", p.sipAddr, "-http-addr", p.httpAddr}
	if configYAML != "" {
		cfgPath := filepath.Join(dir, "hotline.yaml")
		if err := os.WriteFile(cfgPath, []byte(configYAML), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-config", cfgPath)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Dir = dir
	p.cmd.Stdout = p.logs
	p.cmd.Stderr = p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.stop(t) })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			t.Fatalf("hotline serve exited during start-up:\n%s", p.logs.String())
		default:
		}
		resp, err := http.Get("http://" + p.httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("hotline serve not ready within 20 s:\n%s", p.logs.String())
	return nil
}

// stop sends SIGTERM and waits for the process to end.
func (p *serveProc) stop(t *testing.T) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("hotline serve did not stop within 15 s of SIGTERM")
	}
	if t.Failed() {
		t.Logf("hotline serve logs:\n%s", p.logs.String())
	}
}

// token reads the API token serve wrote into its data directory.
func (p *serveProc) token(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dataDir, "api.token"))
	if err != nil {
		t.Fatalf("api token: %v", err)
	}
	return strings.TrimSpace(string(b))
}

// getJSON fetches an authenticated API path into v.
func (p *serveProc) getJSON(t *testing.T, path string, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+p.httpAddr+path, nil)
	req.Header.Set("Authorization", "Bearer "+p.token(t))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 && v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, body)
		}
	}
	return resp.StatusCode
}

// dialEvent is one line of `hotline dial` output.
type dialEvent map[string]any

// runDial runs `hotline dial` with args and returns its events and exit code.
// dialOK calls p with `hotline dial` (args, then p's SIP URI), within timeout, and fails the test unless the
// dialer exits 0; it returns the dialer's events.
func dialOK(t *testing.T, p *serveProc, timeout time.Duration, args ...string) []dialEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	events, code := runDial(t, ctx, append(args, "sip:hotline@"+p.sipAddr)...)
	if code != 0 {
		t.Fatalf("hotline dial exited %d: %v", code, events)
	}
	return events
}

func runDial(t *testing.T, ctx context.Context, args ...string) ([]dialEvent, int) {
	t.Helper()
	cmd := exec.CommandContext(ctx, testenv.Hotline(t), append([]string{"dial"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			t.Fatalf("hotline dial: %v", err)
		}
	}
	var events []dialEvent
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var ev dialEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("hotline dial printed a line that is not JSON: %q (%v)\nstderr: %s", sc.Text(), err, stderr.String())
		}
		events = append(events, ev)
	}
	if t.Failed() || code != 0 {
		t.Logf("hotline dial stderr:\n%s", stderr.String())
	}
	return events, code
}

func findEvent(events []dialEvent, name string) dialEvent {
	for _, ev := range events {
		if ev["event"] == name {
			return ev
		}
	}
	return nil
}

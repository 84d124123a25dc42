package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// shortTimers makes transaction timers and the RTP port drain short, so a finished call's last traces go within
// a second instead of 32 s.
const shortTimers = `
sip:
  timers:
    t1: 20ms
    t2: 80ms
    t4: 100ms
media:
  drain: 100ms
`

// gauges reads the process's goroutine and file-descriptor gauges from /metrics.
func (p *serveProc) gauges(t *testing.T) (goroutines, fds float64) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+p.httpAddr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+p.token(t))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		for name, dst := range map[string]*float64{"go_goroutines ": &goroutines, "process_open_fds ": &fds} {
			if strings.HasPrefix(line, name) {
				v, _ := strconv.ParseFloat(strings.TrimPrefix(line, name), 64)
				*dst = v
			}
		}
	}
	return goroutines, fds
}

func TestServeReturnsToIdleAfterCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("runs many calls")
	}
	p := startServe(t, shortTimers)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	uri := "sip:hotline@" + p.sipAddr

	// Warm up first: pools (recognition decoders, synthesis cache) grow to what concurrent calls need and stay.
	concurrent := func(n int) {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if _, code := runDial(t, ctx, "-hangup-after", "1s", uri); code != 0 {
					errs <- fmt.Errorf("concurrent call %d failed", i)
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
	concurrent(5)
	time.Sleep(time.Second)
	baseG, baseFD := p.gauges(t)

	for i := 0; i < 10; i++ {
		if _, code := runDial(t, ctx, "-hangup-after", "300ms", uri); code != 0 {
			t.Fatalf("sequential call %d failed", i)
		}
	}
	concurrent(5)

	// Everything a call started must be gone once the timers and the drain have passed.
	var g, fd float64
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		g, fd = p.gauges(t)
		if g <= baseG+2 && fd <= baseFD+1 {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("after the calls: %v goroutines (idle %v), %v open fds (idle %v)", g, baseG, fd, baseFD)
}

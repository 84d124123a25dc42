package sip

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoadSippCallsWithAudio is the load run of `make bench` (HOTLINE_LOAD=1): sipp places calls of 10 s with
// audio both ways at rising rates; each step reports calls per second, concurrent calls, failures and how many
// calls the handler heard audio on. Lines start with LOAD so the Makefile can pick them out.
func TestLoadSippCallsWithAudio(t *testing.T) {
	if os.Getenv("HOTLINE_LOAD") != "1" {
		t.Skip("load run: set HOTLINE_LOAD=1 (make bench)")
	}
	const callSecs = 10
	testMediaPorts = [2]int{40000, 49999}
	defer func() { testMediaPorts = [2]int{40000, 40999} }()
	var mu sync.Mutex
	var heardCalls, peak int
	var active atomic.Int64
	ts := startServer(t, func(c *Config) { c.MaxCalls = 2000 }, func(ctx context.Context, c *Call) {
		n := active.Add(1)
		defer active.Add(-1)
		mu.Lock()
		peak = max(peak, int(n))
		mu.Unlock()
		h := &heard{}
		listeningHandler(h, 0)(ctx, c)
		if _, loud, _ := h.snapshot(); loud >= 25 {
			mu.Lock()
			heardCalls++
			mu.Unlock()
		}
	})
	for _, cps := range []int{5, 10, 20, 40, 60, 80, 100} {
		mu.Lock()
		heardCalls, peak = 0, 0
		mu.Unlock()
		calls := cps * 20
		start := time.Now()
		code := (sippRun{scenario: "load_audio.xml", target: ts.Addr("udp"), calls: calls, timeout: 120 * time.Second,
			args: []string{"-r", fmt.Sprint(cps), "-d", fmt.Sprint(callSecs * 1000), "-l", fmt.Sprint(cps * (callSecs + 5))}}).run(t)
		for i := 0; i < calls; i++ {
			select {
			case <-ts.ends:
			case <-time.After(30 * time.Second):
				i = calls
			}
		}
		mu.Lock()
		h, p := heardCalls, peak
		mu.Unlock()
		fmt.Printf("LOAD rate=%d cps calls=%d duration=%ds concurrent_peak=%d sipp_exit=%d heard_audio=%d/%d wall=%s\n",
			cps, calls, callSecs, p, code, h, calls, time.Since(start).Round(time.Second))
		if code != 0 || h < calls*99/100 {
			fmt.Printf("LOAD limit: %d cps (%d concurrent calls with audio) is past what this machine holds with zero failures\n", cps, p)
			break
		}
	}
}

func BenchmarkSDPNegotiation(b *testing.B) {
	offer := []byte(offerSDP("m=audio 4000 RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
		"a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=sendrecv"))
	local := netip.MustParseAddrPort("127.0.0.1:20000")
	b.ReportAllocs()
	for b.Loop() {
		rm, err := parseRemoteSDP(offer, nil)
		if err != nil {
			b.Fatal(err)
		}
		_ = buildSDP(answerFor(rm, local, 1, 1, "b"), &rm)
	}
}

//go:build eval

package agentbridge

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hotline/hotline/prosody"
)

// TestEvalBridgedCallCost bridges N calls at once, each to a Go WebRTC peer standing in for a browser, with
// 20 ms audio both ways, and prints CPU and memory per call and the answer → first audio time. The peers run in
// the same process, so the per-call figures are an upper bound for the bridge alone.
func TestEvalBridgedCallCost(t *testing.T) {
	const calls = 20
	const run = 10 * time.Second
	h := newHarness(t, func(c *Config) { c.RingTimeout = 30 * time.Second }, Hooks{})
	var pages []*page
	for i := 0; i < calls; i++ {
		name := fmt.Sprintf("agent%02d", i)
		h.addAccount(name, "password1", RoleAgent)
		pages = append(pages, h.openPage(name, "password1"))
	}
	runtime.GC()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	type leg struct {
		m     *recMedia
		ag    *pionAgent
		setup time.Duration
	}
	legs := make([]leg, calls)
	var wg sync.WaitGroup
	for i := 0; i < calls; i++ {
		m := &recMedia{}
		id := fmt.Sprintf("call%02d", i)
		go h.b.Enqueue(ctx, QueuedCall{ID: id, Media: m, Report: prosody.Report{Seq: 1}})
		// Every page gets rings; whoever is offered this call answers it.
		var r ringData
		var p *page
		for p == nil {
			for _, pg := range pages {
				select {
				case msg := <-pg.in:
					if msg.Type == "ring" {
						p = pg
						jsonUnmarshal(msg.Data, &r)
					}
				default:
				}
			}
			time.Sleep(time.Millisecond)
		}
		start := time.Now()
		p.send(map[string]any{"type": "answer", "call_id": id, "offer_id": r.OfferID})
		ag := newPionAgent(t, p, id)
		fwd := m.fwd()
		got := false
		for n := uint32(0); n < 250 && !got; n++ { // 20 ms packets until the first arrives (5 s at most)
			fwd(make([]byte, 160), 0, n*160, n == 0)
			select {
			case <-ag.recv:
				got = true
			case <-time.After(20 * time.Millisecond):
			}
		}
		if !got {
			t.Fatalf("%s: no audio at the agent", id)
		}
		legs[i] = leg{m: m, ag: ag, setup: time.Since(start)}
	}

	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	t0 := time.Now()
	for i := range legs {
		l := legs[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			payload := make([]byte, 160)
			pk := &rtp.Packet{Header: rtp.Header{Version: 2}, Payload: payload}
			fwd := l.m.fwd()
			for n := uint32(0); time.Since(t0) < run; n++ {
				<-tick.C
				fwd(payload, 0, n*160, false)
				pk.SequenceNumber, pk.Timestamp = uint16(n), n*160
				l.ag.mic.WriteRTP(pk)
				drain(l.ag.recv)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()) + time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())
	var setups []time.Duration
	var toCaller int64
	for _, l := range legs {
		setups = append(setups, l.setup)
		toCaller += l.m.sent.Load()
	}
	sort.Slice(setups, func(i, j int) bool { return setups[i] < setups[j] })
	t.Logf("bridged calls: %d for %v; agent→caller packets %d (want about %d)", calls, elapsed.Round(time.Millisecond), toCaller, int64(calls)*int64(run/(20*time.Millisecond)))
	t.Logf("CPU per bridged call: %.2f%% of one core (bridge and its stand-in browser peer together)",
		100*cpu.Seconds()/elapsed.Seconds()/calls)
	t.Logf("heap per bridged call: %.0f KiB (heap in use %d → %d KiB)", float64(int64(ms1.HeapInuse)-int64(ms0.HeapInuse))/1024/calls,
		ms0.HeapInuse/1024, ms1.HeapInuse/1024)
	t.Logf("answer → first caller audio at the WebRTC peer: p50 %v, max %v", setups[len(setups)/2].Round(time.Millisecond), setups[len(setups)-1].Round(time.Millisecond))
	cancel()
}

func jsonUnmarshal(b []byte, v any) { _ = json.Unmarshal(b, v) }

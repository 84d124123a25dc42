package agentbridge

import (
	"context"
	"encoding/binary"
	"sort"
	"testing"
	"time"

	"github.com/hotline/hotline/prosody"
)

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkForwardToAgent is the time the bridge adds on the caller → agent path: from the media's forward
// callback to the SRTP packet handed to the kernel (rewrite, encrypt, send). Reports p50/p99 in µs.
func BenchmarkForwardToAgent(b *testing.B) {
	m := &recMedia{}
	_, p, _, _ := talkingCall(b, m, nil)
	_ = p
	fwd := m.fwd()
	payload := make([]byte, 160)
	durs := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		fwd(payload, 0, uint32(i)*160, false)
		durs[i] = time.Since(t0)
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(durs, 0.5).Nanoseconds())/1000, "p50-µs")
	b.ReportMetric(float64(percentile(durs, 0.99).Nanoseconds())/1000, "p99-µs")
}

// BenchmarkForwardEndToEnd is RTP-in → WebRTC-out → received and decrypted by a WebRTC peer on loopback, one
// packet at a time. Reports p50/p99 in µs.
func BenchmarkForwardEndToEnd(b *testing.B) {
	m := &recMedia{}
	_, _, ag, _ := talkingCall(b, m, nil)
	fwd := m.fwd()
	payload := make([]byte, 160)
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint32(payload, uint32(i))
		t0 := time.Now()
		fwd(payload, 0, uint32(i)*160, false)
		for {
			select {
			case pk := <-ag.recv:
				if binary.BigEndian.Uint32(pk.Payload) != uint32(i) {
					continue
				}
				durs = append(durs, time.Since(t0))
			case <-time.After(time.Second):
				b.Fatalf("packet %d not received", i)
			}
			break
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(durs, 0.5).Nanoseconds())/1000, "p50-µs")
	b.ReportMetric(float64(percentile(durs, 0.99).Nanoseconds())/1000, "p99-µs")
}

// BenchmarkQueueOfferAnswer is the signalling cost of one call: Enqueue, ring, answer, WebRTC offer, hang-up.
func BenchmarkQueueOfferAnswer(b *testing.B) {
	h := newHarness(b, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	p := h.openPage("ann", "password1")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := &recMedia{}
		ch := make(chan result, 1)
		go func() {
			out, err := h.b.Enqueue(context.Background(), QueuedCall{ID: "c", Media: m, Report: prosody.Report{Seq: 1}})
			ch <- result{out, err}
		}()
		var r ringData
		p.expect("ring", 5*time.Second, &r)
		p.send(map[string]any{"type": "answer", "call_id": "c", "offer_id": r.OfferID})
		p.expect("rtc_offer", 5*time.Second)
		p.send(map[string]any{"type": "hangup", "call_id": "c"})
		res := wait(b, ch, 5*time.Second)
		p.expect("wrapup", 5*time.Second)
		p.send(map[string]any{"type": "wrapup", "call_id": "c", "disposition": "resolved"})
		<-res.out.WrapUp
		p.expect("presence", 5*time.Second)
	}
}

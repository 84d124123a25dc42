package media

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// gathered returns the value of a counter or gauge, or the sample count of a histogram, from reg.
func gathered(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name || len(mf.GetMetric()) == 0 {
			continue
		}
		m := mf.GetMetric()[0]
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestMetricsCountPacketsSessionsAndGarbage(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	if again := NewMetrics(reg); again.packetsIn != m.packetsIn {
		t.Error("a second NewMetrics on the same registry does not share the counters")
	}
	pool, err := NewPortPool(testConfig(), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	a, _ := pool.Open("m-a")
	b, _ := pool.Open("m-b")
	a.SetRemote(Remote{Addr: b.LocalAddr()})
	b.SetRemote(Remote{Addr: a.LocalAddr()})
	a.Start(context.Background())
	b.Start(context.Background())
	if got := gathered(t, reg, "hotline_media_sessions_active"); got != 2 {
		t.Errorf("active sessions %v, want 2", got)
	}
	newRawPeer(t).conn.WriteToUDPAddrPort([]byte("garbage"), b.LocalAddr())
	time.Sleep(300 * time.Millisecond)
	a.Close()
	b.Close()
	if got := gathered(t, reg, "hotline_media_sessions_active"); got != 0 {
		t.Errorf("active sessions %v after close, want 0", got)
	}
	sent, recv := gathered(t, reg, "hotline_rtp_packets_sent_total"), gathered(t, reg, "hotline_rtp_packets_received_total")
	if sent < 20 || recv < 15 || recv > sent {
		t.Errorf("packets sent %v received %v, want about 30 each way", sent, recv)
	}
	if g := gathered(t, reg, "hotline_rtp_garbage_datagrams_total"); g != 1 {
		t.Errorf("garbage %v, want 1", g)
	}
	if n := gathered(t, reg, "hotline_rtp_jitter_seconds"); n < 2 {
		t.Errorf("jitter histogram has %v observations, want one per session end at least", n)
	}
	var nilM *Metrics
	nilM.incOut() // nil-safe
}

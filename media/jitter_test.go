package media

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

type simPacket struct {
	seq     uint16
	ts      uint32
	ssrc    uint32
	payload []byte
	arrive  time.Duration
}

// stream makes n packets of 20 ms of a 300 Hz tone, sent every 20 ms from time 0.
func stream(n int, seq0 uint16, ts0, ssrc uint32) []simPacket {
	pcm := FloatToPCM(sine(300, SampleRate, n*FrameSamples, 0.3))
	out := make([]simPacket, n)
	for i := range out {
		out[i] = simPacket{
			seq: seq0 + uint16(i), ts: ts0 + uint32(i*FrameSamples), ssrc: ssrc,
			payload: EncodeSamples(PCMU, pcm[i*FrameSamples:(i+1)*FrameSamples], nil),
			arrive:  time.Duration(i) * FrameDuration,
		}
	}
	return out
}

type simResult struct {
	frames, exact, silent, other int
	jb                           *jitterBuffer
}

// simulate feeds packets to a jitter buffer by arrival time and pulls frames every millisecond, comparing each
// frame with the decoded original of the same timestamp.
func simulate(t *testing.T, pkts []simPacket, minDelay, maxDelay time.Duration) simResult {
	t.Helper()
	want := map[uint32]Frame{}
	for _, p := range pkts {
		var f Frame
		DecodePayload(PCMU, p.payload, &f)
		want[p.ts] = f
	}
	sorted := append([]simPacket(nil), pkts...)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].arrive < sorted[b].arrive })
	jb := newJitterBuffer(minDelay, maxDelay)
	r := simResult{jb: jb}
	epoch := int64(1_700_000_000) * int64(time.Second)
	end := sorted[len(sorted)-1].arrive + maxDelay + 100*time.Millisecond
	next := 0
	var f Frame
	for now := time.Duration(0); now <= end; now += time.Millisecond {
		for next < len(sorted) && sorted[next].arrive <= now {
			p := sorted[next]
			jb.push(p.seq, p.ts, p.ssrc, true, p.payload, PCMU, epoch+int64(p.arrive))
			next++
		}
		for {
			ts := uint32(jb.head)
			head := jb.head
			if !jb.pull(epoch+int64(now), &f) {
				break
			}
			if next == len(sorted) && head > jb.lastTS {
				continue // past the end of the stream: concealment, then silence
			}
			r.frames++
			w, ok := want[ts]
			switch {
			case ok && w == f:
				r.exact++
			case f == Frame{}:
				r.silent++
			default:
				r.other++
			}
		}
	}
	return r
}

func TestJitterBufferOrdersAndConceals(t *testing.T) {
	const n = 200
	cases := []struct {
		name  string
		pkts  func() []simPacket
		check func(t *testing.T, r simResult)
	}{
		{"in order: every frame exact", func() []simPacket { return stream(n, 1000, 5000, 1) },
			func(t *testing.T, r simResult) {
				expect(t, r.exact == n && r.other == 0, "exact %d/%d, other %d", r.exact, n, r.other)
				expect(t, r.jb.lost() == 0 && r.jb.late == 0, "lost %d late %d", r.jb.lost(), r.jb.late)
			}},
		{"reordered pairs: every frame exact", func() []simPacket {
			p := stream(n, 1000, 5000, 1)
			for i := 2; i+1 < n; i += 2 {
				p[i+1].arrive = p[i].arrive - 3*time.Millisecond
			}
			return p
		}, func(t *testing.T, r simResult) {
			expect(t, r.exact == n, "exact %d/%d", r.exact, n)
			expect(t, r.jb.lost() == 0 && r.jb.late == 0, "lost %d late %d", r.jb.lost(), r.jb.late)
		}},
		{"duplicates: dropped and counted", func() []simPacket {
			p := stream(n, 1000, 5000, 1)
			for i := 0; i < n; i += 5 {
				d := p[i]
				d.arrive += 7 * time.Millisecond
				p = append(p, d)
			}
			return p
		}, func(t *testing.T, r simResult) {
			expect(t, r.exact == n && r.frames == n, "exact %d, frames %d, want %d", r.exact, r.frames, n)
			expect(t, r.jb.duplicates == n/5, "duplicates %d, want %d", r.jb.duplicates, n/5)
		}},
		{"loss: concealed by pitch repetition, counted", func() []simPacket {
			p := stream(n, 1000, 5000, 1)
			return append(append(append([]simPacket{}, p[:50]...), p[52:120]...), p[121:]...)
		}, func(t *testing.T, r simResult) {
			expect(t, r.frames == n, "frames %d, want %d (one per 20 ms, losses included)", r.frames, n)
			expect(t, r.exact == n-5 && r.other == 5 && r.silent == 0, "exact %d, concealed %d, silent %d: want the 3 lost frames concealed and the first frame after each loss cross-faded", r.exact, r.other, r.silent)
			expect(t, r.jb.lost() == 3, "lost %d, want 3", r.jb.lost())
		}},
		{"sequence and timestamp wrap", func() []simPacket { return stream(n, 65500, math.MaxUint32-100*FrameSamples, 7) },
			func(t *testing.T, r simResult) {
				expect(t, r.exact == n, "exact %d/%d", r.exact, n)
				expect(t, r.jb.lost() == 0 && r.jb.restarts == 0, "lost %d restarts %d", r.jb.lost(), r.jb.restarts)
			}},
		{"SSRC change restarts the stream", func() []simPacket {
			a := stream(100, 1000, 5000, 1)
			b := stream(100, 40000, 900000, 2)
			for i := range b {
				b[i].arrive += 100 * FrameDuration
			}
			return append(a, b...)
		}, func(t *testing.T, r simResult) {
			expect(t, r.jb.restarts == 1, "restarts %d, want 1", r.jb.restarts)
			expect(t, r.jb.lost() == 0, "lost %d", r.jb.lost())
			expect(t, r.exact >= 190, "exact %d, want >= 190 of 200 (a few frames of the old stream may be cut)", r.exact)
		}},
		{"timestamp jump with continuous sequence restarts playout", func() []simPacket {
			p := stream(n, 1000, 5000, 1)
			for i := 100; i < n; i++ {
				p[i].ts += 1_000_000
			}
			return p
		}, func(t *testing.T, r simResult) {
			expect(t, r.jb.restarts == 1, "restarts %d, want 1", r.jb.restarts)
			expect(t, r.exact >= 190 && r.jb.lost() == 0, "exact %d, lost %d", r.exact, r.jb.lost())
		}},
		{"silence suppression gap: silence frames, no restart", func() []simPacket {
			p := stream(n, 1000, 5000, 1)
			for i := 100; i < n; i++ {
				p[i].ts += SampleRate // one second with no packets
				p[i].arrive += time.Second
			}
			return p
		}, func(t *testing.T, r simResult) {
			expect(t, r.jb.restarts == 0, "restarts %d, want 0", r.jb.restarts)
			expect(t, r.exact == n, "exact %d/%d", r.exact, n)
			expect(t, r.frames >= n+48 && r.frames <= n+50, "frames %d, want %d audio + 50 for the gap", r.frames, n)
		}},
		{"a packet later than the maximum delay is late", func() []simPacket {
			p := stream(n, 1000, 5000, 1)
			p[60].arrive += 400 * time.Millisecond
			return p
		}, func(t *testing.T, r simResult) {
			expect(t, r.jb.late == 1, "late %d, want 1", r.jb.late)
			expect(t, r.exact >= n-2, "exact %d", r.exact)
		}},
		{"jitter of up to 60 ms: the delay adapts, almost nothing late", func() []simPacket {
			p := stream(500, 1000, 5000, 1)
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range p {
				p[i].arrive += time.Duration(rng.IntN(60)) * time.Millisecond
			}
			return p
		}, func(t *testing.T, r simResult) {
			expect(t, r.jb.late <= 10, "late %d of 500, want <= 10", r.jb.late)
			expect(t, r.jb.delay >= int64(40*time.Millisecond), "delay %v, want >= 40ms", time.Duration(r.jb.delay))
			expect(t, r.exact >= 480, "exact %d of 500", r.exact)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, simulate(t, tc.pkts(), 20*time.Millisecond, 200*time.Millisecond))
		})
	}
}

func TestJitterBufferSmallDelayWithoutJitter(t *testing.T) {
	r := simulate(t, stream(300, 1, 1, 1), 20*time.Millisecond, 200*time.Millisecond)
	if d := time.Duration(r.jb.delay); d > 30*time.Millisecond {
		t.Errorf("delay %v on a clean stream, want near the 20ms minimum", d)
	}
}

func TestConcealmentFadesToSilence(t *testing.T) {
	p := stream(100, 1, 1, 1)
	p = append(p[:50], p[70:]...) // 400 ms lost
	jb := newJitterBuffer(20*time.Millisecond, 200*time.Millisecond)
	epoch := int64(time.Hour)
	var f Frame
	var levels []float64
	next := 0
	for now := time.Duration(0); now < 2500*time.Millisecond; now += time.Millisecond {
		for next < len(p) && p[next].arrive <= now {
			jb.push(p[next].seq, p[next].ts, 1, true, p[next].payload, PCMU, epoch+int64(p[next].arrive))
			next++
		}
		for jb.pull(epoch+int64(now), &f) {
			var e float64
			for _, v := range f {
				e += float64(v) * float64(v)
			}
			levels = append(levels, math.Sqrt(e/FrameSamples))
		}
	}
	if len(levels) < 100 {
		t.Fatalf("%d frames, want 100", len(levels))
	}
	ref := levels[40]
	expect(t, levels[50] > 0.5*ref, "first concealed frame level %.0f, want near %.0f", levels[50], ref)
	expect(t, levels[52] < levels[50], "concealment should fade: %.0f then %.0f", levels[50], levels[52])
	for i := 53; i < 70; i++ {
		expect(t, levels[i] == 0, "frame %d (over 60 ms into the loss) level %.0f, want silence", i, levels[i])
	}
	expect(t, levels[75] > 0.9*ref, "after the loss the tone comes back: %.0f", levels[75])
}

func expect(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
}

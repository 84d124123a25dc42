package prosody

import (
	"math"
	"math/rand"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
)

// synth makes dur seconds of a harmonic tone whose F0 goes linearly from f0a to f0b (a glide when they differ),
// at amplitude amp, plus dc.
func synth(f0a, f0b, dur, amp, dc float64) []float32 {
	n := int(dur * SampleRate)
	out := make([]float32, n)
	phase := 0.0
	for i := range out {
		f := f0a + (f0b-f0a)*float64(i)/float64(n)
		phase += 2 * math.Pi * f / SampleRate
		// a few harmonics, like a voice through the phone line (no fundamental below 300 Hz needed)
		v := 0.5*math.Sin(phase) + 0.3*math.Sin(2*phase) + 0.2*math.Sin(3*phase) + 0.1*math.Sin(4*phase)
		out[i] = float32(amp*v + dc)
	}
	return out
}

func midFrames(frames []FrameResult) []FrameResult { return frames[len(frames)/5 : len(frames)*4/5] }

func TestPitchOfSteadyTonesIsWithinTwoPercent(t *testing.T) {
	for _, f0 := range []float64{70, 100, 150, 220, 330, 450} {
		frames := analyseAll(DefaultConfig(), synth(f0, f0, 1, 0.3, 0))
		var bad, voiced int
		for _, fr := range midFrames(frames) {
			if fr.Voiced {
				voiced++
				if math.Abs(fr.F0/f0-1) > 0.02 {
					bad++
				}
			}
			if math.IsNaN(fr.F0) || math.IsNaN(fr.DB) {
				t.Fatalf("%g Hz: NaN in %+v", f0, fr)
			}
		}
		mid := len(midFrames(frames))
		if voiced < mid*9/10 || bad > voiced/20 {
			t.Errorf("%g Hz: %d of %d frames voiced, %d off by more than 2%%", f0, voiced, mid, bad)
		}
	}
}

func TestPitchFollowsAGlide(t *testing.T) {
	const a, b, dur = 110.0, 260.0, 1.5
	frames := analyseAll(DefaultConfig(), synth(a, b, dur, 0.3, 0))
	var bad, voiced int
	for _, fr := range midFrames(frames) {
		want := a + (b-a)*fr.T/dur
		if fr.Voiced {
			voiced++
			if math.Abs(fr.F0/want-1) > 0.05 {
				bad++
			}
		}
	}
	if voiced < len(midFrames(frames))*9/10 || bad > voiced/20 {
		t.Errorf("glide: %d voiced, %d off by more than 5%%", voiced, bad)
	}
}

func TestClippedAndOffsetTonesKeepTheirPitch(t *testing.T) {
	clipped := synth(180, 180, 1, 3, 0) // amplitude far past full scale: hard clipping
	offset := synth(180, 180, 1, 0.2, 0.5)
	for name, s := range map[string][]float32{"clipped": clipped, "dc offset": offset} {
		frames := analyseAll(DefaultConfig(), s)
		var good int
		for _, fr := range midFrames(frames) {
			if fr.Voiced && math.Abs(fr.F0/180-1) < 0.03 {
				good++
			}
		}
		if good < len(midFrames(frames))*8/10 {
			t.Errorf("%s: only %d of %d frames at 180 Hz", name, good, len(midFrames(frames)))
		}
	}
}

func TestSilenceAndNoiseAreUnvoiced(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	noise := make([]float32, 2*SampleRate)
	for i := range noise {
		noise[i] = float32(rng.NormFloat64() * 0.05)
	}
	quiet := make([]float32, 2*SampleRate) // comfort-noise level
	for i := range quiet {
		quiet[i] = float32(rng.NormFloat64() * 0.0003)
	}
	for name, s := range map[string][]float32{"all zero": make([]float32, 2*SampleRate), "white noise": noise, "comfort noise": quiet} {
		frames := analyseAll(DefaultConfig(), s)
		if len(frames) != 200 {
			t.Errorf("%s: %d frames for 2 s, want 200", name, len(frames))
		}
		var voiced, speech int
		for _, fr := range frames {
			if fr.Voiced {
				voiced++
			}
			if fr.Speech {
				speech++
			}
			if math.IsNaN(fr.DB) || fr.DB < -100 || math.IsNaN(fr.F0) {
				t.Fatalf("%s: bad frame %+v", name, fr)
			}
		}
		if voiced > len(frames)/50 {
			t.Errorf("%s: %d voiced frames", name, voiced)
		}
		if name != "white noise" && speech > 0 {
			t.Errorf("%s: %d speech frames", name, speech)
		}
		if name == "white noise" && speech > len(frames)/5 { // the noise floor learns it within a second
			t.Errorf("white noise: %d speech frames", speech)
		}
		if name == "all zero" && frames[50].DB != -100 {
			t.Errorf("all zero: db %g, want -100", frames[50].DB)
		}
	}
}

func TestFrameTimesAreCentresTenMillisecondsApart(t *testing.T) {
	an := NewAnalyzer(DefaultConfig())
	var frames []FrameResult
	frame := make([]int16, FrameSamples)
	for i := 0; i < 50; i++ { // 1 s
		frames = append(frames, an.Process(frame)...)
	}
	if len(frames) != 100-3 {
		t.Fatalf("live: %d frames after 1 s, want 97 (30 ms look-ahead)", len(frames))
	}
	frames = append(frames, an.Flush()...)
	if len(frames) != 100 {
		t.Fatalf("%d frames after flush, want 100", len(frames))
	}
	for i, fr := range frames {
		if want := float64(i+1) * HopSeconds; math.Abs(fr.T-want) > 1e-9 {
			t.Fatalf("frame %d at %g, want %g", i, fr.T, want)
		}
	}
}

func TestSpeechRateCountsSyllables(t *testing.T) {
	// 4 "syllables" a second: 150 ms voiced bursts and 100 ms gaps.
	var s []float32
	for i := 0; i < 12; i++ {
		s = append(s, synth(140, 150, 0.15, 0.3, 0)...)
		s = append(s, make([]float32, SampleRate/10)...)
	}
	p := ProfileOf(analyseAll(DefaultConfig(), s))
	if p.RateSPS < 2.5 || p.RateSPS > 5.5 {
		t.Errorf("rate %.2f syllables/s, want about 4", p.RateSPS)
	}
}

func TestRealRecordingsThroughThePhoneLine(t *testing.T) {
	dir := testenv.SharedAudio(t, "pitch")
	var total pitchScore
	for _, name := range []string{"rl003", "rl017", "sb006", "sb021"} {
		f := filepath.Join(dir, name+".wav")
		ref := readF0Ref(t, filepath.Join(dir, name+".f0ref"))
		total.add(scorePitch(analyseAll(DefaultConfig(), lineAudio(t, f, true)), ref, 0.005))
	}
	if total.GPE() > 10 || total.VDE() > 15 {
		t.Errorf("4 files: GPE %.1f %%, VDE %.1f %% (bounds 10 %% and 15 %%)", total.GPE(), total.VDE())
	}
	t.Logf("4 files through the line: GPE %.2f %%, VDE %.2f %%", total.GPE(), total.VDE())
}

func FuzzAnalyzer(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0}, uint8(3))
	f.Add(make([]byte, 640), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, rep uint8) {
		s, err := NewStream(DefaultConfigMust())
		if err != nil {
			t.Fatal(err)
		}
		frame := make([]int16, 0, FrameSamples)
		for r := 0; r <= int(rep%8); r++ {
			for i := 0; i+1 < len(data); i += 2 {
				frame = append(frame, int16(uint16(data[i])|uint16(data[i+1])<<8))
				if len(frame) == FrameSamples {
					s.Write(frame)
					frame = frame[:0]
				}
			}
		}
		s.Write(frame)
		for _, fr := range s.an.Flush() {
			if math.IsNaN(fr.F0) || math.IsNaN(fr.DB) || math.IsNaN(fr.Tilt) || fr.F0 < 0 {
				t.Fatalf("bad frame %+v", fr)
			}
			s.est.Add(fr)
		}
		r := s.Snapshot()
		if math.IsNaN(r.Arousal) || math.IsNaN(r.Valence) || r.Arousal < 0 || r.Arousal > 1 {
			t.Fatalf("bad report %+v", r)
		}
	})
}

// DefaultConfigMust is DefaultConfig (a helper so the fuzz target reads plainly).
func DefaultConfigMust() Config { return DefaultConfig() }

func BenchmarkAnalyzerPerHop(b *testing.B) {
	s := synth(120, 220, 4, 0.3, 0)
	pcm := make([]int16, len(s))
	for i, v := range s {
		pcm[i] = int16(v * 32767)
	}
	an := NewAnalyzer(DefaultConfig())
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ { // one op = one 20 ms frame = two hops
		j := (i * FrameSamples) % (len(pcm) - FrameSamples)
		an.Process(pcm[j : j+FrameSamples])
	}
	// CPU time as well as wall time: on a shared machine the wall clock counts other processes' turns.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(2*b.N), "cpu-ns/hop")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/hop")
	b.ReportMetric(0.020*float64(b.N)/b.Elapsed().Seconds(), "x_realtime")
}

// cpuTime is the process's user+system CPU time in ns.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkStreamPerHop(b *testing.B) {
	s := synth(120, 220, 4, 0.3, 0)
	pcm := make([]int16, len(s))
	for i, v := range s {
		pcm[i] = int16(v * 32767)
	}
	st, err := NewStream(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := (i * FrameSamples) % (len(pcm) - FrameSamples)
		st.Write(pcm[j : j+FrameSamples])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/hop")
}

func BenchmarkMemoryPerStream(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := NewStream(DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
}

func TestLargeChunksLoseNoFrames(t *testing.T) {
	s := synth(150, 150, 1, 0.3, 0)
	pcm := make([]int16, len(s))
	for i, v := range s {
		pcm[i] = int16(v * 32767)
	}
	an := NewAnalyzer(DefaultConfig())
	n := len(an.Process(pcm)) // one second at once
	n += len(an.Flush())
	if n != 100 {
		t.Errorf("%d frames from 1 s given in one call, want 100", n)
	}
}

package media

import (
	"math"
	"testing"
)

func sine(freq float64, rate, n int, amp float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return out
}

// level returns the amplitude of the freq component of x (Goertzel over the middle, away from the edges).
func level(x []float32, freq float64, rate int) float64 {
	x = x[len(x)/8 : len(x)-len(x)/8]
	w := 2 * math.Pi * freq / float64(rate)
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for i, v := range x {
		// Hann window against leakage from other components.
		win := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(len(x)-1))
		s := float64(v)*win + c*s1 - s2
		s2, s1 = s1, s
	}
	p := s1*s1 + s2*s2 - c*s1*s2
	return 2 * math.Sqrt(p) / (float64(len(x)) * 0.5)
}

func db(x float64) float64 { return 20 * math.Log10(x+1e-12) }

func TestResampleKeepsFrequencyAndLevel(t *testing.T) {
	cases := []struct {
		from, to int
		freq     float64
	}{
		{44100, 8000, 1000},
		{44100, 8000, 3000},
		{48000, 8000, 300},
		{8000, 16000, 1000},
		{8000, 16000, 3300},
		{16000, 8000, 2000},
		{22050, 8000, 440},
		{8000, 44100, 1234},
		{11025, 8000, 3000},
		{96000, 8000, 1000},
		{7919, 8000, 1000}, // prime rate: coefficients per output sample
	}
	for _, tc := range cases {
		in := sine(tc.freq, tc.from, tc.from, 0.5) // 1 s
		out := Resample(in, tc.from, tc.to)
		if want := tc.to; len(out) != want {
			t.Errorf("%d→%d: %d samples, want %d", tc.from, tc.to, len(out), want)
			continue
		}
		got := level(out, tc.freq, tc.to)
		if math.Abs(db(got)-db(0.5)) > 0.2 {
			t.Errorf("%d→%d, %.0f Hz: level %.2f dB, want %.2f dB ±0.2", tc.from, tc.to, tc.freq, db(got), db(0.5))
		}
		// Nothing else: the output must match the ideal sine at the new rate.
		ideal := sine(tc.freq, tc.to, tc.to, 0.5)
		var e float64
		for i := tc.to / 8; i < tc.to-tc.to/8; i++ {
			d := float64(out[i] - ideal[i])
			e += d * d
		}
		if rms := math.Sqrt(e / float64(tc.to*3/4)); db(rms) > -50 {
			t.Errorf("%d→%d, %.0f Hz: error against the ideal sine %.1f dB, want below -50 dB", tc.from, tc.to, tc.freq, db(rms))
		}
	}
}

func TestResampleAttenuatesAliasesAndImages(t *testing.T) {
	cases := []struct {
		name          string
		from, to      int
		freq, aliasAt float64
		maxDB         float64
	}{
		{"5 kHz at 44.1k would fold to 3 kHz at 8k", 44100, 8000, 5000, 3000, -60},
		{"6 kHz at 16k would fold to 2 kHz at 8k", 16000, 8000, 6000, 2000, -60},
		{"4.5 kHz at 48k would fold to 3.5 kHz at 8k", 48000, 8000, 4500, 3500, -50},
		{"1 kHz at 8k images at 7 kHz at 16k", 8000, 16000, 1000, 7000, -60},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := Resample(sine(tc.freq, tc.from, tc.from, 0.5), tc.from, tc.to)
			rel := db(level(out, tc.aliasAt, tc.to)) - db(0.5)
			if rel > tc.maxDB {
				t.Errorf("component at %.0f Hz is %.1f dB relative to the input, want below %.0f dB", tc.aliasAt, rel, tc.maxDB)
			}
		})
	}
}

func TestResampleEdgeCases(t *testing.T) {
	if out := Resample(nil, 8000, 16000); len(out) != 0 {
		t.Errorf("empty input gave %d samples", len(out))
	}
	if out := Resample([]float32{1, 2}, 0, 8000); out != nil {
		t.Errorf("invalid rate gave %v, want nil", out)
	}
	in := []float32{0.1, 0.2, 0.3}
	out := Resample(in, 8000, 8000)
	out[0] = 9
	if in[0] != 0.1 {
		t.Error("same-rate Resample must return a copy")
	}
	if n := len(Resample(make([]float32, 441), 44100, 8000)); n != 80 {
		t.Errorf("441 samples 44.1k→8k gave %d, want 80", n)
	}
	if n := len(Resample(make([]float32, 1), 8000, 44100)); n != 6 {
		t.Errorf("1 sample 8k→44.1k gave %d, want 6 (ceil)", n)
	}
}

func TestStreamingResamplerMatchesOneShot(t *testing.T) {
	for _, rates := range [][2]int{{8000, 16000}, {44100, 8000}, {16000, 8000}, {7919, 8000}, {8000, 8000}} {
		in := sine(700, rates[0], rates[0]/2, 0.4)
		for i := range in { // some broadband content too
			in[i] += float32(0.1 * math.Sin(float64(i*i)*1e-4))
		}
		want := Resample(in, rates[0], rates[1])
		r, err := NewResampler(rates[0], rates[1])
		if err != nil {
			t.Fatal(err)
		}
		var got []float32
		for off := 0; off < len(in); off += 160 {
			got = r.Process(in[off:min(off+160, len(in))], got)
		}
		got = r.Flush(got)
		if len(got) != len(want) {
			t.Fatalf("%v: streaming gave %d samples, one-shot %d", rates, len(got), len(want))
		}
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Fatalf("%v: sample %d streaming %v one-shot %v", rates, i, got[i], want[i])
			}
		}
	}
	if _, err := NewResampler(0, 8000); err == nil {
		t.Error("rate 0 accepted")
	}
}

func TestStreamingResamplerAllocatesNothingPerFrame(t *testing.T) {
	r, _ := NewResampler(8000, 16000)
	in := sine(500, 8000, 160, 0.5)
	out := make([]float32, 0, 400)
	for i := 0; i < 10; i++ {
		out = r.Process(in, out[:0])
	}
	if a := testing.AllocsPerRun(100, func() { out = r.Process(in, out[:0]) }); a != 0 {
		t.Errorf("%v allocations per 20 ms frame", a)
	}
	if len(out) != 320 {
		t.Errorf("%d output samples per frame, want 320", len(out))
	}
}

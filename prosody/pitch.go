package prosody

import "math"

// Pitch: YIN (de Cheveigné & Kawahara 2002) searched coarse-to-fine. The cumulative-mean-normalised difference
// function is computed on the signal low-passed and decimated to 4 kHz, where a lag costs half the samples and
// there are half the lags (a quarter of the work of a direct search); the best coarse lag is then refined on the
// 8 kHz signal over ±3 lags with parabolic interpolation. A frame whose level rules out speech is not searched at
// all. Octave errors are handled by YIN's first-dip rule, by preferring a dip near the recent pitch when it is
// nearly as deep, and by the three-frame path smoother in analyzer.go.

const (
	halfbandTaps = 15
	firstDip     = 0.15 // YIN's absolute threshold: the first dip below it is taken
	stickiness   = 0.1  // a dip near the recent pitch wins when it is at most this much shallower
)

// halfbandCoef is a 15-tap Blackman-windowed sinc low-pass at 1.8 kHz for the 8 → 4 kHz decimation.
var halfbandCoef = func() [halfbandTaps]float32 {
	var h [halfbandTaps]float32
	const fc = 1800.0 / SampleRate
	var sum float64
	v := make([]float64, halfbandTaps)
	for i := range v {
		n := float64(i - halfbandTaps/2)
		s := 2 * fc
		if n != 0 {
			s = math.Sin(2*math.Pi*fc*n) / (math.Pi * n)
		}
		x := 2 * math.Pi * float64(i) / float64(halfbandTaps-1)
		v[i] = s * (0.42 - 0.5*math.Cos(x) + 0.08*math.Cos(2*x))
		sum += v[i]
	}
	for i := range v {
		h[i] = float32(v[i] / sum)
	}
	return h
}()

// halfband filters the newest sample of x (len halfbandTaps, oldest first).
func halfband(x []float32) float32 {
	x = x[:halfbandTaps]
	var s float32
	for i, c := range halfbandCoef {
		s += c * x[i]
	}
	return s
}

// pitchTracker holds the lag ranges and scratch space of the coarse-to-fine search.
type pitchTracker struct {
	minLag, maxLag int // 8 kHz lags searched in the refinement
	cMin, cMax     int // 4 kHz lags searched by YIN
	w, cw          int // integration windows at 8 and 4 kHz
	cm             [winLen/2 + 1]float32
}

func (p *pitchTracker) init(f0Min, f0Max float64) {
	p.cMin = max(2, int(math.Floor(SampleRate/2/f0Max)))
	p.cMax = min(winLen/2-40, int(math.Ceil(SampleRate/2/f0Min))+1)
	p.cw = winLen/2 - p.cMax
	p.minLag = max(2, int(math.Floor(SampleRate/f0Max))-1)
	p.maxLag = min(winLen-80, int(math.Ceil(SampleRate/f0Min))+2)
	p.w = winLen - p.maxLag - 4
}

// estimate returns the F0 in Hz of the window w (8 kHz) and dw (the same at 4 kHz), and its aperiodicity
// (0 periodic … 1 noise). ref is the recent pitch, or 0. It returns f0 0 when nothing periodic was found.
func (p *pitchTracker) estimate(w, dw []float32, ref float64) (f0, ap float64) {
	// Coarse: YIN's cumulative-mean-normalised difference at 4 kHz.
	x := dw[:winLen/2]
	cw := p.cw
	var cum float32
	p.cm[0] = 1
	for tau := 1; tau <= p.cMax; tau++ {
		s := sqdiff(x[:cw], x[tau:tau+cw])
		cum += s
		if cum > 0 {
			p.cm[tau] = s * float32(tau) / cum
		} else {
			p.cm[tau] = 1
		}
	}
	best := -1
	for tau := p.cMin; tau <= p.cMax; tau++ {
		if p.cm[tau] < firstDip {
			for tau < p.cMax && p.cm[tau+1] < p.cm[tau] {
				tau++
			}
			best = tau
			break
		}
	}
	if best < 0 {
		best = p.cMin
		for tau := p.cMin + 1; tau <= p.cMax; tau++ {
			if p.cm[tau] < p.cm[best] {
				best = tau
			}
		}
	}
	// Continuity: prefer a dip near the recent pitch when the chosen one is far from it and not much deeper.
	if ref > 0 {
		te := SampleRate / 2 / ref
		if r := float64(best) / te; r < 0.8 || r > 1.25 {
			lo, hi := max(p.cMin, int(te*0.85)), min(p.cMax, int(math.Ceil(te*1.15)))
			m := -1
			for tau := lo; tau <= hi; tau++ {
				if m < 0 || p.cm[tau] < p.cm[m] {
					m = tau
				}
			}
			if m >= 0 && p.cm[m] < p.cm[best]+stickiness && isDip(p.cm[:p.cMax+1], m) {
				best = m
			}
		}
	}
	ap = float64(p.cm[best])
	if best == p.cMax || !(ap < 1) {
		return 0, math.Min(1, ap)
	}
	tc := float64(best) + parabola(p.cm[best-1], p.cm[best], p.cm[best+1])

	// Fine: the plain difference function at 8 kHz around twice the coarse lag.
	t0 := int(math.Round(2 * tc))
	lo, hi := max(p.minLag, t0-3), min(p.maxLag, t0+3)
	if hi-lo < 2 {
		return 0, ap
	}
	var d [7]float32
	bi := 0
	for i, tau := 0, lo; tau <= hi; i, tau = i+1, tau+1 {
		d[i] = sqdiff(w[:p.w], w[tau:tau+p.w])
		if d[i] < d[bi] {
			bi = i
		}
	}
	tf := float64(lo + bi)
	if bi > 0 && bi < hi-lo {
		tf += parabola(d[bi-1], d[bi], d[bi+1])
	}
	return SampleRate / tf, ap
}

// isDip reports whether c[i] is a local minimum.
func isDip(c []float32, i int) bool {
	return i > 0 && i < len(c)-1 && c[i] <= c[i-1] && c[i] <= c[i+1]
}

// parabola returns the offset in (-0.5, 0.5) of the vertex of the parabola through (-1, a), (0, b), (1, c).
func parabola(a, b, c float32) float64 {
	den := float64(a) - 2*float64(b) + float64(c)
	if den <= 0 {
		return 0
	}
	off := 0.5 * (float64(a) - float64(c)) / den
	return math.Max(-0.5, math.Min(0.5, off))
}

// sqdiff returns Σ (x[j]-y[j])², unrolled by four.
func sqdiff(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	j := 0
	for ; j+4 <= len(x); j += 4 {
		d0 := x[j] - y[j]
		d1 := x[j+1] - y[j+1]
		d2 := x[j+2] - y[j+2]
		d3 := x[j+3] - y[j+3]
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; j < len(x); j++ {
		d := x[j] - y[j]
		s0 += d * d
	}
	return s0 + s1 + s2 + s3
}

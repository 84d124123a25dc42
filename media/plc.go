package media

import "math"

// Packet-loss concealment for G.711 after ITU-T G.711 Appendix I, simplified: while frames are missing, the last
// pitch period of the history is repeated; from 10 ms into the erasure the output fades by 20 % per 10 ms and is
// silent after 60 ms; the first good frame after an erasure is cross-faded with the continued synthetic signal over
// 4 ms plus 4 ms per further 10 ms erased (at most 10 ms). Unlike Appendix I we do not delay good audio by 3.75 ms
// to smooth the start of an erasure: repetition starts exactly one pitch period back, which continues a voiced
// signal with only a small step. Everything works in place on fixed arrays: no allocation.

const (
	plcHistory  = 390 // 3.25 × the longest pitch period, as in Appendix I
	plcPitchMin = 40  // 200 Hz
	plcPitchMax = 120 // 66.7 Hz
	plcCorrLen  = 160 // correlation window for the pitch search (20 ms)
	plcFadeFrom = 80  // samples of erasure at full level (10 ms)
	plcSilentAt = 480 // samples of erasure after which the output is silent (60 ms)
)

type plc struct {
	cycle           [plcPitchMax]int16 // the pitch period being repeated, its end blended into its start
	hist            [plcHistory]int16  // the last plcHistory output samples, oldest first
	filled          int                // valid samples in hist (from the end)
	erased          int                // samples concealed in the current erasure (0: none)
	pitch           int                // repetition period of the current erasure
	concealedFrames uint64
}

// good records a correctly received frame, cross-fading its start with the concealment if an erasure just ended.
func (p *plc) good(f *Frame) {
	if p.erased > 0 && p.erased < plcSilentAt {
		olen := 32 + 32*((p.erased-1)/80)
		if olen > 80 {
			olen = 80
		}
		for i := 0; i < olen; i++ {
			w := float32(i+1) / float32(olen+1)
			f[i] = clip16(float32(f[i])*w + float32(p.synth(p.erased+i))*(1-w))
		}
	}
	p.erased = 0
	p.push(f[:])
}

// conceal fills f with concealment for a missing frame and records it in the history.
func (p *plc) conceal(f *Frame) {
	p.concealedFrames++
	if p.erased == 0 {
		p.startErasure()
	}
	for i := range f {
		f[i] = p.synth(p.erased + i)
	}
	p.erased += FrameSamples
	// The history keeps the real signal: concealment is synthesised from the pre-erasure history, so it is not
	// pushed. Once the erasure ends, good() cross-fades from the synthetic continuation.
}

// merge fills the samples of f marked missing with concealment (a partly received frame) and records the frame.
func (p *plc) merge(f *Frame, have []bool) {
	if p.erased == 0 {
		p.startErasure()
	}
	for i := range f {
		if !have[i] {
			f[i] = p.synth(p.erased + i)
		}
	}
	p.erased = 0
	p.push(f[:])
}

// startErasure picks the pitch period and prepares the cycle to repeat: the last period of the history, whose
// last quarter is cross-faded with the quarter period before it, so that the cycle's end runs smoothly into its
// start (as Appendix I does at the loop point).
func (p *plc) startErasure() {
	p.pitch = p.findPitch()
	if p.pitch == 0 || p.filled < p.pitch {
		return
	}
	P := p.pitch
	copy(p.cycle[:P], p.hist[plcHistory-P:])
	q := P / 4
	if p.filled < P+q {
		return
	}
	for i := 0; i < q; i++ {
		w := float32(i+1) / float32(q+1)
		a := float32(p.cycle[P-q+i])
		b := float32(p.hist[plcHistory-P-q+i])
		p.cycle[P-q+i] = clip16(a*(1-w) + b*w)
	}
}

// synth returns concealment sample n of the erasure: the pitch cycle repeated, faded after 10 ms.
func (p *plc) synth(n int) int16 {
	if n >= plcSilentAt || p.filled < p.pitch || p.pitch == 0 {
		return 0
	}
	s := float32(p.cycle[n%p.pitch])
	if n >= plcFadeFrom {
		s *= 1 - 0.2*float32(n-plcFadeFrom)/80
	}
	return clip16(s)
}

// findPitch returns the period (40..120 samples) whose lag best correlates with the end of the history; with too
// little history it returns the shortest period.
func (p *plc) findPitch() int {
	if p.filled < plcCorrLen+plcPitchMax {
		if p.filled >= plcPitchMin {
			return plcPitchMin
		}
		return 0
	}
	h := p.hist[:]
	end := plcHistory
	best, bestScore := plcPitchMin, float32(-1)
	for lag := plcPitchMin; lag <= plcPitchMax; lag++ {
		var xy, yy float32
		for i := end - plcCorrLen; i < end; i++ {
			x, y := float32(h[i]), float32(h[i-lag])
			xy += x * y
			yy += y * y
		}
		if yy <= 0 {
			continue
		}
		score := xy / float32(math.Sqrt(float64(yy)))
		if score > bestScore {
			best, bestScore = lag, score
		}
	}
	return best
}

func (p *plc) push(s []int16) {
	copy(p.hist[:], p.hist[len(s):])
	copy(p.hist[plcHistory-len(s):], s)
	p.filled = min(plcHistory, p.filled+len(s))
}

func (p *plc) reset() { *p = plc{concealedFrames: p.concealedFrames} }

func clip16(v float32) int16 {
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return int16(v)
}

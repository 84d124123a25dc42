package prosody

import "math"

// Stream geometry: 8 kHz input, 10 ms hop, a 40 ms analysis window centred on each frame time.
const (
	SampleRate   = 8000 // input sample rate, Hz
	FrameSamples = 160  // one 20 ms input frame as the media path delivers it
	HopSamples   = 80   // 10 ms: one FrameResult per hop
	HopSeconds   = 0.010
	winLen       = 320 // analysis window (40 ms), centred on the frame time
	bufCap       = 4 * winLen
	// LookAhead is how far past a frame's time the audio must reach before the frame is reported: half the
	// analysis window (20 ms) plus one hop for the three-frame path smoother.
	LookAhead = 0.030
)

// FrameResult is the analysis of one 10 ms hop. T is the centre of its analysis frame in seconds from the start of
// the stream; F0 is 0 when the frame is unvoiced; DB is the RMS level in dBFS over the 20 ms around T, floored at
// -100.
type FrameResult struct {
	T      float64
	F0     float64
	Voiced bool
	DB     float64
	// Speech is the voice-activity decision (with hangover).
	Speech bool
	// Aperiodicity is YIN's normalised difference at the chosen period: 0 perfectly periodic, about 1 noise.
	Aperiodicity float64
	// Tilt is the energy of the first difference relative to the energy, in dB (about -15 for a low hum, up to
	// +6 for hiss): a cheap measure of high-frequency emphasis, which rises with vocal effort.
	Tilt float64
	// HF is the energy of the second difference relative to that of the first, in dB: a second, steeper look at
	// the top of the band (2–3.4 kHz), where a tense, effortful voice keeps more energy.
	HF float64
	// Nucleus marks a syllable nucleus (a voiced energy peak) detected at this frame; speech rate counts them.
	Nucleus bool
}

// rawFrame is a frame before the path smoother.
type rawFrame struct {
	f0, db, ap, tilt, hf float64
	rawF0                float64 // the pitch found even when the frame was judged unvoiced
	voiced, gate         bool
}

// Analyzer turns a stream of 8 kHz PCM into FrameResults, one per 10 ms, causally with LookAhead of delay. It
// is not safe for concurrent use; make one per stream. After NewAnalyzer it allocates nothing.
type Analyzer struct {
	cfg   Config
	pitch pitchTracker

	buf   [bufCap]float32 // DC-blocked samples, the newest at buf[n-1]
	n     int
	dbuf  [bufCap / 2]float32 // the same, low-passed and decimated to 4 kHz
	dn    int
	phase int // samples into the current hop
	hops  int // hops completed
	total int // samples received

	dcX, dcY float32 // DC blocker state

	// how much of the voice lies below lowCut (200 Hz): a two-pole low-pass, its energy and the total over the
	// current hop, and the running share over voiced frames (the phone line removes the fundamental; a wideband
	// channel keeps it, and then the pitch search favours the shorter period more: see pitchTracker.bias)
	lp1, lp2   float32
	eLow, eAll float32
	lowShare   float64

	// path smoother: the last three raw frames, r2 the newest
	r0, r1, r2 rawFrame
	nraw       int

	// voice activity
	noiseFloor float64
	hang       int
	hangFrames int
	onset      int

	// syllable nuclei
	env, peak, valley float64
	peakVoiced        bool
	sinceNucleus      int

	lastF0    float64
	lastF0Age int

	out []FrameResult // returned by Process; grows once if a caller passes more than 8 hops at a time
}

// NewAnalyzer makes an analyser for one stream. An invalid cfg (see Config.Validate) is replaced by DefaultConfig,
// so validate configuration from files first.
func NewAnalyzer(cfg Config) *Analyzer {
	if err := cfg.Validate(); err != nil {
		cfg = DefaultConfig()
	}
	a := &Analyzer{cfg: cfg, out: make([]FrameResult, 0, 8)}
	a.pitch.init(cfg.F0MinHz, cfg.F0MaxHz)
	a.hangFrames = int(cfg.VADHangover.Seconds()/HopSeconds + 0.5)
	a.Reset()
	return a
}

// Reset makes the analyser ready for a new stream, keeping its configuration.
func (a *Analyzer) Reset() {
	a.buf = [bufCap]float32{}
	a.dbuf = [bufCap / 2]float32{}
	a.n = winLen // a window of zeros before the stream starts
	a.dn = winLen / 2
	a.phase, a.hops, a.total, a.nraw = 0, 0, 0, 0
	a.r0, a.r1, a.r2 = rawFrame{}, rawFrame{}, rawFrame{}
	a.dcX, a.dcY = 0, 0
	a.lp1, a.lp2, a.eLow, a.eAll, a.lowShare = 0, 0, 0, 0, 0
	a.noiseFloor = 0
	a.hang, a.onset = 0, 0
	a.env, a.peak, a.valley, a.peakVoiced, a.sinceNucleus = -100, -100, -100, false, 1000
	a.lastF0, a.lastF0Age = 0, 1000
	a.pitch.centre = 0
}

// Process feeds samples (usually one 20 ms frame of 160) and returns the frames completed by them, in order. The
// returned slice is valid until the next call. Process does not allocate (its result buffer grows once if a call
// brings more than eight hops).
func (a *Analyzer) Process(frame []int16) []FrameResult {
	res := a.out[:0]
	for _, s := range frame {
		if r, ok := a.push(float32(s) * (1.0 / 32768)); ok {
			res = append(res, r)
		}
	}
	a.out = res[:0]
	return res
}

// ProcessFloat is Process for samples scaled to [-1, 1] (as media.ReadWAV returns them). Out-of-range values are
// clipped; NaNs count as 0.
func (a *Analyzer) ProcessFloat(samples []float32) []FrameResult {
	res := a.out[:0]
	for _, s := range samples {
		if !(s >= -1) { // also NaN
			if s != s {
				s = 0
			} else {
				s = -1
			}
		} else if s > 1 {
			s = 1
		}
		if r, ok := a.push(s); ok {
			res = append(res, r)
		}
	}
	a.out = res[:0]
	return res
}

// Flush ends the stream: it pads it with silence and returns the frames still held back by the look-ahead, up to
// the last frame whose centre lies within the audio received. Call Reset before reusing the analyser.
func (a *Analyzer) Flush() []FrameResult {
	res := a.out[:0]
	last := a.total / HopSamples // frames 1..last have their centre within the audio
	total := a.total
	for emitted := a.hops - 3; emitted < last; emitted = a.hops - 3 {
		if r, ok := a.push(0); ok {
			if r.T*SampleRate > float64(total)+0.5 {
				break
			}
			res = append(res, r)
		}
	}
	a.total = total
	a.out = res[:0]
	return res
}

// Samples returns how many samples the analyser has received since the last Reset.
func (a *Analyzer) Samples() int { return a.total }

// push adds one sample; at the end of a hop it analyses the newest window and may complete a frame.
func (a *Analyzer) push(x float32) (FrameResult, bool) {
	// DC blocker: y = x - x1 + 0.995 y1 (a zero at DC, -3 dB near 6 Hz)
	y := x - a.dcX + 0.995*a.dcY
	a.dcX, a.dcY = x, y
	a.lp1 += lowPassAlpha * (y - a.lp1)
	a.lp2 += lowPassAlpha * (a.lp1 - a.lp2)
	a.eLow += a.lp2 * a.lp2
	a.eAll += y * y
	if a.n == bufCap {
		copy(a.buf[:winLen], a.buf[bufCap-winLen:])
		a.n = winLen
	}
	a.buf[a.n] = y
	a.n++
	a.total++
	a.phase++
	if a.phase&1 == 0 { // decimate by two through a half-band low-pass
		if a.dn == len(a.dbuf) {
			copy(a.dbuf[:winLen/2], a.dbuf[len(a.dbuf)-winLen/2:])
			a.dn = winLen / 2
		}
		a.dbuf[a.dn] = halfband(a.buf[a.n-halfbandTaps : a.n])
		a.dn++
	}
	if a.phase < HopSamples {
		return FrameResult{}, false
	}
	a.phase = 0
	a.hops++
	// The window now ends at sample 80*hops, so it is centred on frame hops-2.
	r := a.analyse(a.buf[a.n-winLen:a.n], a.dbuf[a.dn-winLen/2:a.dn])
	a.eLow, a.eAll = 0, 0
	a.r0, a.r1, a.r2 = a.r1, a.r2, r
	a.nraw++
	// Frame hops-3 has both neighbours now: smooth and emit it.
	idx := a.hops - 3
	if idx < 1 {
		return FrameResult{}, false
	}
	return a.finish(idx, a.smooth()), true
}

// analyse computes the raw measurements of the window's centre frame.
func (a *Analyzer) analyse(w, dw []float32) rawFrame {
	var r rawFrame
	// Level and tilt over the central 20 ms.
	c := w[winLen/2-HopSamples : winLen/2+HopSamples]
	var e, ed, ed2 float32
	p := w[winLen/2-HopSamples-1]
	pd := p - w[winLen/2-HopSamples-2]
	for _, v := range c {
		e += v * v
		d := v - p
		ed += d * d
		d2 := d - pd
		ed2 += d2 * d2
		p, pd = v, d
	}
	ms := float64(e) / float64(len(c))
	r.db = -100
	if ms > 1e-10 {
		r.db = 10 * math.Log10(ms)
		if r.db < -100 {
			r.db = -100
		}
		r.tilt = 10 * math.Log10((float64(ed)+1e-12)/(float64(e)+1e-12))
		r.hf = 10 * math.Log10((float64(ed2)+1e-12)/(float64(ed)+1e-12))
	}
	// The pitch search runs only where speech is possible: above min_speech_db.
	r.gate = r.db > a.cfg.MinSpeechDB
	r.ap = 1
	if r.gate {
		ref := 0.0
		if a.lastF0Age <= 5 {
			ref = a.lastF0
		}
		r.f0, r.ap = a.pitch.estimate(w, dw, ref)
		r.rawF0 = r.f0
		thrV := a.cfg.VoicingThreshold
		if a.r2.voiced {
			thrV += a.cfg.VoicingHysteresis
		}
		r.voiced = r.f0 > 0 && r.ap < thrV
		if r.voiced {
			a.pitch.observe(r.f0, r.ap)
		}
	}
	if r.voiced {
		a.lastF0, a.lastF0Age = r.f0, 0
		a.lowShare += 0.05 * (float64(a.eLow/(a.eAll+1e-12)) - a.lowShare)
		a.pitch.wideband = a.lowShare
	} else {
		a.lastF0Age++
	}
	if !r.voiced {
		r.f0 = 0
	}
	// Voice activity: an adaptive noise floor that starts at the first frame's level, falls at once and rises
	// 2 dB a second through periodic sound, 10 dB a second through aperiodic (noise-like) sound.
	if a.hops <= 3 || r.db < a.noiseFloor { // hop 3 analyses the first frame (centred at 10 ms)
		a.noiseFloor = r.db
	} else {
		rise := 0.02
		if r.ap > 0.5 {
			rise = 0.1
		}
		a.noiseFloor += math.Min(r.db-a.noiseFloor, rise)
	}
	thr := math.Max(a.noiseFloor+a.cfg.VADMarginDB, a.cfg.MinSpeechDB)
	loud := r.db > thr
	// Onset: a voiced frame, or two loud frames in a row; then hangover.
	if loud {
		a.onset++
	} else {
		a.onset = 0
	}
	if r.voiced || a.onset >= 2 {
		a.hang = a.hangFrames + 1
	}
	if loud && a.hang > 0 {
		a.hang = max(a.hang, a.hangFrames+1)
	}
	return r
}

// smooth applies the three-frame path smoother to the frame before the newest: it drops isolated voiced frames, fills
// single unvoiced gaps between agreeing neighbours, and replaces an F0 that jumps away from two agreeing
// neighbours (an octave error) by their mean.
func (a *Analyzer) smooth() rawFrame {
	before, b, c := a.r0, a.r1, a.r2
	agree := func(x, y float64) bool { return x > 0 && y > 0 && math.Abs(x-y) < 0.12*math.Min(x, y) }
	switch {
	case b.voiced && !before.voiced && !c.voiced:
		b.voiced, b.f0 = false, 0
	case !b.voiced && before.voiced && c.voiced && agree(before.f0, c.f0) && b.gate:
		b.voiced, b.f0 = true, (before.f0+c.f0)/2
	case !b.voiced && !before.voiced && c.voiced && b.gate && b.rawF0 > 0 && agree(b.rawF0, c.f0) &&
		b.ap < a.cfg.VoicingThreshold+a.cfg.VoicingHysteresis:
		// an onset: the frame before a voiced one, periodic enough and at the same pitch
		b.voiced, b.f0 = true, b.rawF0
	case b.voiced && before.voiced && c.voiced && agree(before.f0, c.f0):
		m := (before.f0 + c.f0) / 2
		if math.Abs(b.f0-m) > 0.2*m {
			b.f0 = m
		}
	case b.voiced && before.voiced != c.voiced:
		// one voiced neighbour: fold an octave jump away from it back (the neighbour's period is trusted when it
		// is the more periodic of the two)
		n := before
		if !before.voiced || (c.voiced && c.ap < before.ap) {
			n = c
		}
		if n.ap < b.ap {
			if agree(b.f0/2, n.f0) {
				b.f0 /= 2
			} else if agree(b.f0*2, n.f0) {
				b.f0 *= 2
			}
		}
	}
	return b
}

// finish turns a smoothed raw frame into a FrameResult: voice activity with hangover and syllable nuclei.
func (a *Analyzer) finish(idx int, r rawFrame) FrameResult {
	fr := FrameResult{
		T:            float64(idx) * HopSeconds,
		F0:           r.f0,
		Voiced:       r.voiced,
		DB:           r.db,
		Aperiodicity: r.ap,
		Tilt:         r.tilt,
		HF:           r.hf,
	}
	if a.hang > 0 {
		fr.Speech = true
		a.hang--
	}
	if fr.Voiced {
		fr.Speech = true
	}
	// Syllable nuclei: peaks of the smoothed level envelope that are voiced and stand at least 2 dB above the
	// valleys on both sides, at least 80 ms apart.
	a.env = 0.5*a.env + 0.5*fr.DB
	a.sinceNucleus++
	if a.env > a.peak {
		a.peak, a.peakVoiced = a.env, fr.Voiced
	} else if a.peak-a.env >= 2 {
		if a.peakVoiced && a.peak-a.valley >= 2 && a.sinceNucleus >= 8 && a.peak > a.cfg.MinSpeechDB {
			fr.Nucleus = true
			a.sinceNucleus = 0
		}
		a.valley, a.peak, a.peakVoiced = a.env, a.env, fr.Voiced
	}
	if a.env < a.valley {
		a.valley = a.env
	}
	return fr
}

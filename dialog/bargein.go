package dialog

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// BargeInConfig tunes the barge-in detector (turn_taking.barge_in).
type BargeInConfig struct {
	// min_speech: sustained caller speech needed before a prompt is stopped ("280ms"); shorter sounds (a
	// backchannel "mm-hm", a cough) do not stop it. Detection happens at the end of the frame completing it. At
	// 240 ms, 9 of 10 real-speech bursts of 250 ms stopped the prompt; at 280 ms none do, and sustained speech
	// stops it a median 280 ms after it starts (`go test -tags eval -run TestEvalBargeIn -v ./dialog`).
	MinSpeech time.Duration `yaml:"min_speech"`
	// max_gap: a pause inside the speech that does not restart it ("160ms"); words are often separated by this
	// much. While the speech lasts, at least 60 % of its frames must be speech.
	MaxGap time.Duration `yaml:"max_gap"`
	// snr_db: how far above the tracked line-noise floor a frame must be to count as speech (9).
	SNRDB float64 `yaml:"snr_db"`
	// min_level_db: the quietest frame that can count as speech, dBFS (-48).
	MinLevelDB float64 `yaml:"min_level_db"`
	// echo_return_loss_db: how much quieter than our own prompt its echo is assumed to come back at least; caller
	// audio below (our loudest level over echo_window) − this is taken as echo (12). While we speak and the caller
	// does not, the detector learns the line's actual echo loss and uses it when it is larger (less echo).
	EchoReturnLossDB float64 `yaml:"echo_return_loss_db"`
	// echo_window: how far back our own level is remembered to cover the echo path's delay ("300ms").
	EchoWindow time.Duration `yaml:"echo_window"`
	// min_voiced: the share of frames in the speech that must be voiced (periodic); line noise is not (0.4).
	MinVoiced float64 `yaml:"min_voiced"`
}

// DefaultBargeInConfig returns the documented defaults.
func DefaultBargeInConfig() BargeInConfig {
	return BargeInConfig{
		MinSpeech:        280 * time.Millisecond,
		MaxGap:           160 * time.Millisecond,
		SNRDB:            6,
		MinLevelDB:       -48,
		EchoReturnLossDB: 12,
		EchoWindow:       300 * time.Millisecond,
		MinVoiced:        0.4,
	}
}

// Validate names the field at fault.
func (c BargeInConfig) Validate() error {
	switch {
	case c.MinSpeech < 20*time.Millisecond || c.MinSpeech > 2*time.Second:
		return fmt.Errorf("min_speech: %v is not within 20ms..2s", c.MinSpeech)
	case c.MaxGap < 0:
		return errors.New("max_gap: must not be negative")
	case c.SNRDB < 0:
		return errors.New("snr_db: must not be negative")
	case c.EchoReturnLossDB < 0:
		return errors.New("echo_return_loss_db: must not be negative")
	case c.EchoWindow < 0 || c.EchoWindow > 2*time.Second:
		return fmt.Errorf("echo_window: %v is not within 0..2s", c.EchoWindow)
	case c.MinVoiced < 0 || c.MinVoiced > 1:
		return fmt.Errorf("min_voiced: %v is not within 0..1", c.MinVoiced)
	}
	return nil
}

// FrameSamples is one 20 ms frame at 8 kHz.
const FrameSamples = 160

// BargeIn decides, frame by frame while a prompt plays, whether the caller has started talking over it. It is
// fed each 20 ms frame of the caller's audio with the frame we sent at the same time, and fires once per prompt
// when the caller's speech has lasted MinSpeech: loud enough above the line's noise floor, louder than the echo
// of our own prompt could be, and voiced often enough. One detector per call; it allocates nothing per frame
// and is not safe for concurrent use.
type BargeIn struct {
	cfg BargeInConfig

	floor  float64 // tracked noise floor, dBFS
	frames int     // frames seen since Reset
	run    int     // speech frames in the current run
	span   int     // frames since the run started
	voiced int     // voiced frames in the current run
	gap    int     // non-speech frames since the last speech frame of the run
	fired  bool
	// Echo path, learned per delay (in frames) while we talk and the caller does not: the mean and mean square
	// of (our level then − the caller channel's level now) and how many frames taught it. The delay whose
	// difference is steadiest is the echo path; its mean is the echo return loss.
	lagMean, lagSq []float64
	lagN           []int
	buf            [2 * FrameSamples]int16 // the previous caller frame then this one (for long pitch lags)
	botLevels      []float64               // ring of our own frame levels over the echo window
	botPos         int

	minRun, maxGap int
}

// NewBargeIn makes a detector.
func NewBargeIn(cfg BargeInConfig) *BargeIn {
	frame := 20 * time.Millisecond
	n := int(cfg.EchoWindow/frame) + 1
	b := &BargeIn{cfg: cfg, botLevels: make([]float64, n),
		lagMean: make([]float64, n), lagSq: make([]float64, n), lagN: make([]int, n),
		minRun: int((cfg.MinSpeech + frame - 1) / frame), maxGap: int(cfg.MaxGap / frame)}
	b.Reset()
	b.floor = -70
	b.frames = 0
	return b
}

// Reset starts a new prompt: the run and the fired state are cleared; the noise floor is kept.
func (b *BargeIn) Reset() {
	b.run, b.span, b.voiced, b.gap, b.fired = 0, 0, 0, 0, false
	for i := range b.botLevels {
		b.botLevels[i] = -100
	}
}

// NoiseFloor is the tracked line-noise level in dBFS.
func (b *BargeIn) NoiseFloor() float64 { return b.floor }

// Frame takes one 20 ms caller frame and the frame we sent at the same time (nil or silence when nothing was
// playing) and reports true on the frame where barge-in is detected (once until Reset).
func (b *BargeIn) Frame(caller, sent []int16) bool {
	callerDB := levelDB(caller)
	botDB := -100.0
	if len(sent) > 0 {
		botDB = levelDB(sent)
	}
	b.botLevels[b.botPos] = botDB
	botMax := -100.0
	for _, l := range b.botLevels {
		botMax = math.Max(botMax, l)
	}
	echoCeiling := b.echoCeiling(botMax)

	if len(caller) == FrameSamples {
		copy(b.buf[:FrameSamples], b.buf[FrameSamples:])
		copy(b.buf[FrameSamples:], caller)
	}
	b.frames++

	speech := callerDB >= b.cfg.MinLevelDB && callerDB >= b.floor+b.cfg.SNRDB && callerDB > echoCeiling
	// Learn the echo path from frames where we talk, the caller does not, and something is heard above the
	// line noise: there the caller's channel carries only our echo.
	if !speech && b.run == 0 && callerDB > b.floor+3 && botMax > b.floor+b.cfg.SNRDB+10 {
		for k := range b.lagMean {
			l := b.botAt(k)
			if l <= b.floor+b.cfg.SNRDB+10 {
				continue
			}
			d := l - callerDB
			b.lagN[k]++
			a := math.Max(1/float64(b.lagN[k]), 0.05)
			b.lagMean[k] += a * (d - b.lagMean[k])
			b.lagSq[k] += a * (d*d - b.lagSq[k])
		}
	}
	b.botPos = (b.botPos + 1) % len(b.botLevels)
	// The noise floor follows quiet frames quickly and loud ones slowly, and not at all during speech, so a
	// steady hiss is learned within a second or two while speech does not drag the floor up.
	switch {
	case b.frames == 1:
		b.floor = callerDB
	case callerDB < b.floor:
		b.floor += 0.3 * (callerDB - b.floor)
	case !speech && callerDB <= echoCeiling+b.cfg.SNRDB && botMax > -100 && callerDB > b.floor+b.cfg.SNRDB:
		// echo, not noise: leave the floor alone
	case !speech:
		b.floor += 0.05 * (callerDB - b.floor)
	case b.run == 0:
		b.floor += 0.01 * (callerDB - b.floor)
	}
	if b.fired {
		return false
	}
	if speech {
		if b.run == 0 {
			b.span = 0
		}
		b.run++
		b.gap = 0
		// Periodicity is the costly measure: only frames that pass the level gates need it.
		if len(caller) == FrameSamples && voicing(b.buf[:]) >= 0.5 {
			b.voiced++
		}
	} else if b.run > 0 {
		b.gap++
		if b.gap > b.maxGap {
			b.run, b.voiced, b.gap = 0, 0, 0
		}
	}
	if b.run > 0 {
		b.span++
	}
	// Fire on a speech frame once the speech has lasted MinSpeech, mostly speech and voiced enough.
	if speech && b.span >= b.minRun && float64(b.run) >= 0.6*float64(b.span) &&
		float64(b.voiced) >= b.cfg.MinVoiced*float64(b.run) {
		b.fired = true
		return true
	}
	return false
}

// botAt is our level k frames before the current one (valid between writing the current level and advancing
// botPos).
func (b *BargeIn) botAt(k int) float64 {
	n := len(b.botLevels)
	if k < 0 || k >= n {
		return -100
	}
	return b.botLevels[(b.botPos-k+n)%n]
}

// echoCeiling is the loudest the echo of our own speech may be in the caller's channel now. Once an echo path
// is learned (a delay whose level difference has been steady for half a second), it is our level at that delay
// minus the learned loss, plus a margin of twice the spread; before that, our loudest level over the echo window
// minus the configured echo return loss.
func (b *BargeIn) echoCeiling(botMax float64) float64 {
	best, bestStd := -1, math.Inf(1)
	for k, n := range b.lagN {
		if n < echoLearnFrames {
			continue
		}
		std := math.Sqrt(math.Max(0, b.lagSq[k]-b.lagMean[k]*b.lagMean[k]))
		if std < bestStd {
			best, bestStd = k, std
		}
	}
	if best < 0 || bestStd > echoMaxStdDB {
		return botMax - b.cfg.EchoReturnLossDB
	}
	pred := math.Max(b.botAt(best), math.Max(b.botAt(best-1), b.botAt(best+1))) - b.lagMean[best]
	return pred + math.Max(echoMarginDB, 2*bestStd)
}

// Echo learning: frames needed, the largest spread (dB) accepted as a steady echo path, and the least margin.
const (
	echoLearnFrames = 25
	echoMaxStdDB    = 5
	echoMarginDB    = 6
)

// levelDB is the RMS level of a frame in dBFS, floored at -100.
func levelDB(x []int16) float64 {
	if len(x) == 0 {
		return -100
	}
	var e float64
	for _, s := range x {
		f := float64(s)
		e += f * f
	}
	e /= float64(len(x)) * 32768 * 32768
	if e < 1e-10 {
		return -100
	}
	return 10 * math.Log10(e)
}

// voicing is the peak normalised autocorrelation of the second half of buf (the current frame, the first half
// being the previous one) over pitch lags of 60–400 Hz: near 1 for a periodic (voiced) frame, low for noise.
func voicing(buf []int16) float64 {
	n := len(buf) / 2
	cur := buf[n:]
	var e0 float64
	for i := 0; i < len(cur); i += 2 {
		e0 += float64(cur[i]) * float64(cur[i])
	}
	if e0 == 0 {
		return 0
	}
	best := 0.0
	for lag := 20; lag <= 133; lag++ { // 400 Hz … 60 Hz at 8 kHz
		past := buf[n-lag : 2*n-lag]
		var r, e1 float64
		for i := 0; i < len(cur); i += 2 { // every other sample: the pitch peak is broad enough
			x, y := float64(cur[i]), float64(past[i])
			r += x * y
			e1 += y * y
		}
		if e1 == 0 {
			continue
		}
		if c := r / math.Sqrt(e0*e1); c > best {
			best = c
		}
	}
	return best
}

package prosody

import (
	"math"
	"slices"
)

// Profile summarises how someone speaks over a stretch of audio: the baseline is one, and so is each window the
// estimator looks at. Pitch is in semitones relative to 100 Hz, so that deviations mean the same for low and
// high voices.
type Profile struct {
	F0Semitones float64 // median F0 of voiced frames, semitones re 100 Hz
	F0Range     float64 // 90th minus 10th percentile of F0, semitones
	Movement    float64 // mean absolute F0 change between consecutive voiced frames, semitones per second
	DB          float64 // power mean level of voiced frames, dBFS (-100 when none)
	DBSpread    float64 // standard deviation of the level over speech frames, dB
	Tilt        float64 // mean Tilt of voiced frames, dB
	RateSPS     float64 // syllable nuclei per second of speech
	VoicedShare float64 // voiced frames over speech frames
	Aperiodic   float64 // mean aperiodicity of voiced frames (lower: a purer, more tense voice)
	Attack      float64 // mean rise of the level between consecutive speech frames where it rises, dB per 10 ms
	Crest       float64 // 95th percentile of the level of voiced frames minus its power mean, dB
	VoicedRun   float64 // mean length of voiced stretches, seconds
	TiltLoud    float64 // mean Tilt of the louder half of the voiced frames (at or above their median level), dB
	Jitter      float64 // mean distance of a voiced frame's F0 from the mean of its two voiced neighbours, semitones
	Shimmer     float64 // the same for the level of voiced frames, dB
	Decay       float64 // mean fall of the level between consecutive speech frames where it falls, dB per 10 ms
	HF          float64 // mean HF of voiced frames, dB
	Voiced      int     // voiced frames
	Speech      int     // speech frames
}

// F0Hz is the median F0 in Hz, 0 when nothing was voiced.
func (p Profile) F0Hz() float64 {
	if p.Voiced == 0 {
		return 0
	}
	return 100 * math.Exp2(p.F0Semitones/12)
}

// Baseline is the profile as the report shows it.
func (p Profile) Baseline(ready bool) Baseline {
	b := Baseline{F0Hz: round(p.F0Hz(), 1), DB: round(p.DB, 1), RateSPS: round(p.RateSPS, 2), Ready: ready}
	if p.Voiced == 0 {
		b.DB = -100
	}
	return b
}

// ProfileOf summarises frames (for example a whole calm recording).
func ProfileOf(frames []FrameResult) Profile {
	return profileInto(frames, make([]float64, 2*len(frames)))
}

// profileInto is ProfileOf with caller-owned scratch space (len ≥ 2 len(frames)); it does not allocate.
func profileInto(frames []FrameResult, scratch []float64) Profile {
	var p Profile
	st := scratch[:0]
	dbs := scratch[len(frames):len(frames)]
	var pow, tilt, hf, dbSum, dbSq, move, aper, attack, decay, jit, shim float64
	var moves, nuclei, attacks, decays, runs, triples int
	prevSt, prevVoiced := 0.0, false
	prevDB, prevSpeech := 0.0, false
	for i, f := range frames {
		if f.Speech {
			p.Speech++
			dbSum += f.DB
			dbSq += f.DB * f.DB
			if f.Nucleus {
				nuclei++
			}
			if prevSpeech && f.DB > prevDB {
				attack += math.Min(f.DB-prevDB, 10)
				attacks++
			} else if prevSpeech {
				decay += math.Min(prevDB-f.DB, 10)
				decays++
			}
		}
		prevDB, prevSpeech = f.DB, f.Speech
		if !f.Voiced || !(f.F0 > 0) {
			prevVoiced = false
			continue
		}
		if !prevVoiced {
			runs++
		}
		dbs = append(dbs, f.DB)
		s := semitones(f.F0)
		st = append(st, s)
		pow += math.Pow(10, f.DB/10)
		tilt += f.Tilt
		hf += f.HF
		aper += f.Aperiodicity
		if prevVoiced {
			move += math.Min(math.Abs(s-prevSt), 1)
			moves++
			// perturbation: this frame against the mean of its neighbours, when both are voiced
			if i+1 < len(frames) && frames[i+1].Voiced && frames[i+1].F0 > 0 {
				pv, nx := frames[i-1], frames[i+1]
				jit += math.Min(math.Abs(s-(semitones(pv.F0)+semitones(nx.F0))/2), 1)
				shim += math.Min(math.Abs(f.DB-(pv.DB+nx.DB)/2), 6)
				triples++
			}
		}
		prevSt, prevVoiced = s, true
	}
	p.Voiced = len(st)
	p.DB = -100
	if p.Voiced > 0 {
		slices.Sort(st)
		p.F0Semitones = quantile(st, 0.5)
		p.F0Range = quantile(st, 0.9) - quantile(st, 0.1)
		p.DB = math.Max(-100, 10*math.Log10(pow/float64(p.Voiced)+1e-10))
		p.Tilt = tilt / float64(p.Voiced)
		p.HF = hf / float64(p.Voiced)
		p.Aperiodic = aper / float64(p.Voiced)
		slices.Sort(dbs)
		p.Crest = quantile(dbs, 0.95) - p.DB
		p.VoicedRun = float64(p.Voiced) * HopSeconds / float64(runs)
		med, loud, nl := quantile(dbs, 0.5), 0.0, 0
		for _, f := range frames {
			if f.Voiced && f.F0 > 0 && f.DB >= med {
				loud += f.Tilt
				nl++
			}
		}
		p.TiltLoud = loud / float64(max(1, nl))
	}
	if triples > 0 {
		p.Jitter, p.Shimmer = jit/float64(triples), shim/float64(triples)
	}
	if decays > 0 {
		p.Decay = decay / float64(decays)
	}
	if attacks > 0 {
		p.Attack = attack / float64(attacks)
	}
	if moves > 0 {
		p.Movement = move / float64(moves) / HopSeconds
	}
	if p.Speech > 0 {
		n := float64(p.Speech)
		m := dbSum / n
		p.DBSpread = math.Sqrt(math.Max(0, dbSq/n-m*m))
		p.RateSPS = float64(nuclei) / (n * HopSeconds)
		p.VoicedShare = float64(p.Voiced) / n
	}
	return p
}

// nFeatures is the length of a Deviation vector.
const nFeatures = 18

// Deviation is a window's profile relative to the baseline, scaled so that one unit is a clear change.
type Deviation [nFeatures]float64

// Deviation indices.
const (
	devPitch     = iota // semitones
	devRange            // semitones / 2
	devMovement         // 10 semitones per second
	devLoudness         // 3 dB
	devSpread           // 2 dB
	devTilt             // 2 dB
	devRate             // octaves of the syllable rate
	devVoiced           // share
	devAperiodic        // 0.05 of aperiodicity
	devAttack           // dB per 10 ms
	devCrest            // 2 dB
	devVoicedRun        // octaves of the voiced stretch length
	devTiltAbs          // the window's own tilt (not a deviation: vocal effort shows in it whatever the baseline), 2 dB
	devTiltLoud         // tilt of the louder half of the voiced frames, 2 dB
	devJitter           // 0.1 semitone of F0 perturbation
	devShimmer          // dB of level perturbation
	devDecay            // dB per 10 ms of the level's falls
	devHFAbs            // the window's own HF (second against first difference; not a deviation), 2 dB
)

// Deviate returns how p departs from the baseline b.
func Deviate(p, b Profile) Deviation {
	var d Deviation
	d[devPitch] = p.F0Semitones - b.F0Semitones
	d[devRange] = (p.F0Range - b.F0Range) / 2
	d[devMovement] = (p.Movement - b.Movement) / 10
	d[devLoudness] = (p.DB - b.DB) / 3
	d[devSpread] = (p.DBSpread - b.DBSpread) / 2
	d[devTilt] = (p.Tilt - b.Tilt) / 2
	d[devRate] = math.Log2((p.RateSPS + 1) / (b.RateSPS + 1))
	d[devVoiced] = p.VoicedShare - b.VoicedShare
	d[devAperiodic] = (p.Aperiodic - b.Aperiodic) / 0.05
	d[devAttack] = p.Attack - b.Attack
	d[devCrest] = (p.Crest - b.Crest) / 2
	d[devVoicedRun] = math.Log2((p.VoicedRun + 0.05) / (b.VoicedRun + 0.05))
	d[devTiltAbs] = p.Tilt / 2
	d[devTiltLoud] = (p.TiltLoud - b.TiltLoud) / 2
	d[devJitter] = (p.Jitter - b.Jitter) * 10
	d[devShimmer] = p.Shimmer - b.Shimmer
	d[devDecay] = p.Decay - b.Decay
	d[devHFAbs] = p.HF / 2
	for i, v := range d {
		if v != v {
			d[i] = 0
		}
		d[i] = math.Max(-10, math.Min(10, d[i]))
	}
	return d
}

func semitones(f0 float64) float64 { return 12 * math.Log2(f0/100) }

// quantile of sorted values, linearly interpolated.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	x := q * float64(len(sorted)-1)
	i := int(x)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := x - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

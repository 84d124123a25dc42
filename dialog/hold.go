package dialog

import "math"

// HoldMusic returns a loopable 8 kHz hold melody of about eight seconds: a slow arpeggio of soft sine tones
// (with a little second harmonic so it survives the phone band's 300 Hz cut) at about -24 dBFS, each note faded
// in and out so the loop has no clicks. The call handler plays it in a loop to a caller waiting for an agent,
// saying Phrases.HoldApology every TurnTaking.HoldApologyInterval.
func HoldMusic() []int16 {
	// C major, A minor, F major, G major arpeggios (Hz), one note every 0.5 s.
	notes := []float64{
		523.25, 659.25, 783.99, 659.25,
		440.00, 523.25, 659.25, 523.25,
		349.23, 440.00, 523.25, 440.00,
		392.00, 493.88, 587.33, 493.88,
	}
	const noteLen = Rate / 2
	out := make([]int16, len(notes)*noteLen)
	amp := 32768 * math.Pow(10, -21.0/20) // peak; RMS about -24 dBFS
	for n, f := range notes {
		for i := 0; i < noteLen; i++ {
			t := float64(i) / Rate
			// 20 ms attack, exponential decay, 40 ms release.
			env := math.Min(1, t/0.02) * math.Exp(-2.5*t) * math.Min(1, float64(noteLen-i)/(0.04*Rate))
			v := math.Sin(2*math.Pi*f*t) + 0.3*math.Sin(4*math.Pi*f*t)
			out[n*noteLen+i] = int16(amp / 1.3 * env * v)
		}
	}
	return out
}

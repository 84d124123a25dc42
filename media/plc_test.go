package media

import (
	"math"
	"testing"
)

func TestConcealmentContinuesAVoicedSignal(t *testing.T) {
	for _, freq := range []float64{100, 200, 250} { // periods of 80, 40 and 32 samples (32 below the search range: 64 found)
		pcm := FloatToPCM(sine(freq, SampleRate, 12*FrameSamples, 0.5))
		var p plc
		var f Frame
		for i := 0; i < 11; i++ {
			copy(f[:], pcm[i*FrameSamples:])
			p.good(&f)
		}
		p.conceal(&f)
		truth := pcm[11*FrameSamples:]
		var errE, sigE float64
		for i := 0; i < plcFadeFrom; i++ {
			d := float64(f[i]) - float64(truth[i])
			errE += d * d
			sigE += float64(truth[i]) * float64(truth[i])
		}
		if snr := 10 * math.Log10(sigE/errE); snr < 30 {
			t.Errorf("%.0f Hz: first 10 ms of concealment at %.1f dB SNR against the true continuation, want >= 30 (pitch %d)", freq, snr, p.pitch)
		}
		var early, late float64
		for i := 0; i < 40; i++ {
			early += math.Abs(float64(f[i]))
			late += math.Abs(float64(f[120+i]))
		}
		if late > 0.95*early {
			t.Errorf("%.0f Hz: no fade in the second 10 ms (%.0f vs %.0f)", freq, late, early)
		}
	}
}

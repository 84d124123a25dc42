package asr

import "github.com/hotline/hotline/asr/internal/dsp"

// Narrowband reports whether 16 kHz audio carries (almost) nothing above 4 kHz, as phone-line audio does even
// when stored at a higher rate: the energy a round trip through 8 kHz removes is under 1/300 (−25 dB) of the
// total. Such audio is best recognised at 8 kHz on the telephone path.
func Narrowband(pcm16k []int16) bool {
	down := dsp.NewResampler(16000, 8000).Process(pcm16k, nil)
	back := dsp.NewResampler(8000, 16000).Process(down, nil)
	var total, lost float64
	for i := 0; i < len(back) && i < len(pcm16k); i++ {
		x := float64(pcm16k[i])
		d := x - float64(back[i])
		total += x * x
		lost += d * d
	}
	if total == 0 {
		return true
	}
	return lost/total < 1.0/300
}

// PCM16 converts float samples in [-1, 1] to 16-bit PCM, clipping.
func PCM16(f []float32) []int16 {
	out := make([]int16, len(f))
	for i, v := range f {
		x := float64(v) * 32768
		switch {
		case x > 32767:
			x = 32767
		case x < -32768:
			x = -32768
		}
		out[i] = int16(x)
	}
	return out
}

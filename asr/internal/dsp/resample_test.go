package dsp

import (
	"math"
	"testing"
)

func TestResamplerKeepsToneAndLength(t *testing.T) {
	for _, tc := range []struct{ in, out int }{{8000, 16000}, {16000, 8000}, {44100, 16000}, {11025, 8000}} {
		n := tc.in // one second of 440 Hz
		src := make([]int16, n)
		for i := range src {
			src[i] = int16(10000 * math.Sin(2*math.Pi*440*float64(i)/float64(tc.in)))
		}
		r := NewResampler(tc.in, tc.out)
		var dst []int16
		for off := 0; off < n; off += 160 { // in 160-sample blocks, as frames arrive
			dst = r.Process(src[off:min(off+160, n)], dst)
		}
		dst = r.Flush(dst)
		if d := len(dst) - tc.out; d < -2 || d > 30 {
			t.Errorf("%d→%d: %d samples out of one second, want about %d", tc.in, tc.out, len(dst), tc.out)
		}
		// Compare with the ideal tone away from the edges.
		var errE, sigE float64
		for i := 100; i < tc.out-100; i++ {
			want := 10000 * math.Sin(2*math.Pi*440*float64(i)/float64(tc.out))
			d := float64(dst[i]) - want
			errE += d * d
			sigE += want * want
		}
		if snr := 10 * math.Log10(sigE/errE); snr < 40 {
			t.Errorf("%d→%d: SNR %.1f dB, want ≥ 40", tc.in, tc.out, snr)
		}
	}
}

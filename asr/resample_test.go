package asr

import (
	"math"

	"github.com/hotline/hotline/asr/internal/dsp"
)

func resampleForTest(pcm []int16, from, to int) []int16 {
	return dsp.NewResampler(from, to).Process(pcm, nil)
}

func sin(x float64) float64 { return math.Sin(x) }

package asr

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline/hotline/internal/testenv"
)

// BenchmarkDecodePhoneLine decodes a phone-line recording through a domain stream as fast as possible and reports
// the real-time factor (processing time / audio time) of one stream.
func BenchmarkDecodePhoneLine(b *testing.B) {
	dir := testenv.SharedAudio(b, "asr")
	pcm := phoneLine(b, filepath.Join(dir, "osr_us_000_0034_8k.wav"))
	r := testRecognizer(b)
	recognise(b, r, pcm[:8000], 8000, true) // load the decoder outside the timing
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		recognise(b, r, pcm, 8000, true)
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N)/(float64(len(pcm))/8000), "rtf")
}

// BenchmarkDecoderLoad measures loading one decoder (acoustic model, dictionary and language model).
func BenchmarkDecoderLoad(b *testing.B) {
	for _, domain := range []bool{false, true} {
		name := map[bool]string{false: "general", true: "domain"}[domain]
		b.Run(name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.WarmDecoders = 0
			e, err := NewEmbedded(cfg, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			for i := 0; i < b.N; i++ {
				d, err := e.load(domain)
				if err != nil {
					b.Fatal(err)
				}
				e.free(d)
			}
		})
	}
}

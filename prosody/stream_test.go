package prosody

import (
	"math"
	"testing"
)

func TestStreamGivesTheVoiceActivityOfEachHop(t *testing.T) {
	s, err := NewStream(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	silence := make([]int16, FrameSamples)
	hops := 0
	for range 50 {
		for _, sp := range s.Write(silence) {
			hops++
			if sp {
				t.Fatal("speech in silence")
			}
		}
	}
	if hops < 95 { // two a frame, less the analysis window's latency
		t.Fatalf("%d hops in a second", hops)
	}
	if s.Speaking() {
		t.Fatal("speaking after a second of silence")
	}
	voiced := make([]int16, FrameSamples)
	speech := 0
	for f := range 50 { // a second of a 140 Hz voice
		for i := range voiced {
			x := 0.0
			for h := 1; h <= 10; h++ {
				x += math.Sin(2*math.Pi*140*float64(h)*float64(f*FrameSamples+i)/8000) / float64(h)
			}
			voiced[i] = int16(4000 * x)
		}
		for _, sp := range s.Write(voiced) {
			if sp {
				speech++
			}
		}
	}
	if speech < 80 || !s.Speaking() {
		t.Fatalf("%d of 100 hops of voice were speech (speaking now: %v)", speech, s.Speaking())
	}
}

package main

import (
	"github.com/hotline/hotline/prosody"
)

// voiceTrack is the live analysis of one party's voice: the prosody analyser feeding its emotion estimator,
// plus the voice-activity decision of the latest 10 ms hops, which quality inspection pairs across the two
// parties. Not safe for concurrent use: its owner serialises access.
type voiceTrack struct {
	an     *prosody.Analyzer
	est    *prosody.Estimator
	speech [4]bool // VAD of the hops of the latest Write, in order
	n      int
}

func newVoiceTrack(cfg prosody.Config) (*voiceTrack, error) {
	est, err := prosody.NewEstimator(cfg)
	if err != nil {
		return nil, err
	}
	return &voiceTrack{an: prosody.NewAnalyzer(cfg), est: est}, nil
}

// Write analyses one frame of 8 kHz PCM (20 ms gives two hops) and returns the hops' speech decisions.
func (v *voiceTrack) Write(frame []int16) []bool {
	v.n = 0
	for _, fr := range v.an.Process(frame) {
		v.est.Add(fr)
		if v.n < len(v.speech) {
			v.speech[v.n] = fr.Speech
			v.n++
		}
	}
	return v.speech[:v.n]
}

// speaking reports whether the latest hop was speech.
func (v *voiceTrack) speaking() bool { return v.n > 0 && v.speech[v.n-1] }

func (v *voiceTrack) Estimator() *prosody.Estimator { return v.est }

func (v *voiceTrack) Snapshot() prosody.Report { return v.est.Snapshot() }

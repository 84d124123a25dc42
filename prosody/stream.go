package prosody

// Stream is one party's live voice analysis: an Analyzer feeding an Estimator, plus the voice-activity decision of
// each 10 ms hop of the latest frame, which the call's barge-in, no-input timer and quality inspection read (the
// inspector pairs the two parties' decisions hop by hop). The media path calls Write with each 20 ms frame; the
// dialogue reads Snapshot each turn. Not safe for concurrent use: its owner serialises access.
type Stream struct {
	an     *Analyzer
	est    *Estimator
	speech [4]bool // voice activity of the hops of the latest Write, in order (a 40 ms frame has four)
	n      int
}

// NewStream makes the analyser and estimator for one stream.
func NewStream(cfg Config) (*Stream, error) {
	est, err := NewEstimator(cfg)
	if err != nil {
		return nil, err
	}
	return &Stream{an: NewAnalyzer(cfg), est: est}, nil
}

// Write analyses one frame of 8 kHz PCM and returns the voice-activity decision of each 10 ms hop it completed
// (20 ms gives two), in order. The slice is reused by the next Write. It does not allocate.
func (s *Stream) Write(frame []int16) (hopSpeech []bool) {
	s.n = 0
	for _, fr := range s.an.Process(frame) {
		s.est.Add(fr)
		if s.n < len(s.speech) {
			s.speech[s.n] = fr.Speech
			s.n++
		}
	}
	return s.speech[:s.n]
}

// Speaking reports whether the latest hop was speech.
func (s *Stream) Speaking() bool { return s.n > 0 && s.speech[s.n-1] }

// Estimator gives access to the estimator (AddWords, AddDTMF, SetBaseline, Snapshot, Summary).
func (s *Stream) Estimator() *Estimator { return s.est }

// Snapshot is Estimator().Snapshot().
func (s *Stream) Snapshot() Report { return s.est.Snapshot() }

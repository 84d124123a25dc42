package prosody

// Stream is one live analysis: an Analyzer feeding an Estimator. The media path calls Write with each 20 ms
// frame; the dialogue calls Snapshot each turn (from the same goroutine, or behind its own lock).
type Stream struct {
	an  *Analyzer
	est *Estimator
}

// NewStream makes the analyser and estimator for one stream.
func NewStream(cfg Config) (*Stream, error) {
	est, err := NewEstimator(cfg)
	if err != nil {
		return nil, err
	}
	return &Stream{an: NewAnalyzer(cfg), est: est}, nil
}

// Write analyses one frame of 8 kHz PCM and reports whether the estimate was updated. It does not allocate.
func (s *Stream) Write(frame []int16) (updated bool) {
	for _, fr := range s.an.Process(frame) {
		if s.est.Add(fr) {
			updated = true
		}
	}
	return updated
}

// Estimator gives access to the estimator (AddWords, AddDTMF, SetBaseline, Snapshot, Summary).
func (s *Stream) Estimator() *Estimator { return s.est }

// Snapshot is Estimator().Snapshot().
func (s *Stream) Snapshot() Report { return s.est.Snapshot() }

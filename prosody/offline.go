package prosody

// Analyze runs a whole recording (8 kHz mono samples in [-1, 1]) through an Analyzer and an Estimator, as
// `hotline analyze` does: baseline, when not nil, is set before the first frame; each, when not nil, sees every
// frame in order; progress, when not nil, is called now and then with the share done (0..1).
func Analyze(cfg Config, samples []float32, baseline *Profile, each func(FrameResult), progress func(float64)) (Summary, error) {
	est, err := NewEstimator(cfg)
	if err != nil {
		return Summary{}, err
	}
	if baseline != nil {
		est.SetBaseline(*baseline)
	}
	an := NewAnalyzer(cfg)
	feed := func(frs []FrameResult) {
		for _, fr := range frs {
			if each != nil {
				each(fr)
			}
			est.Add(fr)
		}
	}
	const chunk = FrameSamples
	for i := 0; i < len(samples); i += chunk {
		feed(an.ProcessFloat(samples[i:min(i+chunk, len(samples))]))
		if progress != nil && (i/chunk)%500 == 0 {
			progress(float64(i) / float64(len(samples)))
		}
	}
	feed(an.Flush())
	if progress != nil {
		progress(1)
	}
	return est.Summary(), nil
}

// ProfileSamples analyses a recording (8 kHz mono in [-1, 1]) and returns its profile, for use as a baseline.
func ProfileSamples(cfg Config, samples []float32) Profile {
	an := NewAnalyzer(cfg)
	frames := make([]FrameResult, 0, len(samples)/HopSamples+1)
	for i := 0; i < len(samples); i += FrameSamples {
		frames = append(frames, an.ProcessFloat(samples[i:min(i+FrameSamples, len(samples))])...)
	}
	frames = append(frames, an.Flush()...)
	return ProfileOf(frames)
}

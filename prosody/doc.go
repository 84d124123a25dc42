// Package prosody reads a voice from 8 kHz telephone audio: energy, voice activity, pitch (F0), voicing, speech rate
// and pauses, frame by frame and causally, and turns their deviation from the speaker's calm baseline, together with
// the words spoken, into an emotional state with level, arousal and valence. It owns the emotion report type shared
// by the dialogue, the agent bridge and the call records. It must not do I/O on the media path or depend on the SIP,
// media or recognition packages: it takes plain PCM samples and text. Pure Go, no cgo, no third-party libraries:
// the signal processing is small enough to own, and owning it keeps the per-frame path allocation-free.
//
// # Frame analysis
//
// An Analyzer takes 8 kHz int16 PCM in any chunking (the media path gives 20 ms frames of 160 samples) and emits
// one FrameResult per 10 ms hop: T (the centre of the 40 ms analysis window), F0 (0 when unvoiced), Voiced, DB
// (RMS dBFS over the central 20 ms, floored at -100), Speech (voice activity with hangover), Aperiodicity, Tilt and
// Nucleus (a syllable peak). Frames come out LookAhead (30 ms) after their time; Flush emits the rest at the end.
//
//	an := prosody.NewAnalyzer(prosody.DefaultConfig())
//	for frame := range frames { for _, fr := range an.Process(frame) { … } }   // 0 allocations
//
// Pitch is YIN searched coarse-to-fine: the normalised difference function on the signal low-passed and
// decimated to 4 kHz (a quarter of the work of a direct search), candidates chosen by depth with costs for
// octave jumps away from the previous frame and from the speaker's running pitch centre, then the best lag
// refined at 8 kHz (±3 lags, parabolic interpolation) where the octave either side is checked on the full band;
// a three-frame path smoother removes isolated voicing flips and single-frame octave spikes. Frames below
// min_speech_db are not searched. Voice activity: an adaptive noise floor (falls at once, rises slowly through
// periodic sound and fast through noise) with a margin, an absolute floor against comfort noise, and hangover.
//
// # Emotion
//
// An Estimator takes the FrameResults (Add), the caller's words (AddWords) and DTMF (AddDTMF). The baseline is a
// Profile (pitch level in semitones and range, movement, loudness and its spread, spectral tilt, syllable rate,
// voiced share, aperiodicity) set with SetBaseline (ProfileSamples of a calm recording) or taken from the first
// baseline_speech of speech. Every update_interval the window's Profile is compared with the baseline (Deviate)
// and a Model of two logistic regressions (fitted on EmoDB through the phone line; see TestEvalEmotion) gives
// arousal and anger-versus-anxiety; a weighted English and Chinese lexicon with negation (lexicon.tsv, "not
// happy", "不开心") adds to arousal, valence and the anger/anxiety balance, fading with word_half_life. The state
// (calm, anxious, angry, sad) changes only after switch_updates consecutive updates agree, with separate enter and
// leave thresholds; the level moves one step per update. Triggers record what jumped, when and what was said.
//
//	st, _ := prosody.NewStream(cfg)            // Analyzer + Estimator
//	st.Write(frame)                            // per 20 ms frame; true when the estimate was updated
//	st.Estimator().AddWords(at, "I'm not happy with this")
//	report := st.Snapshot()                    // a whole Report for the agent, with a higher Seq
//	sum := st.Estimator().Summary()            // strongest state held ≥ 0.5 s, for offline verdicts
//
// Analyze and ProfileSamples run whole recordings, as `hotline analyze` does.
package prosody

// Package dialog is hotline's voice-bot: the knowledge base, understanding what the caller asked, the per-call
// dialogue policy (answer, confirm, empathise, escalate), speech out, barge-in detection and the log of questions
// the bot could not answer.
//
// It owns: the knowledge-base format and its sample (kb/telecom.yaml, embedded), its validation and hot reload
// (KBStore); intent matching (Bot.Understand, and Bot.Decide: the one rule from utterance to act); the dialogue state machine (Conversation); the
// dialogue fields of the emotion report (transcript, intent, transfer_reason, sensitive_topics, strategy); the
// synthesiser (Flite behind an LRU Cache); the barge-in detector (BargeIn); the unanswered-question log and its
// clustering (`hotline kb suggest`).
//
// It must not: touch sockets, RTP or SIP (the call handler plays Reply.Say and performs transfers and hang-ups);
// analyse the caller's voice for emotion (it reads prosody.Report values the estimator produces); recognise speech
// (it takes the recogniser's text and confidence); block on disk or network in a caller's turn.
//
// # Driving a call
//
//	store, _ := dialog.NewKBStore(cfg.KBFile, log, metrics)     // "" = embedded sample
//	go store.Watch(ctx, cfg.KBReloadInterval)                    // hot reload; a broken file keeps the old KB
//	synth, _ := dialog.NewSynthesizer(cfg.Speech, metrics)        // flite voice + LRU cache, 8 kHz
//	bot := dialog.New(cfg, store, synth, log, dialog.WithMetrics(metrics), dialog.WithUnansweredLog(ulog))
//	go bot.Run(ctx)                                               // warms the speech cache (again after each reload)
//
//	conv := bot.NewConversation(callID, dialog.AnsweredAt(answered))
//	r := conv.Greeting()                                          // after the gateway's announcement
//	src := bot.NewSpeechSource(promptCtx, r.Say)                  // synthesises sentence by sentence
//	<-src.Ready(); session.Play(promptCtx, src, media.OnPlayStart(…)) // first sentence plays while the rest is made
//	r = conv.OnUtterance(text, asrConf, estimator.Snapshot())     // each final recognition result
//	r = conv.OnDTMF('0')                                          // 0 → agent, always
//	r = conv.OnNoInput() / conv.OnRecognitionUnavailable() / conv.NoBot()
//	if r.Transfer { hand over with r.Reason } ; if r.Hangup { say r.Say, then hang up }
//	report := conv.Report(estimator.Snapshot())                   // the emotion report with the dialogue fields
//
// While a prompt plays, feed each 20 ms caller frame with the frame sent at the same time to a per-call
// BargeIn (Reset it when a prompt starts); when Frame returns true, cancel promptCtx: the sound stops within a
// frame and synthesis stops. The detector has its own level gate rather than prosody's VAD because it must
// compare the caller's channel with what we are sending (to ignore our echo) and decide within one 20 ms frame.
//
// Reply.Act names what the bot did (answer, confirm, rephrase, empathy, transfer, goodbye, …); Reply.Reason is
// one of the transfer reasons of the design (asked_for_agent, emotion, not_understood, agent_only_topic,
// recognition_unavailable, no_bot).
//
// # Policy
//
// The caller asking for a person (or DTMF 0) transfers at once (asked_for_agent). Emotion escalates (emotion)
// after one empathy turn — the Reply says the empathy line for the strategy and transfers — when the estimator
// reports anger at level ≥ 2 on a turn, anxiety ≥ 2 on two caller turns in a row, or a non-calm level rising
// over three turns; a milder feeling gets a short acknowledgement before the first answer. Understanding with
// confidence ≥ min_confidence answers (agent-only entries say their hand-over sentence and transfer with
// agent_only_topic); between confirm_confidence and min_confidence the bot asks "Is this about …?"; below, it
// asks once to rephrase, and the second misunderstanding in a row transfers (not_understood). Answers end with
// the entry's follow-up question or "anything else?"; "no"/"that's all" says goodbye and hangs up. The strategy
// for the agent follows the strongest feeling (anger → apologise_first, anxiety → step_by_step, sadness →
// reassure), else reassure when a sensitive topic (illness, job_loss, bereavement, …) came up, else standard.
//
// # Understanding
//
// Utterances are normalised (contractions, spoken forms such as "five g" → 5G), stop words and fillers dropped,
// words stemmed and mapped through the knowledge base's synonym groups. Each remaining word is matched softly
// against the knowledge base's vocabulary — exactly, by a Metaphone-style phonetic key (recognition errors that
// sound alike), or by character-trigram overlap (half-heard or split words; Chinese by characters) — and entries
// are ranked by BM25 over those soft matches, each entry's examples and topic forming one document (its answer
// counting at a lower weight). Confidence is the IDF-weighted share of the utterance the best entry explains,
// lowered when the runner-up is close and by a low recognition confidence. A caller turn takes well under 1 ms.
//
// # Libraries
//
// flite (CMU, Debian libflite1/flite1-dev) through cgo for speech: small, fast, offline, several voices, and
// already a project dependency; its 16 kHz voices are resampled with media.Resample. gopkg.in/yaml.v3 for the
// knowledge base because its node API gives line numbers for every error. Matching, phonetic keys, barge-in
// and clustering are written here: they are small, and no maintained Go library does them for short spoken
// queries. The knowledge-base watcher polls the file's modification time and size (no fsnotify) so it also
// follows editors that replace the file and network mounts.
package dialog

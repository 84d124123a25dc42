// Package quality inspects the agent's leg of a call in real time and protects the data a call carries.
//
// It exists because quality inspection and data protection both watch the conversation without sitting in the
// media path (an "observer" in the style of pipecat): they take per-10 ms voice activity of both parties, the
// agent's recognised words, DTMF digits and text, and give back findings — live alerts for the supervisor page
// and the agent's softphone, the QA block of the call record, masked text, and a "silence the recording now"
// signal while digits are keyed.
//
// What it owns:
//   - Inspector: talk share, non-talk time (silences over 3 s), interruptions and over-talk, hold time, talk
//     speed, the agent's emotion words and risky phrases from configurable lists (promises, prohibited or
//     wrong-policy statements, taboo expressions), each with a suggested standard phrase; alerts by callback.
//   - QA and RiskyPhrase, the "qa" block of the call record (package store aliases them, so store depends on
//     quality and never the other way round).
//   - Data protection: MaskCardNumbers (13–19 digits passing Luhn with a card-network prefix, written or spoken
//     as words), a slog handler that masks logs, and DTMFGuard, which tells the call when to silence the
//     recording while digits are keyed and whether the keyed sequence was a card number.
//
// What it must not do: block or allocate per frame on the media path (Inspector.Frame is O(1) and
// allocation-free), touch the database, the network, or the recording files itself (it only says when to
// silence them), or import store.
//
// Libraries: the standard library (and yaml.v3 for phrase files). Voice activity comes from the caller of Frame:
// prosody's VAD (prosody.Analyzer's FrameResult.Speech, one decision per 10 ms) on each leg; the tests run that
// same VAD over real espeak-ng speech laid out on two legs at known offsets.
package quality

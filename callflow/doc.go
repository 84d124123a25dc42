// Package callflow is the life of one answered call, top to bottom: the observers on the caller's voice, the
// announcement, the bot's conversation, the hand-off to a person, the agent's leg, what happens when no agent can
// take the call (back to the bot, a voicemail, a REFER, goodbye), the wrap-up and the call record.
//
// It owns: the order of a call's steps (Flow.Run, readable in one function); turn-taking around the bot
// (barge-in, the no-input timer, a question asked during the announcement); which prompts the caller hears; the
// overflow policy carried out in one place (overflow); the agent leg's analysis (the agent's voice, words and
// the quality inspector); voicemail; the call record from answer to wrap-up, and the per-call metrics.
//
// It must not: parse SIP or RTP, or open sockets (it acts on a call through the narrow interfaces of Deps: the
// SIP leg, its media, the bot, the recogniser, the agent queue, the record sink); import cmd; be imported by
// agentbridge or any package below it. Each interface is defined here, where it is used, and holds only what a
// call needs: *sip.Call, *media.Session, *dialog.Bot, *agentbridge.Bridge and *store.Writer satisfy them, and
// the package's tests drive whole calls in-process against in-memory fakes of each.
//
// One owner per concept: the caller's and the agent's voice are each one prosody.Stream (analysis, emotion,
// voice activity per 10 ms hop); what the bot says is a dialog.SpeechSource (synthesised sentence by sentence,
// the echo reference for barge-in); the call has one transcript, the dialog.Conversation's, to which lines said
// outside the bot's turns (the announcement, the queue's words, caller and agent after the hand-off) are added.
//
// Time: the flow reads the time package (timers for no-input, voicemail and live updates; time.Now for the
// record's turn timings) rather than a clock of its own: its tests run each call in a testing/synctest bubble,
// which gives every one of those a virtual clock, so minutes of a call's timing are tested in milliseconds.
//
// Goroutines: Run's call owns a few per call (the listener, the live report updates, the agent leg), all stopped
// before Run returns; the Flow owns what may outlive Run (a decoder still loading, a sentence still being
// synthesised, the wait for the agent's wrap-up), stopped by Close.
package callflow

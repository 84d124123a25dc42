package dialog

import (
	"context"
	"log/slog"
	"strings"
	"time"
)

// Transfer reasons: exactly the enum of the emotion report and call record (../shared/design.md).
const (
	ReasonAskedForAgent          = "asked_for_agent"
	ReasonEmotion                = "emotion"
	ReasonNotUnderstood          = "not_understood"
	ReasonAgentOnlyTopic         = "agent_only_topic"
	ReasonRecognitionUnavailable = "recognition_unavailable"
	ReasonNoBot                  = "no_bot"
)

// Bot is the voice-bot shared by all calls: configuration, the live knowledge base, the synthesiser and the
// unanswered-question log. Each call gets its own Conversation from NewConversation.
type Bot struct {
	cfg        Config
	kb         *KBStore
	synth      Synthesizer
	log        *slog.Logger
	metrics    *Metrics
	unanswered UnansweredLog
	topics     []sensitiveTopic
}

// Option configures a Bot.
type Option func(*Bot)

// WithMetrics records the bot's metrics in m.
func WithMetrics(m *Metrics) Option { return func(b *Bot) { b.metrics = m } }

// WithUnansweredLog records the questions the knowledge base could not answer in l.
func WithUnansweredLog(l UnansweredLog) Option { return func(b *Bot) { b.unanswered = l } }

// New makes the bot. synth may be nil when only text is needed (tests, `hotline kb`); log may be nil.
func New(cfg Config, kb *KBStore, synth Synthesizer, log *slog.Logger, opts ...Option) *Bot {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bot{cfg: cfg, kb: kb, synth: synth, log: log}
	for _, o := range opts {
		o(b)
	}
	b.topics = compileTopics(cfg.SensitiveTopics)
	return b
}

// Config returns the bot's configuration.
func (b *Bot) Config() Config { return b.cfg }

// KB returns the live knowledge base.
func (b *Bot) KB() *KB { return b.kb.KB() }

// Understand matches text against the live knowledge base (no conversation state): the building block of the
// policy, exported for evaluation and tools.
func (b *Bot) Understand(text string) Match {
	start := time.Now()
	kb := b.kb.KB()
	m := kb.index.match(text)
	b.metrics.matched(time.Since(start))
	return m
}

// Phrases returns every sentence the bot may say with the live knowledge base: the fixed phrases, empathy
// lines, and each entry's answer, follow-up and confirmation question. Used to warm the synthesis cache.
func (b *Bot) Phrases() []string {
	p := b.cfg.Phrases
	out := []string{p.Greeting, p.Rephrase, p.NotUnderstood, p.AnythingElse, p.GoAhead, p.Goodbye, p.Transfer,
		p.RecognitionUnavailable, p.NoInput, p.DTMFHelp, p.DeclinedFollowUp, p.HoldApology, p.WrongGuess}
	for _, s := range b.cfg.Empathy {
		out = append(out, s.Bot, s.Prefix)
	}
	for _, e := range b.kb.KB().Entries {
		out = append(out, e.Answer)
		for _, f := range e.FollowUps {
			out = append(out, f.Ask)
		}
		out = append(out, confirmQuestion(p.Confirm, e))
	}
	var nonEmpty []string
	for _, s := range out {
		if strings.TrimSpace(s) != "" {
			nonEmpty = append(nonEmpty, s)
		}
	}
	return nonEmpty
}

// Prewarm synthesises every phrase of Phrases into the synthesiser's cache, sentence by sentence, until done or
// ctx ends. It is meant to run in the background at start and after a reload (Config.Speech.Prewarm).
func (b *Bot) Prewarm(ctx context.Context) error {
	if b.synth == nil {
		return nil
	}
	start := time.Now()
	n := 0
	ctx = Background(ctx)
	for _, p := range b.Phrases() {
		for _, s := range SplitSentences(p) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if _, err := b.synth.Synthesize(ctx, s); err != nil {
				return err
			}
			n++
		}
	}
	b.log.Info("speech cache warmed", "sentences", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func confirmQuestion(format string, e Entry) string {
	topic := e.Topic
	if topic == "" {
		topic = strings.ReplaceAll(e.ID, "_", " ")
	}
	return strings.Replace(format, "%s", topic, 1)
}

// Decision is what the bot makes of one caller utterance on its own; the conversation adds the state around it
// (a pending confirmation, yes/no, repeat, goodbye, emotion).
type Decision struct {
	// Intent is IntentAskedForAgent when the caller asks for a person, the entry the bot answers or asks about,
	// or "" when it would not claim to understand (it asks the caller to rephrase).
	Intent string
	// Confirm: not sure enough to answer (confidence between ConfirmConfidence and MinConfidence), so the bot
	// asks "Is this about …?"; the call records Intent all the same unless the caller says no.
	Confirm bool
	// Confidence is the match confidence lowered by the recogniser's.
	Confidence float64
	// Match is the knowledge-base match it rests on.
	Match Match
}

// Decide is the one rule that turns an utterance into an act: the call (Conversation), the tests and the
// evaluations all use it. asrConf is the recogniser's confidence (negative when unknown).
func (b *Bot) Decide(text string, asrConf float64) Decision {
	if control(text) == CtlAgent {
		return Decision{Intent: IntentAskedForAgent, Confidence: 1}
	}
	m := b.Understand(text)
	d := Decision{Match: m, Confidence: b.effectiveConfidence(m.Confidence, asrConf)}
	switch {
	case m.Intent == "" || d.Confidence < b.cfg.ConfirmConfidence:
	case d.Confidence < b.cfg.MinConfidence:
		d.Intent, d.Confirm = m.Intent, true
	default:
		d.Intent = m.Intent
	}
	return d
}

// Answered is the intent the bot answers without asking first ("" when it only asks "Is this about …?").
func (d Decision) Answered() string {
	if d.Confirm {
		return ""
	}
	return d.Intent
}

// Classify is the intent the bot would answer for one utterance on its own (Decide without confirmations): the
// measure of intent accuracy in tests and evaluations that count only answers.
func (b *Bot) Classify(text string, asrConf float64) (intent string, confidence float64) {
	d := b.Decide(text, asrConf)
	return d.Answered(), d.Confidence
}

// effectiveConfidence lowers the match confidence by the recogniser's (ASRConfidenceWeight).
func (b *Bot) effectiveConfidence(match, asrConf float64) float64 {
	if asrConf < 0 || asrConf > 1 {
		return match
	}
	w := b.cfg.ASRConfidenceWeight
	return match * (1 - w + w*asrConf)
}

// Run does the bot's background work until ctx ends: when Config.Speech.Prewarm is set, it warms the speech
// cache with every phrase and answer at start and again after each knowledge-base reload (at low priority: a
// caller's synthesis always goes first). Start it once, in its own goroutine, next to KBStore.Watch.
func (b *Bot) Run(ctx context.Context) {
	if !b.cfg.Speech.Prewarm || b.synth == nil {
		<-ctx.Done()
		return
	}
	reloaded := make(chan struct{}, 1)
	b.kb.OnReload(func(*KB) {
		select {
		case reloaded <- struct{}{}:
		default:
		}
	})
	for {
		if err := b.Prewarm(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("speech cache not warmed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-reloaded:
		}
	}
}

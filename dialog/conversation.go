package dialog

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotline/hotline/prosody"
)

// Reply is what the bot does after a caller turn: say something, and possibly hand the call to an agent or hang
// up after saying it.
type Reply struct {
	// Say is the text to speak ("" says nothing).
	Say string
	// Transfer asks the call handler to put the caller through to an agent after Say; Reason says why (one of
	// the Reason… constants).
	Transfer bool
	Reason   string
	// Hangup asks the call handler to hang up after Say.
	Hangup bool
	// Intent is the knowledge-base entry this turn was about ("" when none).
	Intent string
	// Confidence is the understanding's confidence for this turn (0 when it was not a question).
	Confidence float64
	// Act names what the bot did: greet, answer, confirm, rephrase, follow_up, anything_else, repeat, empathy,
	// transfer, goodbye, no_input, help, ignored.
	Act string
}

// Acts of Reply.Act.
const (
	ActGreet        = "greet"
	ActAnswer       = "answer"
	ActConfirm      = "confirm"
	ActRephrase     = "rephrase"
	ActFollowUp     = "follow_up"
	ActAnythingElse = "anything_else"
	ActRepeat       = "repeat"
	ActEmpathy      = "empathy"
	ActTransfer     = "transfer"
	ActGoodbye      = "goodbye"
	ActNoInput      = "no_input"
	ActHelp         = "help"
	ActIgnored      = "ignored"
)

// Conversation is one call's dialogue state machine. It is driven by the call handler with the caller's turns
// (text from the recogniser plus the emotion estimate at the end of the turn), DTMF digits and timeouts, and
// answers each with a Reply. It needs no audio, so the whole policy is testable with text. Its methods are safe
// for concurrent use (Report may be called from another goroutine for live updates).
type Conversation struct {
	bot    *Bot
	callID string
	start  time.Time
	now    func() time.Time

	mu                sync.Mutex
	state             convState
	lastSay           string
	pending           *Entry    // awaiting "is this about …?"
	prevIntent        string    // the call's intent before the pending guess
	followUp          *FollowUp // awaiting a yes to the last answer's follow-up
	misunderstandings int
	noInput           int
	answered          int
	emotions          []turnEmotion
	acknowledged      bool // a mild-emotion prefix was said
	transcript        []prosody.TranscriptLine
	triggers          []prosody.Trigger
	intent            string
	reason            string
	topics            []string
	done              bool
}

type convState int

const (
	stateOpen         convState = iota // waiting for a question
	stateConfirm                       // asked "is this about …?"
	stateFollowUp                      // asked the entry's follow-up question
	stateAnythingElse                  // asked "anything else?"
)

type turnEmotion struct {
	state prosody.State
	level int
}

// ConversationOption configures a Conversation.
type ConversationOption func(*Conversation)

// AnsweredAt sets the moment the call was answered (the origin of transcript times); default: now.
func AnsweredAt(t time.Time) ConversationOption { return func(c *Conversation) { c.start = t } }

// WithClock replaces time.Now (for tests that need exact transcript times).
func WithClock(now func() time.Time) ConversationOption { return func(c *Conversation) { c.now = now } }

// NewConversation starts the dialogue of one call.
func (b *Bot) NewConversation(callID string, opts ...ConversationOption) *Conversation {
	c := &Conversation{bot: b, callID: callID, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	if c.start.IsZero() {
		c.start = c.now()
	}
	return c
}

// CallID is the call this conversation belongs to.
func (c *Conversation) CallID() string { return c.callID }

// Greeting is the bot's opening line (after the gateway's announcement).
func (c *Conversation) Greeting() Reply {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.say(Reply{Say: c.bot.cfg.Phrases.Greeting, Act: ActGreet})
}

// Done reports whether the conversation has ended for the bot (transferred or hung up).
func (c *Conversation) Done() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// OnUtterance handles one caller turn: text is the recogniser's final text, conf its confidence in 0..1 (or a
// negative value when unknown, e.g. typed text), emotion the estimator's report at the end of the turn (only
// State and Level are read; the zero Report means calm).
func (c *Conversation) OnUtterance(text string, conf float64, emotion prosody.Report) Reply {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return Reply{Act: ActIgnored}
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return c.noInputLocked()
	}
	c.noInput = 0
	c.transcript = append(c.transcript, prosody.TranscriptLine{Who: "caller", At: c.at(), Text: text})
	c.noteTopics(text)
	c.noteEmotion(emotion)
	ctl := control(text)

	// The caller asking for a person always wins.
	if ctl == CtlAgent {
		return c.transfer(ReasonAskedForAgent, c.bot.cfg.Phrases.Transfer, "")
	}
	if strat, ok := c.emotionEscalation(); ok {
		say := c.bot.cfg.Empathy[strat].Bot
		return c.transfer(ReasonEmotion, say, ActEmpathy)
	}

	switch c.state {
	case stateConfirm:
		e := c.pending
		c.pending, c.state = nil, stateOpen
		switch ctl {
		case CtlYes:
			return c.answer(e, 1)
		case CtlNo:
			c.intent = c.prevIntent
			c.logUnanswered(text, conf, Match{Intent: e.ID})
			return c.misunderstoodSaying(c.bot.cfg.Phrases.WrongGuess)
		}
	case stateFollowUp:
		f := c.followUp
		c.followUp, c.state = nil, stateOpen
		switch ctl {
		case CtlYes:
			if f.Yes == FollowUpAgent {
				return c.transfer(ReasonAskedForAgent, c.bot.cfg.Phrases.Transfer, "")
			}
			if e := c.bot.kb.KB().Entry(f.Yes); e != nil {
				return c.answer(e, 1)
			}
		case CtlNo, CtlGoodbye:
			c.state = stateAnythingElse
			return c.say(Reply{Say: c.bot.cfg.Phrases.DeclinedFollowUp + " " + c.bot.cfg.Phrases.AnythingElse, Act: ActAnythingElse})
		}
	case stateAnythingElse:
		c.state = stateOpen
		switch ctl {
		case CtlYes:
			return c.say(Reply{Say: c.bot.cfg.Phrases.GoAhead, Act: ActAnythingElse})
		case CtlNo, CtlGoodbye:
			return c.goodbye()
		}
	}

	switch ctl {
	case CtlRepeat:
		say := c.lastSay
		if say == "" {
			say = c.bot.cfg.Phrases.Greeting
		}
		r := Reply{Say: say, Act: ActRepeat}
		c.bot.metrics.turn(r.Act, "")
		c.transcript = append(c.transcript, prosody.TranscriptLine{Who: "bot", At: c.at(), Text: say})
		return r
	case CtlGoodbye:
		return c.goodbye()
	case CtlYes:
		return c.say(Reply{Say: c.bot.cfg.Phrases.GoAhead, Act: ActAnythingElse})
	case CtlNo:
		if c.answered > 0 {
			return c.goodbye()
		}
	}

	d := c.bot.Decide(text, conf)
	eff := d.Confidence
	e := c.bot.kb.KB().Entry(d.Intent)
	switch {
	case e != nil && !d.Confirm:
		return c.answer(e, eff)
	case e != nil:
		// The guess is the call's intent unless the caller says no (a caller who hangs up now was most likely
		// asking about it).
		c.pending, c.state, c.prevIntent, c.intent = e, stateConfirm, c.intent, e.ID
		return c.say(Reply{Say: confirmQuestion(c.bot.cfg.Phrases.Confirm, *e), Act: ActConfirm, Intent: e.ID, Confidence: eff})
	}
	c.logUnanswered(text, conf, d.Match)
	r := c.misunderstood()
	r.Confidence = eff
	return r
}

// OnDTMF handles a key the caller pressed: 0 always puts the caller through to an agent; * repeats the last
// prompt; other keys get a short hint.
func (c *Conversation) OnDTMF(d rune) Reply {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return Reply{Act: ActIgnored}
	}
	switch d {
	case '0':
		c.triggers = append(c.triggers, prosody.Trigger{At: c.at(), Kind: prosody.TriggerDTMFZero, Text: "", Detail: "caller pressed 0"})
		return c.transfer(ReasonAskedForAgent, c.bot.cfg.Phrases.Transfer, "")
	case '*':
		if c.lastSay != "" {
			return c.say(Reply{Say: c.lastSay, Act: ActRepeat})
		}
	}
	return c.say(Reply{Say: c.bot.cfg.Phrases.DTMFHelp, Act: ActHelp})
}

// OnNoInput handles a silent timeout (TurnTaking.NoInputTimeout after the bot stopped speaking): a prompt, then
// after MaxNoInput in a row a goodbye and hang-up.
func (c *Conversation) OnNoInput() Reply {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return Reply{Act: ActIgnored}
	}
	return c.noInputLocked()
}

// OnRecognitionUnavailable hands the call over when speech recognition has failed for this call.
func (c *Conversation) OnRecognitionUnavailable() Reply {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return Reply{Act: ActIgnored}
	}
	return c.transfer(ReasonRecognitionUnavailable, c.bot.cfg.Phrases.RecognitionUnavailable, "")
}

// NoBot records that the configuration sends the call straight to the agents (reason no_bot); it says nothing.
func (c *Conversation) NoBot() Reply {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return Reply{Act: ActIgnored}
	}
	return c.transfer(ReasonNoBot, "", "")
}

// Report returns voice (the emotion estimator's report) with the dialogue's fields filled in: transcript, intent,
// transfer reason, sensitive topics and strategy; the DTMF-0 triggers are added to the voice triggers.
func (c *Conversation) Report(voice prosody.Report) prosody.Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := voice
	if r.CallID == "" {
		r.CallID = c.callID
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = c.start
	}
	if r.State == "" {
		r.State = prosody.Calm
	}
	r.Transcript = append([]prosody.TranscriptLine{}, c.transcript...)
	r.Triggers = append(append([]prosody.Trigger{}, voice.Triggers...), c.triggers...)
	r.Intent = c.intent
	r.TransferReason = c.reason
	r.SensitiveTopics = append([]string{}, c.topics...)
	id := c.strategyID(voice)
	r.Strategy = prosody.Strategy{ID: id, Say: c.bot.cfg.Empathy[id].Agent}
	return r
}

// Intent is the call's intent so far: the last knowledge-base entry the caller asked about.
func (c *Conversation) Intent() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.intent
}

// TransferReason is why the call was handed over ("" while the bot has it).
func (c *Conversation) TransferReason() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reason
}

// Transcript is what was said so far, caller and bot, with seconds since the answer.
func (c *Conversation) Transcript() []prosody.TranscriptLine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]prosody.TranscriptLine{}, c.transcript...)
}

// AddLine adds to the call's one transcript a line said outside the bot's turns: the announcement, the queue's
// announcements, the caller and the agent after the hand-off. Lines are kept in time order (a recogniser's final
// result may arrive after a later line was added).
func (c *Conversation) AddLine(line prosody.TranscriptLine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := len(c.transcript)
	for i > 0 && c.transcript[i-1].At > line.At {
		i--
	}
	c.transcript = slices.Insert(c.transcript, i, line)
}

// AnsweredQuestions is how many knowledge-base answers the bot gave (for the bot_resolved outcome).
func (c *Conversation) AnsweredQuestions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answered
}

// --- helpers; all run with c.mu held ---

func (c *Conversation) at() float64 { return c.now().Sub(c.start).Seconds() }

// say records a bot line and returns r.
func (c *Conversation) say(r Reply) Reply {
	if r.Say != "" {
		c.lastSay = r.Say
		c.transcript = append(c.transcript, prosody.TranscriptLine{Who: "bot", At: c.at(), Text: r.Say})
	}
	c.bot.metrics.turn(r.Act, r.Reason)
	c.bot.log.Debug("bot turn", "call_id", c.callID, "act", r.Act, "intent", r.Intent, "confidence", r.Confidence,
		"transfer", r.Reason, "say", r.Say)
	return r
}

func (c *Conversation) answer(e *Entry, conf float64) Reply {
	c.misunderstandings = 0
	c.intent = e.ID
	if e.NeedsAgent {
		r := c.transfer(ReasonAgentOnlyTopic, e.Answer, "")
		r.Intent, r.Confidence = e.ID, conf
		return r
	}
	c.answered++
	say := e.Answer
	if p := c.mildPrefix(); p != "" {
		say = p + " " + say
	}
	if len(e.FollowUps) > 0 {
		c.followUp, c.state = &e.FollowUps[0], stateFollowUp
		say += " " + e.FollowUps[0].Ask
	} else {
		c.state = stateAnythingElse
		say += " " + c.bot.cfg.Phrases.AnythingElse
	}
	return c.say(Reply{Say: say, Act: ActAnswer, Intent: e.ID, Confidence: conf})
}

func (c *Conversation) misunderstood() Reply {
	return c.misunderstoodSaying(c.bot.cfg.Phrases.Rephrase)
}

// misunderstoodSaying counts a misunderstanding and asks the caller to rephrase with say, or hands the call over
// after too many.
func (c *Conversation) misunderstoodSaying(say string) Reply {
	c.misunderstandings++
	c.state = stateOpen
	if c.misunderstandings >= c.bot.cfg.MaxMisunderstandings {
		return c.transfer(ReasonNotUnderstood, c.bot.cfg.Phrases.NotUnderstood, "")
	}
	return c.say(Reply{Say: say, Act: ActRephrase})
}

func (c *Conversation) transfer(reason, say, act string) Reply {
	if act == "" {
		act = ActTransfer
	}
	c.done = true
	if c.reason == "" {
		c.reason = reason
	}
	c.bot.log.Info("bot hands the call over", "call_id", c.callID, "reason", reason, "intent", c.intent)
	return c.say(Reply{Say: say, Transfer: true, Reason: reason, Act: act, Intent: c.intent})
}

func (c *Conversation) goodbye() Reply {
	c.done = true
	return c.say(Reply{Say: c.bot.cfg.Phrases.Goodbye, Hangup: true, Act: ActGoodbye})
}

func (c *Conversation) noInputLocked() Reply {
	c.noInput++
	if c.noInput > c.bot.cfg.MaxNoInput {
		return c.goodbye()
	}
	return c.say(Reply{Say: c.bot.cfg.Phrases.NoInput, Act: ActNoInput})
}

func (c *Conversation) logUnanswered(text string, conf float64, m Match) {
	if c.bot.unanswered == nil {
		return
	}
	q := Unanswered{Time: c.now().UTC(), CallID: c.callID, Text: text, ASRConfidence: conf,
		BestIntent: m.Intent, Confidence: m.Confidence}
	// Implementations must not block (see UnansweredLog); the timeout bounds a misbehaving one.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := c.bot.unanswered.LogUnanswered(ctx, q); err != nil {
		c.bot.log.Warn("unanswered question not logged", "call_id", q.CallID, "err", err)
	}
}

package dialog

import (
	"strings"
	"testing"

	"github.com/hotline/hotline/prosody"
)

func testBot(t testing.TB, opts ...Option) *Bot {
	t.Helper()
	store, err := NewKBStore("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return New(DefaultConfig(), store, nil, nil, opts...)
}

// turn is one step of a scripted call: the caller says Text (with voice Emotion), or presses Key.
type turn struct {
	text    string
	key     rune
	emotion prosody.Report
	// what the bot must do on this step
	act      string
	reason   string // transfer reason, "" when no transfer
	intent   string
	sayHas   string
	hangup   bool
	noReason bool // the call must not be transferred on this step
}

func feel(s prosody.State, level int) prosody.Report { return prosody.Report{State: s, Level: level} }

func TestPolicy(t *testing.T) {
	calm := prosody.Report{}
	cases := []struct {
		name  string
		turns []turn
		// the finished call's report fields
		reason, intent, strategy string
		topics                   []string
	}{
		{name: "caller asks for a person", turns: []turn{
			{text: "can I talk to a real person please", act: ActTransfer, reason: ReasonAskedForAgent},
		}, reason: ReasonAskedForAgent, strategy: StrategyStandard},
		{name: "DTMF 0 always reaches an agent", turns: []turn{
			{text: "how much data have I got left", act: ActAnswer, intent: "data_balance"},
			{key: '0', act: ActTransfer, reason: ReasonAskedForAgent},
		}, reason: ReasonAskedForAgent, intent: "data_balance"},
		{name: "a routine question is answered, then the caller says goodbye", turns: []turn{
			{text: "how do I turn on wifi calling", act: ActAnswer, intent: "wifi_calling", sayHas: "Wi-Fi calling is free"},
			{text: "no that's all thanks", act: ActGoodbye, hangup: true},
		}, intent: "wifi_calling", strategy: StrategyStandard},
		{name: "two misunderstandings: rephrase once, then transfer", turns: []turn{
			{text: "the purple elephant sings at midnight", act: ActRephrase, noReason: true},
			{text: "bananas are yellow on tuesdays", act: ActTransfer, reason: ReasonNotUnderstood},
		}, reason: ReasonNotUnderstood},
		{name: "a misunderstanding followed by an answer resets the count", turns: []turn{
			{text: "the purple elephant sings at midnight", act: ActRephrase},
			{text: "how much data have I got left", act: ActAnswer, intent: "data_balance"},
			{text: "yes", act: ActAnythingElse},
			{text: "bananas are yellow on tuesdays", act: ActRephrase, noReason: true},
		}},
		{name: "anger at level 2: one empathy turn, then the transfer", turns: []turn{
			{text: "why is my bill so high this month", emotion: feel(prosody.Angry, 2), act: ActEmpathy, reason: ReasonEmotion, sayHas: "sorry"},
		}, reason: ReasonEmotion, strategy: StrategyApologiseFirst},
		{name: "anger at level 1 is acknowledged but answered", turns: []turn{
			{text: "why is my bill so high this month", emotion: feel(prosody.Angry, 1), act: ActAnswer, intent: "bill_high", sayHas: "I'm sorry for the trouble"},
		}, intent: "bill_high", strategy: StrategyApologiseFirst},
		{name: "anxious at level 2 once is answered, twice in a row escalates", turns: []turn{
			{text: "my phone was stolen", emotion: calm, act: ActTransfer, reason: ReasonAgentOnlyTopic},
		}, reason: ReasonAgentOnlyTopic, intent: "lost_stolen"},
		{name: "anxious twice in a row", turns: []turn{
			{text: "I have no signal at all", emotion: feel(prosody.Anxious, 2), act: ActAnswer, intent: "outage"},
			{text: "nothing works since this morning", emotion: feel(prosody.Anxious, 2), act: ActEmpathy, reason: ReasonEmotion},
		}, reason: ReasonEmotion, intent: "outage", strategy: StrategyStepByStep},
		{name: "anxious, calm, anxious does not escalate", turns: []turn{
			{text: "how do I turn on wifi calling", emotion: feel(prosody.Anxious, 2), act: ActAnswer},
			{text: "yes", emotion: calm, act: ActAnythingElse},
			{text: "how do I check my voicemail", emotion: feel(prosody.Anxious, 2), act: ActAnswer, noReason: true},
		}},
		{name: "a level rising over three turns escalates", turns: []turn{
			{text: "how much data do I have left", emotion: calm, act: ActAnswer},
			{text: "yes", emotion: feel(prosody.Sad, 1), act: ActAnythingElse},
			{text: "how do I top up my pay as you go", emotion: feel(prosody.Sad, 2), act: ActEmpathy, reason: ReasonEmotion},
		}, reason: ReasonEmotion, strategy: StrategyReassure},
		{name: "agent-only entry", turns: []turn{
			{text: "I want to cancel my contract", act: ActTransfer, reason: ReasonAgentOnlyTopic, intent: "cancel_service"},
		}, reason: ReasonAgentOnlyTopic, intent: "cancel_service"},
		{name: "a follow-up accepted leads to the next answer", turns: []turn{
			{text: "what is my current balance", act: ActAnswer, intent: "bill_amount", sayHas: "ways to pay"},
			{text: "yes please", act: ActAnswer, intent: "pay_bill"},
		}, intent: "pay_bill"},
		{name: "a follow-up offering an agent, accepted", turns: []turn{
			{text: "I can't pay my bill in full this month", act: ActAnswer, intent: "payment_arrangement"},
			{text: "yes", act: ActTransfer, reason: ReasonAskedForAgent},
		}, reason: ReasonAskedForAgent, intent: "payment_arrangement"},
		{name: "say that again repeats the last answer", turns: []turn{
			{text: "how do I set up my voicemail", act: ActAnswer, sayHas: "call 1 2 1"},
			{text: "sorry can you say that again", act: ActRepeat, sayHas: "call 1 2 1"},
		}},
		{name: "sensitive topics are listed for the agent", turns: []turn{
			{text: "I lost my job last month and can't afford my bill", act: "", noReason: true},
			{text: "my husband passed away and the phone was in his name", act: ""},
			{text: "operator", act: ActTransfer, reason: ReasonAskedForAgent},
		}, reason: ReasonAskedForAgent, strategy: StrategyReassure, topics: []string{"job_loss", "financial_hardship", "bereavement"}},
		{name: "other keys get a hint", turns: []turn{
			{key: '5', act: ActHelp, sayHas: "press 0"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bot := testBot(t)
			conv := bot.NewConversation("call-" + strings.ReplaceAll(c.name, " ", "-"))
			if g := conv.Greeting(); g.Act != ActGreet || g.Say == "" {
				t.Fatalf("greeting: %+v", g)
			}
			for i, tu := range c.turns {
				var r Reply
				if tu.key != 0 {
					r = conv.OnDTMF(tu.key)
				} else {
					r = conv.OnUtterance(tu.text, -1, tu.emotion)
				}
				where := func() string { return strings.Join([]string{c.turns[i].text, string(c.turns[i].key)}, "") }
				if tu.act != "" && r.Act != tu.act {
					t.Errorf("turn %d (%q): act %q, want %q (reply %+v)", i, where(), r.Act, tu.act, r)
				}
				if tu.reason != "" && (!r.Transfer || r.Reason != tu.reason) {
					t.Errorf("turn %d (%q): transfer=%v reason %q, want %q", i, where(), r.Transfer, r.Reason, tu.reason)
				}
				if tu.noReason && r.Transfer {
					t.Errorf("turn %d (%q): transferred (%s), want no transfer", i, where(), r.Reason)
				}
				if tu.intent != "" && r.Intent != tu.intent {
					t.Errorf("turn %d (%q): intent %q, want %q", i, where(), r.Intent, tu.intent)
				}
				if tu.sayHas != "" && !strings.Contains(r.Say, tu.sayHas) {
					t.Errorf("turn %d (%q): said %q, want it to contain %q", i, where(), r.Say, tu.sayHas)
				}
				if tu.hangup != r.Hangup {
					t.Errorf("turn %d (%q): hangup=%v, want %v", i, where(), r.Hangup, tu.hangup)
				}
				if r.Say == "" && r.Act != ActIgnored {
					t.Errorf("turn %d (%q): the bot said nothing (%+v)", i, where(), r)
				}
			}
			rep := conv.Report(prosody.Report{})
			if rep.TransferReason != c.reason {
				t.Errorf("report transfer_reason %q, want %q", rep.TransferReason, c.reason)
			}
			if c.intent != "" && rep.Intent != c.intent {
				t.Errorf("report intent %q, want %q", rep.Intent, c.intent)
			}
			if c.strategy != "" && rep.Strategy.ID != c.strategy {
				t.Errorf("report strategy %q, want %q", rep.Strategy.ID, c.strategy)
			}
			if c.strategy != "" && c.strategy != StrategyStandard && rep.Strategy.Say == "" {
				t.Errorf("strategy %q has no suggested first sentence", rep.Strategy.ID)
			}
			for _, tp := range c.topics {
				if !contains(rep.SensitiveTopics, tp) {
					t.Errorf("sensitive_topics %v lacks %q", rep.SensitiveTopics, tp)
				}
			}
			if len(rep.Transcript) < 2*len(c.turns) {
				t.Errorf("transcript has %d lines for %d turns and a greeting", len(rep.Transcript), len(c.turns))
			}
		})
	}
}

func TestAfterTransferTheBotStaysQuiet(t *testing.T) {
	conv := testBot(t).NewConversation("c1")
	if r := conv.OnDTMF('0'); !r.Transfer {
		t.Fatalf("DTMF 0: %+v", r)
	}
	for _, r := range []Reply{conv.OnUtterance("hello?", 0.9, prosody.Report{}), conv.OnDTMF('0'), conv.OnNoInput()} {
		if r.Act != ActIgnored || r.Say != "" {
			t.Errorf("after the transfer the bot replied %+v", r)
		}
	}
}

func TestRecognitionUnavailableHandsOver(t *testing.T) {
	conv := testBot(t).NewConversation("c2")
	conv.Greeting()
	r := conv.OnRecognitionUnavailable()
	if !r.Transfer || r.Reason != ReasonRecognitionUnavailable || r.Say == "" {
		t.Fatalf("reply %+v", r)
	}
	if got := conv.Report(prosody.Report{}).TransferReason; got != ReasonRecognitionUnavailable {
		t.Fatalf("report reason %q", got)
	}
}

func TestSilenceIsPromptedThenTheBotSaysGoodbye(t *testing.T) {
	conv := testBot(t).NewConversation("c3")
	conv.Greeting()
	for i := 0; i < DefaultConfig().MaxNoInput; i++ {
		if r := conv.OnNoInput(); r.Act != ActNoInput || r.Hangup {
			t.Fatalf("no-input %d: %+v", i, r)
		}
	}
	if r := conv.OnNoInput(); !r.Hangup {
		t.Fatalf("after %d silent prompts the bot did not hang up: %+v", DefaultConfig().MaxNoInput, r)
	}
}

func TestMediumConfidenceIsConfirmedBeforeAnswering(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MinConfidence, cfg.ConfirmConfidence = 0.99, 0.05 // force the confirm band
	store, _ := NewKBStore("", nil, nil)
	conv := New(cfg, store, nil, nil).NewConversation("c4")
	r := conv.OnUtterance("how do I set up wifi calling", 0, prosody.Report{})
	if r.Act != ActConfirm || r.Intent != "wifi_calling" || !strings.Contains(r.Say, "Wi-Fi calling") {
		t.Fatalf("want a confirmation about Wi-Fi calling, got %+v", r)
	}
	if r := conv.OnUtterance("yes", -1, prosody.Report{}); r.Act != ActAnswer || r.Intent != "wifi_calling" {
		t.Fatalf("after yes: %+v", r)
	}
	conv = New(cfg, store, nil, nil).NewConversation("c5")
	conv.OnUtterance("how do I set up wifi calling", 0, prosody.Report{})
	// "No" was heard: the bot owns its wrong guess rather than claim it did not catch the caller.
	if r := conv.OnUtterance("no", -1, prosody.Report{}); r.Act != ActRephrase || r.Say != cfg.Phrases.WrongGuess {
		t.Fatalf("after no: %+v", r)
	}
}

func TestLowRecognitionConfidenceLowersTheMatch(t *testing.T) {
	bot := testBot(t)
	sure := bot.NewConversation("a").OnUtterance("how do I turn on wifi calling", 1, prosody.Report{})
	unsure := bot.NewConversation("b").OnUtterance("how do I turn on wifi calling", 0, prosody.Report{})
	if !(unsure.Confidence < sure.Confidence) {
		t.Fatalf("confidence with asr conf 0 (%v) should be below asr conf 1 (%v)", unsure.Confidence, sure.Confidence)
	}
}

func TestControlPhrases(t *testing.T) {
	cases := []struct {
		text string
		want Control
	}{
		{"yes", CtlYes}, {"yeah sure", CtlYes}, {"yes please", CtlYes}, {"okay", CtlYes},
		{"no", CtlNo}, {"nope", CtlNo}, {"no not really", CtlNo},
		{"no thanks that's all", CtlGoodbye}, {"thank you bye", CtlGoodbye}, {"that's it thanks", CtlGoodbye},
		{"say that again", CtlRepeat}, {"sorry I didn't catch that", CtlRepeat}, {"pardon", CtlRepeat},
		{"can I talk to a real person", CtlAgent}, {"agent", CtlAgent}, {"representative please", CtlAgent},
		{"put me through to someone", CtlAgent}, {"I want to speak to a human", CtlAgent},
		{"can I have a word with a manager", CtlAgent}, {"I want to speak to Dave in billing", CtlAgent},
		{"is there a real person there", CtlAgent}, {"customer service", CtlAgent}, {"transfer me please", CtlAgent},
		{"I don't want a machine, a human being please", CtlAgent},
		{"can I transfer my number to you", CtlNone}, {"is there a real problem with the network", CtlNone},
		{"I'd like to talk to you about roaming", CtlNone},
		{"somebody stole my phone", CtlNone}, {"yes I want to know about roaming charges in Spain", CtlNone},
		{"how do I pay my bill", CtlNone}, {"I have no signal", CtlNone},
	}
	for _, c := range cases {
		if got := control(c.text); got != c.want {
			t.Errorf("control(%q) = %v, want %v", c.text, got, c.want)
		}
	}
}

func BenchmarkConversationTurn(b *testing.B) {
	bot := testBot(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		conv := bot.NewConversation("bench")
		conv.OnUtterance("how much does roaming cost in Spain", 0.8, prosody.Report{State: prosody.Anxious, Level: 1})
	}
}

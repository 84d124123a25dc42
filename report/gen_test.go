package report

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/quality"
	"github.com/hotline/hotline/store"
)

// The generated month: November 2026 (UTC), 30 days of calls from a seeded random source, shaped like a small
// operator's hotline, with one constructed surge (17 Nov 14:00–15:00: the recogniser misses an accent and a crowd
// of roaming callers is escalated as not_understood) and three agents of different quality (alice careful, chen
// average, bob who promises and interrupts).
var (
	monthFrom = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	monthTo   = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	surgeHour = time.Date(2026, 11, 17, 14, 0, 0, 0, time.UTC)
)

type agentStyle struct {
	name                 string
	risky, interrupt     float64 // chance per call of a risky phrase, mean interruptions
	wpm, share, calmRate float64
}

var styles = []agentStyle{
	{"alice", 0.03, 0.2, 150, 0.45, 0.8},
	{"chen", 0.15, 0.8, 165, 0.55, 0.6},
	{"bob", 0.55, 2.5, 205, 0.72, 0.3},
}

var questions = [][]string{
	{"do you sell iphones", "can I buy an iphone from you", "which iphone models do you sell", "is the new iphone in stock"},
	{"is there 5g coverage in my village", "when will 5g reach my town", "do you have 5g in the countryside"},
	{"can I keep my number when I move abroad", "how do I port my number to another country"},
	{"do you offer a student discount", "is there a discount for students"},
}

var intents = []string{"billing_dispute", "roaming_charges", "no_signal", "plan_change", "contract_end", "sim_lost"}

// generateMonth returns the month's calls and unanswered questions.
func generateMonth() ([]store.Call, []store.Unanswered) {
	rng := rand.New(rand.NewSource(7))
	var calls []store.Call
	var unanswered []store.Unanswered
	n := 0
	for day := monthFrom; day.Before(monthTo); day = day.AddDate(0, 0, 1) {
		perDay := 30 + rng.Intn(15)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			perDay = 12 + rng.Intn(6)
		}
		for i := 0; i < perDay; i++ {
			start := day.Add(time.Duration(8*3600+rng.Intn(11*3600)) * time.Second)
			calls = append(calls, genCall(rng, &n, start, ""))
		}
	}
	// The surge: 12 roaming callers not understood within the hour.
	for i := 0; i < 12; i++ {
		start := surgeHour.Add(time.Duration(rng.Intn(3600)) * time.Second)
		calls = append(calls, genCall(rng, &n, start, store.ReasonNotUnderstood))
	}
	for _, c := range calls {
		for _, q := range c.Unanswered {
			unanswered = append(unanswered, store.Unanswered{CallID: c.ID, Text: q, At: c.StartedAt.Add(20 * time.Second)})
		}
	}
	return calls, unanswered
}

func genCall(rng *rand.Rand, n *int, start time.Time, forceReason string) store.Call {
	*n++
	c := store.Call{ID: fmt.Sprintf("call-%05d", *n), SIPCallID: fmt.Sprintf("%08x@127.0.0.1", rng.Uint32()),
		Caller: fmt.Sprintf("sip:+1555%07d@127.0.0.1", rng.Intn(10000000)), StartedAt: start, SIPStatus: 200,
		Intent: intents[rng.Intn(len(intents))], EndCause: "caller_bye"}
	if forceReason != "" {
		c.Intent = "roaming_charges"
	}
	upset := rng.Float64() < 0.3
	startState := store.EmotionPoint{State: prosody.Calm, At: 4}
	if upset {
		startState = store.EmotionPoint{State: []prosody.State{prosody.Angry, prosody.Anxious, prosody.Sad}[rng.Intn(3)],
			Level: 1 + rng.Intn(3), At: 4}
	}
	end := startState
	end.At = 60
	dur := time.Duration(40+rng.Intn(200)) * time.Second
	r := rng.Float64()
	switch {
	case forceReason != "":
		c.TransferReason = forceReason
	case r < 0.02:
		c.Outcome, c.SIPStatus, c.EndCause = store.OutcomeFailed, 500, "rtp_timeout"
	case r < 0.07:
		c.Outcome = store.OutcomeAbandoned // hung up before any answer
	case r < 0.60:
		c.Outcome = store.OutcomeBotResolved
		if upset && rng.Float64() < 0.4 {
			end = store.EmotionPoint{State: prosody.Calm, At: 60}
		}
	default:
		reasons := []string{store.ReasonAskedForAgent, store.ReasonAskedForAgent, store.ReasonAskedForAgent,
			store.ReasonEmotion, store.ReasonNotUnderstood, store.ReasonAgentOnlyTopic, store.ReasonAgentOnlyTopic,
			store.ReasonRecognitionUnavailable}
		c.TransferReason = reasons[rng.Intn(len(reasons))]
		if c.TransferReason == store.ReasonEmotion && !upset {
			upset = true
			startState = store.EmotionPoint{State: prosody.Angry, Level: 2, At: 4}
			end = startState
		}
	}
	if c.TransferReason != "" {
		c.WaitMS = int64(5000 + rng.Intn(60000))
		if rng.Float64() < 0.12 {
			c.Outcome = store.OutcomeAbandoned // gave up waiting
		} else {
			c.Outcome = store.OutcomeTransferred
			st := styles[rng.Intn(len(styles))]
			c.Agent = st.name
			c.RingMS = int64(1500 + rng.Intn(8000))
			c.QA = genQA(rng, st, dur)
			if upset && rng.Float64() < st.calmRate {
				end = store.EmotionPoint{State: prosody.Calm, At: 200}
			} else if upset && rng.Float64() < 0.3 {
				end.Level = min(3, end.Level+1)
			}
			c.Disposition = "resolved"
			if c.WaitMS > 62000 { // waited past max_wait: the caller left a message (no random draw, same month)
				c.Agent, c.RingMS, c.QA, c.Disposition = "", 0, store.QA{}, ""
				c.Voicemail = &store.Voicemail{Path: "voicemail/" + c.ID + ".wav", At: 70, DurationMS: 21000}
			}
		}
	}
	c.EmotionStart, c.EmotionEnd = &startState, &end
	c.EndedAt = start.Add(dur + time.Duration(c.WaitMS)*time.Millisecond)
	for t := 0; t < 1+rng.Intn(3); t++ {
		base := int64(3000 + t*9000)
		c.Turns = append(c.Turns, store.Turn{CallerSpeechEndMS: base, ASRFinalMS: base + 250, ReplyChosenMS: base + 290,
			BotAudioStartMS: base + 500 + int64(rng.Intn(400))})
	}
	if rng.Float64() < 0.12 {
		g := questions[rng.Intn(len(questions))]
		c.Unanswered = []string{g[rng.Intn(len(g))]}
	}
	return c
}

func genQA(rng *rand.Rand, st agentStyle, dur time.Duration) store.QA {
	q := store.QA{TalkShareAgent: round3(st.share + (rng.Float64()-0.5)*0.1), NonTalkMS: int64(rng.Intn(15000)),
		Interruptions: rng.Intn(int(st.interrupt*2) + 1), AgentWPM: float64(int(st.wpm) + rng.Intn(20) - 10),
		DurationMS: dur.Milliseconds()}
	if rng.Float64() < st.risky {
		rules := quality.DefaultPhrases()
		r := rules[rng.Intn(len(rules))]
		q.RiskyPhrases = []store.RiskyPhrase{{At: 30, Kind: r.Kind, Phrase: r.Phrase, Text: r.Phrase, Suggestion: r.Suggestion}}
	}
	q.TalkShareCaller = round3(1 - q.TalkShareAgent)
	q.Score = quality.Score(q, quality.DefaultConfig())
	return q
}

var month struct {
	once sync.Once
	dir  string
	s    store.Store
	err  error
}

// monthStore is a SQLite store holding the generated month, written once through the real Writer and shared
// by the tests (read-only); TestMain removes it.
func monthStore(t *testing.T) store.Store {
	t.Helper()
	month.once.Do(func() { month.s, month.err = fillMonth() })
	if month.err != nil {
		t.Fatal(month.err)
	}
	return month.s
}

func TestMain(m *testing.M) {
	code := m.Run()
	if month.s != nil {
		month.s.Close()
	}
	if month.dir != "" {
		os.RemoveAll(month.dir)
	}
	os.Exit(code)
}

func fillMonth() (store.Store, error) {
	dir, err := os.MkdirTemp("", "hotline-report-test-")
	if err != nil {
		return nil, err
	}
	month.dir = dir
	cfg := store.DefaultConfig()
	cfg.DataDir = dir
	s, err := store.Open(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	calls, unanswered := generateMonth()
	w := store.NewWriter(s, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for i := range calls {
		for !w.Enqueue(&calls[i]) {
			time.Sleep(time.Millisecond)
		}
	}
	for _, u := range unanswered {
		if err := s.AddUnanswered(context.Background(), u.CallID, u.Text, u.At); err != nil {
			return s, err
		}
	}
	fctx, fcancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer fcancel()
	return s, w.Flush(fctx)
}

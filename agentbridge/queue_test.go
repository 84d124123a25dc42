package agentbridge

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/hotline/hotline/prosody"
)

func TestSkillsMatch(t *testing.T) {
	for _, tc := range []struct {
		name            string
		agent, required []string
		want            bool
	}{
		{"agent without skills takes any call", nil, []string{"fr", "billing"}, true},
		{"call without requirements goes to anyone", []string{"en"}, nil, true},
		{"agent with every required skill", []string{"en", "billing", "tech"}, []string{"billing", "en"}, true},
		{"case does not matter", []string{"EN"}, []string{"en"}, true},
		{"agent missing one skill", []string{"en"}, []string{"en", "billing"}, false},
		{"other language", []string{"fr"}, []string{"en"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := skillsMatch(tc.agent, tc.required); got != tc.want {
				t.Errorf("skillsMatch(%v, %v) = %v, want %v", tc.agent, tc.required, got, tc.want)
			}
		})
	}
}

func TestBusinessHours(t *testing.T) {
	day := func(wd time.Weekday, hh, mm int) time.Time {
		// 2026-11-23 is a Monday.
		return time.Date(2026, 11, 22+int(wd), hh, mm, 0, 0, time.UTC)
	}
	for _, tc := range []struct {
		name string
		bh   BusinessHours
		at   time.Time
		want bool
	}{
		{"no hours: always open", BusinessHours{}, day(time.Sunday, 3, 0), true},
		{"inside weekday hours", BusinessHours{Timezone: "UTC", Days: []string{"mon", "fri"}, Open: "08:00", Close: "18:00"}, day(time.Monday, 9, 30), true},
		{"before opening", BusinessHours{Timezone: "UTC", Open: "08:00", Close: "18:00"}, day(time.Monday, 7, 59), false},
		{"closing time is closed", BusinessHours{Timezone: "UTC", Open: "08:00", Close: "18:00"}, day(time.Monday, 18, 0), false},
		{"day not listed", BusinessHours{Timezone: "UTC", Days: []string{"mon"}, Open: "08:00", Close: "18:00"}, day(time.Tuesday, 10, 0), false},
		{"night shift after midnight belongs to the day it started", BusinessHours{Timezone: "UTC", Days: []string{"fri"}, Open: "22:00", Close: "06:00"}, day(time.Saturday, 2, 0), true},
		{"night shift of an unlisted day", BusinessHours{Timezone: "UTC", Days: []string{"fri"}, Open: "22:00", Close: "06:00"}, day(time.Sunday, 2, 0), false},
		{"time zone applies", BusinessHours{Timezone: "Asia/Shanghai", Open: "09:00", Close: "17:00"}, day(time.Monday, 2, 0), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := tc.bh.compile()
			if err != nil {
				t.Fatal(err)
			}
			if got := h.isOpen(tc.at); got != tc.want {
				t.Errorf("isOpen(%v) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestCallRingsTheLongestIdleAgent(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("first", "password1", RoleAgent)
	h.addAccount("second", "password2", RoleAgent)
	p1 := h.openPage("first", "password1")
	time.Sleep(20 * time.Millisecond)
	p2 := h.openPage("second", "password2")

	done, _, _ := h.enqueue("c1")
	var r ringData
	p1.expect("ring", 5*time.Second, &r)
	if r.CallID != "c1" || r.Report.State != prosody.Anxious || r.Report.TransferReason != "asked_for_agent" {
		t.Errorf("ring = %+v, want call c1 with the anxious report", r)
	}
	p2.none("ring", 300*time.Millisecond)

	// While first is busy with c1, the next call goes to second.
	p1.send(map[string]any{"type": "answer", "call_id": "c1", "offer_id": r.OfferID})
	p1.expect("rtc_offer", 5*time.Second)
	done2, _, _ := h.enqueue("c2")
	p2.expect("ring", 5*time.Second, &r)
	if r.CallID != "c2" {
		t.Errorf("second got %s, want c2", r.CallID)
	}
	p1.send(map[string]any{"type": "hangup", "call_id": "c1"})
	if res := wait(t, done, 5*time.Second); res.out.Result != ResultCompleted || res.out.Agent != "first" {
		t.Errorf("c1 outcome = %+v, want completed by first", res.out)
	}
	p2.send(map[string]any{"type": "decline", "call_id": "c2", "offer_id": r.OfferID})
	_ = done2
}

func TestCallNeedingASkillRingsOnlyAgentsWithIt(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("english", "password1", RoleAgent, "en")
	h.addAccount("french", "password2", RoleAgent, "fr", "billing")
	pe := h.openPage("english", "password1") // longest idle, but without the skill
	time.Sleep(20 * time.Millisecond)
	pf := h.openPage("french", "password2")

	h.enqueue("fr1", "fr", "billing")
	var r ringData
	pf.expect("ring", 5*time.Second, &r)
	if r.CallID != "fr1" {
		t.Errorf("french got %q, want fr1", r.CallID)
	}
	pe.none("ring", 300*time.Millisecond)

	// A skill nobody logged in has: overflow at once.
	done, _, _ := h.enqueue("de1", "de")
	res := wait(t, done, 3*time.Second)
	if res.out.Result != ResultOverflow || res.out.Reason != ReasonNoAgents || res.out.Next != NextBot {
		t.Errorf("de1 outcome = %+v, want overflow/no_agents/bot", res.out)
	}
}

func TestRingTimeoutMovesToTheNextAgentAndSetsTheFirstAway(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RingTimeout = 400 * time.Millisecond }, Hooks{})
	h.addAccount("slow", "password1", RoleAgent)
	h.addAccount("quick", "password2", RoleAgent)
	ps := h.openPage("slow", "password1")
	time.Sleep(20 * time.Millisecond)
	pq := h.openPage("quick", "password2")

	done, _, _ := h.enqueue("c1")
	ps.expect("ring", 5*time.Second)
	var cancel msgRingCancel
	ps.expect("ring_cancel", 5*time.Second, &cancel)
	if cancel.Reason != "timeout" {
		t.Errorf("slow's ring ended with %q, want timeout", cancel.Reason)
	}
	var pres msgPresence
	ps.expect("presence", time.Second, &pres)
	if pres.Value != PresenceAway {
		t.Errorf("slow's presence = %q, want away after a missed ring", pres.Value)
	}
	var r ringData
	pq.expect("ring", 5*time.Second, &r)
	pq.send(map[string]any{"type": "answer", "call_id": "c1", "offer_id": r.OfferID})
	pq.expect("rtc_offer", 5*time.Second)
	pq.send(map[string]any{"type": "hangup", "call_id": "c1"})
	res := wait(t, done, 5*time.Second)
	if res.out.Agent != "quick" || res.out.RingMS < 400 {
		t.Errorf("outcome = %+v, want quick with at least 400 ms of ringing", res.out)
	}
}

func TestTwoAnswersToOneCallOnlyOneWins(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	h.addAccount("bob", "password2", RoleAgent)
	tab1 := h.openPage("ann", "password1")
	tab2 := h.openPage("ann", "password1") // the same agent in a second tab
	time.Sleep(20 * time.Millisecond)
	bob := h.openPage("bob", "password2")

	done, _, _ := h.enqueue("c1")
	var r1, r2 ringData
	tab1.expect("ring", 5*time.Second, &r1)
	tab2.expect("ring", 5*time.Second, &r2)
	if r1.OfferID != r2.OfferID {
		t.Fatalf("the two tabs got different offers %q and %q", r1.OfferID, r2.OfferID)
	}
	// bob replays the offer id he never got, both tabs answer at the same moment.
	var wg sync.WaitGroup
	for _, p := range []*page{tab1, tab2, bob} {
		wg.Add(1)
		go func(p *page) {
			defer wg.Done()
			p.send(map[string]any{"type": "answer", "call_id": "c1", "offer_id": r1.OfferID})
		}(p)
	}
	wg.Wait()
	offers := 0
	for _, p := range []*page{tab1, tab2, bob} {
		deadline := time.After(1500 * time.Millisecond)
	loop:
		for {
			select {
			case m := <-p.in:
				if m.Type == "rtc_offer" {
					offers++
				}
			case <-deadline:
				break loop
			}
		}
	}
	if offers != 1 {
		t.Fatalf("%d pages got a WebRTC offer, want exactly 1", offers)
	}
	h.b.mu.Lock()
	c := h.b.calls["c1"]
	agentName := c.agent.name
	conn := c.conn
	h.b.mu.Unlock()
	if agentName != "ann" {
		t.Errorf("the call went to %s, want ann", agentName)
	}
	winner := tab1
	if conn.agent != nil && tab2.ws.LocalAddr().String() == conn.ws.RemoteAddr().String() {
		winner = tab2
	}
	winner.send(map[string]any{"type": "hangup", "call_id": "c1"})
	if res := wait(t, done, 5*time.Second); res.out.Agent != "ann" {
		t.Errorf("outcome agent = %q, want ann", res.out.Agent)
	}
}

func TestOverflowAtOnce(t *testing.T) {
	now := time.Now().UTC()
	closed := BusinessHours{Timezone: "UTC",
		Open: now.Add(2 * time.Hour).Format("15:04"), Close: now.Add(3 * time.Hour).Format("15:04")}
	for _, tc := range []struct {
		name     string
		mut      func(*Config)
		login    bool
		reason   string
		next     string
		atLeast  time.Duration
		atLatest time.Duration
	}{
		{"nobody logged in", nil, false, ReasonNoAgents, NextBot, 0, time.Second},
		{"outside business hours", func(c *Config) { c.BusinessHours = closed; c.Overflow = NextVoicemail }, true, ReasonClosed, NextVoicemail, 0, time.Second},
		{"waited past the limit", func(c *Config) { c.MaxWait = 400 * time.Millisecond; c.Overflow = NextRefer }, true, ReasonWaitLimit, NextRefer, 400 * time.Millisecond, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.mut, Hooks{})
			if tc.login {
				h.addAccount("away", "password1", RoleAgent)
				p := h.openPage("away", "password1")
				p.send(map[string]any{"type": "presence", "value": "away"})
				p.expect("presence", time.Second)
			}
			start := time.Now()
			done, _, _ := h.enqueue("c1")
			res := wait(t, done, tc.atLatest+2*time.Second)
			took := time.Since(start)
			if res.err != nil || res.out.Result != ResultOverflow || res.out.Reason != tc.reason || res.out.Next != tc.next {
				t.Errorf("outcome = %+v (%v), want overflow %s → %s", res.out, res.err, tc.reason, tc.next)
			}
			if took < tc.atLeast || took > tc.atLatest {
				t.Errorf("overflow after %v, want between %v and %v", took, tc.atLeast, tc.atLatest)
			}
		})
	}
}

func TestCallerHangupWhileRingingWithdrawsTheCard(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	p := h.openPage("ann", "password1")
	done, hangup, m := h.enqueue("c1")
	p.expect("ring", 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	if m.sent.Load() == 0 {
		t.Errorf("the waiting caller heard no hold music")
	}
	hangup()
	var c msgRingCancel
	p.expect("ring_cancel", 5*time.Second, &c)
	if c.Reason != "caller_hangup" {
		t.Errorf("ring_cancel reason = %q, want caller_hangup", c.Reason)
	}
	res := wait(t, done, 5*time.Second)
	if res.out.Result != ResultAbandoned || res.out.Agent != "" {
		t.Errorf("outcome = %+v, want abandoned", res.out)
	}
	// A late answer to the withdrawn offer is refused.
	p.send(map[string]any{"type": "answer", "call_id": "c1", "offer_id": "whatever"})
	p.expect("error", 2*time.Second)
}

func TestDeclineOffersTheCallToTheNextAgent(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	h.addAccount("bob", "password2", RoleAgent)
	pa := h.openPage("ann", "password1")
	time.Sleep(20 * time.Millisecond)
	pb := h.openPage("bob", "password2")
	h.enqueue("c1")
	var r ringData
	pa.expect("ring", 5*time.Second, &r)
	pa.send(map[string]any{"type": "decline", "call_id": "c1", "offer_id": r.OfferID})
	pb.expect("ring", 5*time.Second)
	pa.none("presence", 300*time.Millisecond) // declining does not make ann away
}

func TestHangupThenWrapUpReachesTheOutcome(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	p := h.openPage("ann", "password1")
	done, _, _ := h.enqueue("c1")
	var r ringData
	p.expect("ring", 5*time.Second, &r)
	p.send(map[string]any{"type": "answer", "call_id": "c1", "offer_id": r.OfferID})
	p.expect("rtc_offer", 5*time.Second)
	h.b.UpdateReport("c1", prosody.Report{Seq: 5, State: prosody.Angry, Level: 3})
	var rep msgReport
	p.expect("report", 2*time.Second, &rep)
	if rep.Report.State != prosody.Angry {
		t.Errorf("report update = %+v", rep.Report)
	}
	h.b.UpdateReport("c1", prosody.Report{Seq: 4, State: prosody.Calm}) // older: ignored
	p.none("report", 200*time.Millisecond)

	p.send(map[string]any{"type": "hangup", "call_id": "c1"})
	res := wait(t, done, 5*time.Second)
	if res.out.Result != ResultCompleted || res.out.Next != NextNone || res.out.WrapUp == nil {
		t.Fatalf("outcome = %+v, want completed with a wrap-up channel", res.out)
	}
	var st msgCall
	p.expect("call", 2*time.Second, &st)
	var pres msgPresence
	p.expect("presence", 2*time.Second, &pres)
	if pres.Value != PresenceWrapUp {
		t.Errorf("presence after the call = %q, want wrap-up", pres.Value)
	}
	p.expect("wrapup", 2*time.Second)
	p.send(map[string]any{"type": "wrapup", "call_id": "c1", "disposition": "resolved", "notes": "refund sent"})
	select {
	case w := <-res.out.WrapUp:
		if w.Disposition != "resolved" || w.Notes != "refund sent" || w.TimedOut {
			t.Errorf("wrap-up = %+v", w)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no wrap-up delivered")
	}
	p.expect("presence", 2*time.Second, &pres)
	if pres.Value != PresenceAvailable {
		t.Errorf("presence after wrap-up = %q, want available", pres.Value)
	}
}

func TestPageLostMidCall(t *testing.T) {
	t.Run("coming back within the grace restores the call", func(t *testing.T) {
		h := newHarness(t, func(c *Config) { c.ReconnectGrace = 3 * time.Second }, Hooks{})
		h.addAccount("ann", "password1", RoleAgent)
		p := h.openPage("ann", "password1")
		done, _, _ := h.enqueue("c1")
		var r ringData
		p.expect("ring", 5*time.Second, &r)
		p.send(map[string]any{"type": "answer", "call_id": "c1", "offer_id": r.OfferID})
		p.expect("rtc_offer", 5*time.Second)
		p.ws.Close()
		time.Sleep(300 * time.Millisecond)

		p2 := h.openPage2("ann", "password1")
		var hello msgHello
		json.Unmarshal(p2.hello, &hello)
		if hello.Call == nil || hello.Call.CallID != "c1" || hello.Call.State != "talking" {
			t.Fatalf("hello after reconnect = %s, want the call in progress", p2.hello)
		}
		var off msgRTCOffer
		p2.expect("rtc_offer", 5*time.Second, &off)
		if off.PC != 2 {
			t.Errorf("new offer numbered %d, want 2", off.PC)
		}
		p2.send(map[string]any{"type": "hangup", "call_id": "c1"})
		if res := wait(t, done, 5*time.Second); res.out.Result != ResultCompleted {
			t.Errorf("outcome = %+v, want completed", res.out)
		}
	})
	for _, onLost := range []string{NextRequeue, NextBot} {
		t.Run("not coming back: after the apology, on_agent_lost "+onLost, func(t *testing.T) {
			said := make(chan string, 4)
			h := newHarness(t, func(c *Config) { c.ReconnectGrace = 500 * time.Millisecond; c.OnAgentLost = onLost }, Hooks{})
			h.addAccount("ann", "password1", RoleAgent)
			p := h.openPage("ann", "password1")
			m := &recMedia{}
			ch := make(chan result, 1)
			go func() {
				out, err := h.b.Enqueue(context.Background(), QueuedCall{ID: "c1", Media: m,
					Say: func(ctx context.Context, text string) error { said <- text; return nil }})
				ch <- result{out, err}
			}()
			var r ringData
			p.expect("ring", 5*time.Second, &r)
			p.send(map[string]any{"type": "answer", "call_id": "c1", "offer_id": r.OfferID})
			p.expect("rtc_offer", 5*time.Second)
			before := m.sent.Load()
			p.ws.Close()
			time.Sleep(300 * time.Millisecond)
			if m.sent.Load() <= before {
				t.Errorf("the caller heard nothing while the agent was gone")
			}
			res := wait(t, ch, 5*time.Second)
			if res.out.Result != ResultAgentLost || res.out.Next != onLost || res.out.Agent != "ann" {
				t.Errorf("outcome = %+v, want agent_lost → %s", res.out, onLost)
			}
			select {
			case s := <-said:
				if s != DefaultConfig().ApologyText {
					t.Errorf("said %q, want the apology", s)
				}
			default:
				t.Error("no apology was said")
			}
		})
	}
}

type pageWithHello struct {
	*page
	hello json.RawMessage
}

// openPage2 is openPage keeping the hello message.
func (h *harness) openPage2(name, pass string) pageWithHello {
	p := h.openPageNoHello(name, pass)
	return pageWithHello{p, p.expect("hello", 5*time.Second)}
}

func TestCallerHangupWhileTalkingEndsTheAgentLegWithWrapUp(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	p := h.openPage("ann", "password1")
	done, hangup, _ := h.enqueue("c1")
	var r ringData
	p.expect("ring", 5*time.Second, &r)
	p.send(map[string]any{"type": "answer", "call_id": "c1", "offer_id": r.OfferID})
	p.expect("rtc_offer", 5*time.Second)
	hangup()
	res := wait(t, done, 5*time.Second)
	if res.out.Result != ResultCallerHangup || res.out.Agent != "ann" || res.out.WrapUp == nil {
		t.Fatalf("outcome = %+v, want caller_hangup by ann with a wrap-up", res.out)
	}
	var st msgCall
	p.expect("call", 2*time.Second, &st)
	if st.State != "ended" || st.By != "caller" {
		t.Errorf("call message = %+v, want ended by caller", st)
	}
	p.expect("wrapup", 2*time.Second)
}

func TestWaitingCallerHearsReassuranceWithTheExpectedWait(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.ReassureEvery = 200 * time.Millisecond }, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	p := h.openPage("ann", "password1")
	p.send(map[string]any{"type": "presence", "value": "away"}) // logged in but not taking calls
	p.expect("presence", time.Second)
	said := make(chan string, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.b.Enqueue(ctx, QueuedCall{ID: "c1", Media: &recMedia{},
		Say: func(ctx context.Context, text string) error { said <- text; return nil }})
	select {
	case s := <-said:
		if s != "Thank you for waiting. All our agents are helping other callers; your expected wait is about 1 minute." {
			t.Errorf("reassurance = %q", s)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no reassurance within 3 s")
	}
}

func TestCallerSpeechBringsAgentAssist(t *testing.T) {
	h := newHarness(t, nil, Hooks{Assist: func(ctx context.Context, callID, text string) []Suggestion {
		return []Suggestion{{Title: "Late parcel", Answer: "Parcels arrive in 3-5 days; offer a trace.", Score: 0.9}}
	}})
	h.addAccount("ann", "password1", RoleAgent)
	p := h.openPage("ann", "password1")
	h.enqueue("c1")
	var r ringData
	p.expect("ring", 5*time.Second, &r)
	p.send(map[string]any{"type": "answer", "call_id": "c1", "offer_id": r.OfferID})
	p.expect("rtc_offer", 5*time.Second)
	h.b.AddTranscript("c1", prosody.TranscriptLine{Who: "caller", At: 3, Text: "my parcel is late"})
	var line msgTranscript
	p.expect("transcript", 2*time.Second, &line)
	var as msgAssist
	p.expect("assist", 3*time.Second, &as)
	if as.Text != "my parcel is late" || len(as.Suggestions) != 1 || as.Suggestions[0].Title != "Late parcel" {
		t.Errorf("assist = %+v", as)
	}
	h.b.SendHint("c1", Hint{Phrase: "calm down", Instead: "I understand this is frustrating"})
	var hint msgHint
	p.expect("hint", 2*time.Second, &hint)
	if hint.Hint.Instead == "" {
		t.Errorf("hint = %+v", hint)
	}
}

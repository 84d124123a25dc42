package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/internal/testbrowser"
	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/store"
)

// The softphone end to end (issue 6): a real `hotline serve`, a real `hotline dial` caller who asks for a person,
// and the real softphone page in headless Chromium whose fake microphone plays a tone. Audio is checked both
// ways: the caller's speech moves the page's caller-level meter, and the tone is in what the dialer recorded.

// softphoneConfig keeps WebRTC on loopback (the test may run in a namespace with only lo), lets a call ring long
// enough for a busy machine, and counts a vanished page as lost after 3 s.
const softphoneConfig = `agents:
  ring_timeout: 90s
  reconnect_grace: 3s
  ice:
    ips: ["127.0.0.1"]
`

// askForAPerson is what the caller says: the request 8 s after the answer (after the announcement and the
// greeting), then, from 24 s, a story told while the agent listens.
func askForAPerson(t *testing.T) (string, [][2]float64) {
	return callerScript(t, "slt",
		scriptPart{8, "I want to speak to a real person please."},
		scriptPart{24, "My parcel never arrived and nobody called me back."},
		scriptPart{0, "I have been waiting for two weeks now and I am really worried about it."},
		scriptPart{0, "Can you please tell me where my parcel is?"},
		scriptPart{0, "I paid for express delivery and it still has not come."},
		scriptPart{0, "Please help me find out what happened to it."},
	)
}

func needE2ETools(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end browser call skipped in -short mode")
	}
	testenv.Need(t, "chromium", "chromium")
	testenv.Need(t, "flite", "flite")
	testenv.Need(t, "sox", "sox")
}

// callRecord polls /api/calls/{id} until ok accepts the record.
func callRecord(t *testing.T, p *serveProc, id string, within time.Duration, ok func(store.Call) bool) store.Call {
	t.Helper()
	deadline := time.Now().Add(within)
	var rec store.Call
	for {
		rec = store.Call{}
		code := p.getJSON(t, "/api/calls/"+id, &rec)
		if code == 200 && ok(rec) {
			return rec
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(rec, "", "  ")
			t.Fatalf("call record %s (status %d) not as expected within %v:\n%s", id, code, within, b)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func hasLine(lines []prosody.TranscriptLine, who string) bool {
	for _, l := range lines {
		if l.Who == who && strings.TrimSpace(l.Text) != "" {
			return true
		}
	}
	return false
}

// saysAnyOf reports whether text holds one of the words (case-insensitive).
func saysAnyOf(text string, words ...string) bool {
	text = strings.ToLower(text)
	for _, w := range words {
		if strings.Contains(text, w) {
			return true
		}
	}
	return false
}

func TestSoftphoneAgentTakesACallerWhoAskedForAPerson(t *testing.T) {
	needE2ETools(t)
	art := testbrowser.ArtifactsDir(t, "e2e")
	p := startServe(t, softphoneConfig)
	base := "http://" + p.httpAddr
	addAccount(t, p.dataDir, "alice", "alice-e2e-pass", agentbridge.RoleAgent)

	mic := filepath.Join(t.TempDir(), "mic-tone.wav")
	testbrowser.WriteMicTone(t, mic)
	br := testbrowser.Start(t, mic)
	softphoneLogin(t, br, base, "alice", "alice-e2e-pass")

	script, spans := askForAPerson(t)
	heard := filepath.Join(art, "dialer-heard.wav") // kept: what the caller heard, hold music, agent and all
	dial := startDial(t, "-play", script, "-record", heard, "-hangup-after", "60s", "sip:hotline@"+p.sipAddr)
	answered, answeredAt := dial.waitEvent(t, "answered", 30*time.Second)

	// The page rings with the report: the caller's state, why the bot handed over, what was said.
	br.RunWithin(t, "the incoming-call card", 60*time.Second, chromedp.WaitVisible(testbrowser.TestID("incoming")))
	ringAt := time.Now()
	if v := br.Attr(t, "call-state", "data-value"); v != "ringing" {
		t.Errorf("call-state = %q while the card rings, want ringing", v)
	}
	if v := br.Attr(t, "emotion-state", "data-value"); !slices.Contains([]string{"calm", "anxious", "angry", "sad"}, v) {
		t.Errorf("emotion-state = %q, want calm, anxious, angry or sad", v)
	}
	if v := br.Attr(t, "transfer-reason", "data-value"); v != "asked_for_agent" {
		t.Errorf("transfer-reason = %q, want asked_for_agent", v)
	}
	callerSaid := testbrowser.Value(t, br, "the caller's lines on the card", chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll('[data-testid="transcript"] .who-caller')).map((e) => e.textContent).join(" / ")`))
	if !saysAnyOf(callerSaid, "person", "speak", "real") {
		t.Errorf("the card's transcript does not hold what the caller said (%q): caller lines %q, all %q",
			"I want to speak to a real person please.", callerSaid, br.Text(t, "transcript"))
	}
	if n := testbrowser.Value(t, br, "the bot's lines on the card", chromedp.Evaluate[int](
		`document.querySelectorAll('[data-testid="transcript"] .who-bot').length`)); n < 2 {
		t.Errorf("the card's transcript has %d bot lines, want the announcement and the greeting at least: %q", n, br.Text(t, "transcript"))
	}
	time.Sleep(500 * time.Millisecond) // the caller's history arrives just after the ring
	br.Screenshot(t, filepath.Join(art, "ringing-card.png"))

	// Answer: the agent's tone goes to the caller, the caller's speech moves the page's meter.
	clickAt := time.Now()
	br.Run(t, "answer", chromedp.Click(testbrowser.TestID("answer")))
	br.WaitAttr(t, "call-state", "data-value", 20*time.Second, func(v string) bool { return v == "talking" })
	talkingAfter := time.Since(clickAt)
	// The caller speaks again from spans[1][0] seconds after the answer of the SIP call.
	speechAt := answeredAt.Add(time.Duration(spans[1][0] * float64(time.Second)))
	_, levelWait := br.WaitAttr(t, "caller-level", "data-db", time.Until(speechAt)+30*time.Second, dbAbove(-60))
	levelAt := clickAt.Add(talkingAfter + levelWait)
	if levelAt.Before(speechAt) {
		// Possible only when the card rang late and the caller was already speaking, or the recogniser slow.
		t.Logf("caller level rose %v before the story began (caller already speaking at the answer)", speechAt.Sub(levelAt))
	}
	callerToPage := levelAt.Sub(maxTime(clickAt, speechAt))
	// What the caller says to the agent is recognised and appears on the page as it is said.
	callerLines := func() int {
		return testbrowser.Value(t, br, "caller lines", chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="transcript"] .who-caller').length`))
	}
	linesAtAnswer := callerLines()
	deadline := time.Now().Add(30 * time.Second)
	for callerLines() <= linesAtAnswer && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	if callerLines() <= linesAtAnswer {
		t.Errorf("no new caller line in the page's transcript within 30 s of the caller speaking to the agent: %q", br.Text(t, "transcript"))
	}
	br.WaitAttr(t, "caller-level", "data-db", 10*time.Second, dbAbove(-45)) // a moment of speech for the picture
	br.Screenshot(t, filepath.Join(art, "in-call.png"))
	if v := br.Attr(t, "presence", "data-value"); v != "busy" {
		t.Errorf("presence = %q while talking, want busy", v)
	}

	// Hang up and wrap up through the page.
	br.Run(t, "hang up", chromedp.Click(testbrowser.TestID("hangup")))
	br.RunWithin(t, "wrap-up form", 20*time.Second, chromedp.WaitVisible(testbrowser.TestID("wrapup-submit")))
	br.Run(t, "wrap-up",
		chromedp.SetValue(testbrowser.TestID("disposition"), "follow_up"),
		chromedp.SendKeys(testbrowser.TestID("notes"), "parcel lost by the courier; re-sent by express"),
	)
	br.Screenshot(t, filepath.Join(art, "wrap-up.png"))
	br.Run(t, "save the wrap-up", chromedp.Click(testbrowser.TestID("wrapup-submit")))
	br.WaitAttr(t, "presence", "data-value", 20*time.Second, func(v string) bool { return v == "available" })

	// The agent's hang-up ends the caller's leg.
	if code := dial.wait(t, 30*time.Second); code != 0 {
		t.Errorf("hotline dial exited %d", code)
	}
	hangup, _ := dial.event("hangup")
	if hangup == nil {
		t.Fatalf("the dialer printed no hang-up event")
	}
	if hangup["by"] != "remote" {
		t.Errorf("dialer's hang-up event %v, want by remote (the agent hung up)", hangup)
	}

	// What the dialer heard: the agent's tone after the answer, not before. Under load the recording's clock may
	// lose some frames against the wall clock, so the answer's place in it is scaled, with a margin.
	pcm := readWAV8k(t, heard)
	_, hungAt := dial.event("hangup")
	scale := float64(len(pcm)) / 8000 / hungAt.Sub(answeredAt).Seconds()
	answerOffset := clickAt.Sub(answeredAt).Seconds() * min(scale, 1)
	margin := 2.0
	before, _ := toneFrames(pcm, 0, int((answerOffset-margin)*8000), testbrowser.MicToneHz)
	after, first := toneFrames(pcm, int((answerOffset-margin)*8000), len(pcm), testbrowser.MicToneHz)
	t.Logf("dialer's recording: %.1f s for %.1f s of call; answer at about %.1f s; %d Hz tone frames before the answer %d, after %d",
		float64(len(pcm))/8000, hungAt.Sub(answeredAt).Seconds(), answerOffset, testbrowser.MicToneHz, before, after)
	if after < 25 {
		t.Fatalf("the dialer heard the agent's %d Hz tone in %d frames after the answer, want at least 25 (0.5 s)", testbrowser.MicToneHz, after)
	}
	if before > 3 {
		t.Errorf("the tone was heard in %d frames before the answer: it is not (only) the agent's microphone", before)
	}
	// Answer → the agent heard by the caller, on the recording's clock: from the end of the hold music (stopped at
	// the answer) to the tone.
	agentToCaller := time.Duration(-1)
	if end := holdMusicEnd(pcm, first); end >= 0 {
		agentToCaller = time.Duration(float64(first-end) / 8000 * float64(time.Second))
		if agentToCaller > 10*time.Second {
			t.Errorf("the agent's tone reached the dialer %v after the hold music stopped, want within 10 s", agentToCaller)
		}
	} else {
		t.Logf("no hold music found before the tone in the dialer's recording: answer → tone not measured")
	}
	t.Logf("answer → two-way audio: agent's tone at the dialer %v after the hold music stopped; caller's speech on the page's meter %v after it began (page talking %v after the click); card rang %v after the dialer's answer",
		agentToCaller.Round(time.Millisecond), callerToPage.Round(time.Millisecond),
		talkingAfter.Round(time.Millisecond), ringAt.Sub(answeredAt).Round(time.Millisecond))
	fmt.Fprintf(os.Stderr, "E2E softphone: answer→agent tone at the dialer %v, caller speech→page meter %v, screenshots in %s\n",
		agentToCaller.Round(time.Millisecond), callerToPage.Round(time.Millisecond), art)
	if callerToPage > 10*time.Second {
		t.Errorf("the caller's speech moved the page's meter %v after it began, want within 10 s", callerToPage)
	}

	// The call record: transferred to alice because the caller asked, wrap-up saved, transcript and report.
	id := ""
	for _, c := range listCalls(t, p) {
		if c.SIPCallID == answered["call_id"] {
			id = c.ID
		}
	}
	if id == "" {
		t.Fatalf("no record with sip_call_id %v", answered["call_id"])
	}
	rec := callRecord(t, p, id, 10*time.Second, func(c store.Call) bool { return !c.EndedAt.IsZero() && c.Disposition != "" })
	if rec.Outcome != store.OutcomeTransferred || rec.TransferReason != "asked_for_agent" || rec.Agent != "alice" {
		t.Errorf("record: outcome %q, transfer_reason %q, agent %q; want transferred, asked_for_agent, alice", rec.Outcome, rec.TransferReason, rec.Agent)
	}
	if rec.Disposition != "follow_up" || rec.Notes != "parcel lost by the courier; re-sent by express" {
		t.Errorf("record wrap-up: disposition %q, notes %q", rec.Disposition, rec.Notes)
	}
	if !hasLine(rec.Transcript, "caller") || !hasLine(rec.Transcript, "bot") {
		t.Errorf("record transcript lacks caller or bot lines: %+v", rec.Transcript)
	}
	if rec.Emotion == nil || !slices.Contains([]string{"calm", "anxious", "angry", "sad"}, string(rec.Emotion.State)) ||
		rec.Emotion.TransferReason != "asked_for_agent" || len(rec.Emotion.Timeline) == 0 {
		t.Errorf("record emotion report missing or incomplete: %+v", rec.Emotion)
	}
	if rec.WaitMS <= 0 || rec.RingMS <= 0 || rec.RingMS > rec.WaitMS {
		t.Errorf("record wait_ms %d, ring_ms %d: want both positive and ring within wait", rec.WaitMS, rec.RingMS)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func listCalls(t *testing.T, p *serveProc) []store.Call {
	t.Helper()
	var calls []store.Call
	deadline := time.Now().Add(5 * time.Second)
	for {
		if code := p.getJSON(t, "/api/calls?limit=20", &calls); code != 200 {
			t.Fatalf("/api/calls: status %d", code)
		}
		if len(calls) > 0 || time.Now().After(deadline) {
			return calls
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestSoftphoneBrowserKilledMidCallRequeuesTheCaller(t *testing.T) {
	needE2ETools(t)
	p := startServe(t, softphoneConfig)
	base := "http://" + p.httpAddr
	addAccount(t, p.dataDir, "alice", "alice-e2e-pass", agentbridge.RoleAgent)
	addAccount(t, p.dataDir, "bob", "bob-e2e-pass", agentbridge.RoleAgent)

	mic := filepath.Join(t.TempDir(), "mic-tone.wav")
	testbrowser.WriteMicTone(t, mic)
	br := testbrowser.Start(t, mic)
	softphoneLogin(t, br, base, "alice", "alice-e2e-pass")

	script, _ := askForAPerson(t)
	const hangupAfter = 60 * time.Second
	dial := startDial(t, "-play", script, "-hangup-after", hangupAfter.String(), "sip:hotline@"+p.sipAddr)
	_, answeredAt := dial.waitEvent(t, "answered", 30*time.Second)

	br.RunWithin(t, "the incoming-call card", 60*time.Second, chromedp.WaitVisible(testbrowser.TestID("incoming")))
	br.Run(t, "answer", chromedp.Click(testbrowser.TestID("answer")))
	br.WaitAttr(t, "call-state", "data-value", 20*time.Second, func(v string) bool { return v == "talking" })

	// A second agent logs in while alice talks; then alice's browser dies.
	bob := loginWSAgent(t, base, "bob", "bob-e2e-pass")
	bob.expect(t, "hello", 10*time.Second)
	time.Sleep(time.Second)
	killedAt := time.Now()
	br.Kill()

	// After the grace, the caller hears the apology and the call rings at bob: re-queued, not dropped.
	var ring struct {
		CallID string `json:"call_id"`
		Caller string `json:"caller"`
	}
	if err := json.Unmarshal(bob.expect(t, "ring", 45*time.Second), &ring); err != nil {
		t.Fatal(err)
	}
	t.Logf("browser killed → the call rang at the next agent after %v", time.Since(killedAt).Round(time.Millisecond))
	if ev, _ := dial.event("hangup"); ev != nil {
		t.Fatalf("the caller was dropped when the agent's browser died: %v", ev)
	}

	// The caller stays on the line until the dialer hangs up by itself.
	if code := dial.wait(t, hangupAfter+30*time.Second); code != 0 {
		t.Errorf("hotline dial exited %d", code)
	}
	hangup, hungAt := dial.event("hangup")
	if hangup == nil || hangup["by"] != "local" {
		t.Fatalf("dialer's hang-up event %v, want by local at -hangup-after", hangup)
	}
	if up := hungAt.Sub(answeredAt); up < hangupAfter-2*time.Second {
		t.Errorf("the call lasted %v, want the full %v of -hangup-after", up, hangupAfter)
	}

	rec := callRecord(t, p, ring.CallID, 10*time.Second, func(c store.Call) bool { return !c.EndedAt.IsZero() })
	if rec.Agent != "alice" || rec.TransferReason != "asked_for_agent" {
		t.Errorf("record: agent %q, transfer_reason %q; want alice, asked_for_agent", rec.Agent, rec.TransferReason)
	}
	apology := agentbridge.DefaultConfig().ApologyText
	said := false
	for _, l := range rec.Transcript {
		if l.Who == "bot" && l.Text == apology {
			said = true
			if l.At < killedAt.Sub(answeredAt).Seconds()-1 {
				t.Errorf("the apology is at %.1f s, before the browser died at %.1f s", l.At, killedAt.Sub(answeredAt).Seconds())
			}
		}
	}
	if !said {
		t.Errorf("the record's transcript has no apology %q: %+v", apology, rec.Transcript)
	}
	logs := p.logs.String()
	if !strings.Contains(logs, "agent lost mid-call; queuing the caller again") {
		t.Errorf("serve did not log the re-queue")
	}
	t.Logf("record outcome after the re-queue: %s (wait %d ms, ring %d ms)", rec.Outcome, rec.WaitMS, rec.RingMS)
}

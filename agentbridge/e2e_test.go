package agentbridge

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline/hotline/internal/testbrowser"
	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/prosody"
)

// The end-to-end test runs the real softphone page in headless Chromium against a real bridge. The caller is a
// media.Session ("phone") sending speech over loopback RTP to another media.Session (hotline's side of the call),
// which is what Enqueue gets. Audio is checked both ways: the fake microphone's 1900 Hz tone must arrive at the
// phone, and the phone's speech must move the page's caller-level meter.

// browserStep is how long each step of this package's browser tests may take (Browser.Step).
const browserStep = 20 * time.Second

// phoneLine is the caller: two real media sessions on loopback, one for hotline's side, one for the phone.
type phoneLine struct {
	hotline, phone *media.Session
	heardTone      atomic.Int64 // phone frames in which the agent's tone dominates
	heardAnything  atomic.Int64 // phone frames above -50 dBFS
	listen         atomic.Bool
}

func newPhoneLine(t *testing.T, speech []int16) *phoneLine {
	t.Helper()
	mc := media.DefaultConfig()
	mc.Drain = 100 * time.Millisecond
	pool, err := media.NewPortPool(mc, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	hs, err := pool.Open("e2e-hotline")
	if err != nil {
		t.Fatal(err)
	}
	ph, err := pool.Open("e2e-phone")
	if err != nil {
		t.Fatal(err)
	}
	hs.SetRemote(media.Remote{Addr: ph.LocalAddr(), Codec: media.PCMU, DTMFPayloadType: 101})
	ph.SetRemote(media.Remote{Addr: hs.LocalAddr(), Codec: media.PCMU, DTMFPayloadType: 101})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); hs.Close(); ph.Close() })
	if err := hs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ph.Start(ctx); err != nil {
		t.Fatal(err)
	}
	l := &phoneLine{hotline: hs, phone: ph}
	frames := ph.Subscribe("e2e")
	go func() { // what the phone hears
		run := 0
		for f := range frames {
			if !l.listen.Load() {
				continue
			}
			share, db := testbrowser.ToneShare(f[:], testbrowser.MicToneHz)
			if db > -50 {
				l.heardAnything.Add(1)
			}
			if share > 0.5 && db > -45 {
				run++
				if run >= 3 {
					l.heardTone.Add(1)
				}
			} else {
				run = 0
			}
		}
	}()
	go func() { // the caller keeps talking
		for ctx.Err() == nil {
			if err := ph.Play(ctx, media.NewPCMSource(speech)); err != nil && ctx.Err() == nil {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	return l
}

// callerSpeech returns real speech from ../shared/audio when present, else a vowel-like harmonic tone.
func callerSpeech(t *testing.T) ([]int16, string) {
	base := os.Getenv("HOTLINE_SHARED_AUDIO")
	if base == "" {
		base = filepath.Join(testenv.ModuleRoot(t), "..", "shared", "audio")
	}
	path := filepath.Join(base, "asr", "osr_us_000_0034_8k.wav")
	if s, err := media.ReadWAV8k(path); err == nil {
		return s, path
	}
	s := make([]int16, 8000*4)
	for i := range s {
		x := 0.0
		for h := 1; h <= 8; h++ {
			x += math.Sin(2*math.Pi*140*float64(h)*float64(i)/8000) / float64(h)
		}
		s[i] = int16(5000 * x)
	}
	return s, "generated 140 Hz harmonic tone (../shared/audio not found)"
}

// realReport runs the prosody estimator over the first seconds of the caller's speech and adds what the
// dialogue would have filled in at the hand-off.
func realReport(t *testing.T, id string, speech []int16) prosody.Report {
	st, err := prosody.NewStream(prosody.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	n := min(len(speech), 8000*12)
	for i := 0; i+160 <= n; i += 160 {
		st.Write(speech[i : i+160])
	}
	st.Estimator().AddWords(2.0, "a gold ring will please most any girl")
	r := st.Snapshot()
	r.Seq, r.CallID, r.Caller, r.StartedAt = 1, id, "sip:+15551234@127.0.0.1", time.Now().Add(-30*time.Second)
	r.Transcript = []prosody.TranscriptLine{
		{Who: "bot", At: 0.5, Text: "Hello, how can I help you today?"},
		{Who: "caller", At: 2.0, Text: "A gold ring will please most any girl."},
		{Who: "caller", At: 6.1, Text: "I want to talk to a person please."},
	}
	r.Intent = "order_question"
	r.TransferReason = "asked_for_agent"
	r.SensitiveTopics = []string{"payment"}
	r.Strategy = prosody.Strategy{ID: "reassure", Say: "Thanks for waiting, I have your order in front of me."}
	return r
}

func TestBrowserSoftphoneEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	testenv.Need(t, "chromium", "chromium")
	speech, source := callerSpeech(t)
	t.Logf("caller audio: %s", source)
	art := testbrowser.ArtifactsDir(t, "agentbridge")
	wav := filepath.Join(t.TempDir(), "mic-tone.wav")
	testbrowser.WriteMicTone(t, wav)

	h := newHarness(t, func(c *Config) {
		c.RingTimeout = 30 * time.Second
		c.ReconnectGrace = 3 * time.Second
		c.ICE.IPs = []string{"127.0.0.1"}
	}, Hooks{History: func(ctx context.Context, caller string) ([]PastCall, error) {
		return []PastCall{{ID: "old-1", StartedAt: time.Now().Add(-48 * time.Hour), Outcome: "bot_resolved", Intent: "opening_hours"}}, nil
	}})
	h.addAccount("agent1", "password-e2e", RoleAgent, "en")
	line := newPhoneLine(t, speech)

	br := testbrowser.Start(t, wav)
	br.Step = browserStep
	br.Run(t, "login",
		chromedp.Navigate(h.srv.URL+"/"),
		chromedp.WaitVisible(testbrowser.TestID("login-user")),
		chromedp.SendKeys(testbrowser.TestID("login-user"), "agent1"),
		chromedp.SendKeys(testbrowser.TestID("login-pass"), "password-e2e"),
		chromedp.Click(testbrowser.TestID("login-submit")),
	)
	br.WaitAttr(t, "presence", "data-value", 10*time.Second, func(v string) bool { return v == "available" })

	// A call arrives with a real report.
	report := realReport(t, "e2e-1", speech)
	var agentVoice atomic.Int64
	said := make(chan string, 4)
	q := QueuedCall{ID: "e2e-1", Caller: report.Caller, Skills: []string{"en"}, Report: report, Media: line.hotline,
		AgentAudio: func(pcm []int16) {
			var e float64
			for _, v := range pcm {
				e += float64(v) * float64(v)
			}
			if e/float64(len(pcm)) > 100*100 {
				agentVoice.Add(1)
			}
		},
		Say: func(ctx context.Context, text string) error {
			said <- text
			tone := make([]int16, 8000)
			for i := range tone {
				tone[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
			}
			return line.hotline.Play(ctx, media.NewPCMSource(tone))
		}}
	done := make(chan result, 1)
	go func() { out, err := h.b.Enqueue(context.Background(), q); done <- result{out, err} }()

	br.Run(t, "ringing card", chromedp.WaitVisible(testbrowser.TestID("incoming")))
	if v := br.Attr(t, "call-state", "data-value"); v != "ringing" {
		t.Errorf("call-state = %q, want ringing", v)
	}
	if v := br.Attr(t, "emotion-state", "data-value"); v != string(report.State) {
		t.Errorf("emotion-state = %q, want the report's %q", v, report.State)
	}
	if v := br.Attr(t, "emotion-level", "data-value"); v != strconv.Itoa(report.Level) {
		t.Errorf("emotion-level = %q, want %d", v, report.Level)
	}
	if v := br.Attr(t, "transfer-reason", "data-value"); v != "asked_for_agent" {
		t.Errorf("transfer-reason = %q, want asked_for_agent", v)
	}
	transcript := testbrowser.Value(t, br, "transcript", chromedp.Text(testbrowser.TestID("transcript")))
	if !strings.Contains(transcript, "talk to a person") || !strings.Contains(transcript, "how can I help") {
		t.Errorf("transcript on the card = %q", transcript)
	}
	time.Sleep(300 * time.Millisecond) // the history arrives asynchronously
	br.Screenshot(t, filepath.Join(art, "ringing-card.png"))

	// Answer, then audio both ways.
	line.listen.Store(true)
	answeredAt := time.Now()
	br.Run(t, "answer", chromedp.Click(testbrowser.TestID("answer")))
	_, levelAfter := br.WaitAttr(t, "caller-level", "data-db", 15*time.Second, func(v string) bool {
		db, err := strconv.ParseFloat(v, 64)
		return err == nil && db > -60
	})
	toneDeadline := time.Now().Add(15 * time.Second)
	for line.heardTone.Load() == 0 && time.Now().Before(toneDeadline) {
		time.Sleep(20 * time.Millisecond)
	}
	toneAfter := time.Since(answeredAt)
	if line.heardTone.Load() == 0 {
		t.Fatalf("the phone never heard the agent's %d Hz tone (frames above -50 dBFS: %d)", testbrowser.MicToneHz, line.heardAnything.Load())
	}
	twoWay := max(levelAfter+time.Duration(0), toneAfter)
	t.Logf("answer → two-way audio: %v (caller level on the page after %v, agent tone at the phone after %v)", twoWay, levelAfter, toneAfter)
	if twoWay > 10*time.Second {
		t.Errorf("two-way audio took %v, want well under 10 s", twoWay)
	}
	if v := br.Attr(t, "call-state", "data-value"); v != "talking" {
		t.Errorf("call-state = %q, want talking", v)
	}
	if v := br.Attr(t, "presence", "data-value"); v != "busy" {
		t.Errorf("presence = %q, want busy", v)
	}
	// The keypad sends RFC 4733 DTMF that the phone recognises.
	br.Run(t, "keypad", chromedp.Click(testbrowser.TestID("keypad")), chromedp.Click(testbrowser.TestID("key-5")))
	select {
	case d := <-line.phone.DTMF():
		if d.Digit != '5' || d.Source != "rfc4733" {
			t.Errorf("the phone got DTMF %q from %s, want 5 by rfc4733", d.Digit, d.Source)
		}
	case <-time.After(5 * time.Second):
		t.Error("the phone got no DTMF from the keypad")
	}
	br.Run(t, "close keypad", chromedp.Click(testbrowser.TestID("keypad")))

	// Hold: the caller hears the hold music instead of the agent, and the agent again after resuming.
	br.Run(t, "hold", chromedp.Click(testbrowser.TestID("hold")))
	time.Sleep(400 * time.Millisecond)
	line.heardTone.Store(0)
	line.heardAnything.Store(0)
	time.Sleep(time.Second)
	if line.heardTone.Load() > 0 || line.heardAnything.Load() < 20 {
		t.Errorf("on hold the phone heard the agent in %d frames and sound in %d of 50 frames; want music only", line.heardTone.Load(), line.heardAnything.Load())
	}
	br.Run(t, "resume", chromedp.Click(testbrowser.TestID("hold")))
	resumeDeadline := time.Now().Add(5 * time.Second)
	for line.heardTone.Load() == 0 && time.Now().Before(resumeDeadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if line.heardTone.Load() == 0 {
		t.Error("after resuming the phone does not hear the agent")
	}

	// Reloading the page mid-call restores the call: the card, the state and the audio both ways.
	reloadAt := time.Now()
	br.Run(t, "reload", chromedp.Reload())
	br.WaitAttr(t, "call-state", "data-value", 10*time.Second, func(v string) bool { return v == "talking" })
	line.heardTone.Store(0)
	br.WaitAttr(t, "caller-level", "data-db", 10*time.Second, func(v string) bool {
		db, err := strconv.ParseFloat(v, 64)
		return err == nil && db > -60
	})
	for line.heardTone.Load() == 0 && time.Since(reloadAt) < 10*time.Second {
		time.Sleep(20 * time.Millisecond)
	}
	if line.heardTone.Load() == 0 {
		t.Error("after reloading the page the phone does not hear the agent")
	}
	t.Logf("page reload mid-call → audio both ways again after %v", time.Since(reloadAt).Round(time.Millisecond))

	h.b.AddTranscript("e2e-1", prosody.TranscriptLine{Who: "caller", At: 40, Text: "my parcel never arrived"})
	h.b.UpdateReport("e2e-1", func() prosody.Report { r := report; r.Seq = 2; r.State = prosody.Angry; r.Level = 2; return r }())
	br.WaitAttr(t, "emotion-state", "data-value", 5*time.Second, func(v string) bool { return v == "angry" })
	br.WaitAttr(t, "caller-level", "data-db", 10*time.Second, func(v string) bool {
		db, err := strconv.ParseFloat(v, 64)
		return err == nil && db > -40
	})
	br.Screenshot(t, filepath.Join(art, "in-call.png"))
	if agentVoice.Load() == 0 {
		t.Error("the agent-audio hook got no voice")
	}

	// Hang up, wrap up.
	br.Run(t, "hang up", chromedp.Click(testbrowser.TestID("hangup")))
	res := wait(t, done, 10*time.Second)
	if res.err != nil || res.out.Result != ResultCompleted || res.out.Next != NextNone || res.out.Agent != "agent1" ||
		res.out.RingMS <= 0 || res.out.WaitMS < res.out.RingMS || res.out.TalkMS <= 0 {
		t.Errorf("outcome = %+v (%v), want completed by agent1 with ring, wait and talk times", res.out, res.err)
	}
	br.Run(t, "wrap-up",
		chromedp.WaitVisible(testbrowser.TestID("wrapup-submit")),
		chromedp.SetValue(testbrowser.TestID("disposition"), "follow_up"),
		chromedp.SendKeys(testbrowser.TestID("notes"), "parcel re-sent"),
	)
	br.Screenshot(t, filepath.Join(art, "wrap-up.png"))
	br.Run(t, "save wrap-up", chromedp.Click(testbrowser.TestID("wrapup-submit")))
	select {
	case w := <-res.out.WrapUp:
		if w.Disposition != "follow_up" || w.Notes != "parcel re-sent" {
			t.Errorf("wrap-up = %+v", w)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no wrap-up")
	}
	br.WaitAttr(t, "presence", "data-value", 5*time.Second, func(v string) bool { return v == "available" })
	br.WaitAttr(t, "call-state", "data-value", 5*time.Second, func(v string) bool { return v == "idle" })

	// Simplified Chinese: the words change, the machine values stay English.
	presenceText := testbrowser.Value(t, br, "switch to Chinese", chromedp.Evaluate[string](`(() => {
		const l = document.getElementById("lang"); l.value = "zh"; l.dispatchEvent(new Event("change"));
		return document.querySelector('[data-testid="presence"] option:checked').textContent; })()`))
	if presenceText != "空闲" || br.Attr(t, "presence", "data-value") != "available" {
		t.Errorf("in Chinese the presence reads %q (data-value %q), want 空闲 and available", presenceText, br.Attr(t, "presence", "data-value"))
	}

	// Second call: the browser dies mid-call; the caller hears the apology and is handed back, not dropped.
	q.ID, q.Report.CallID, q.Report.Seq = "e2e-2", "e2e-2", 1
	done2 := make(chan result, 1)
	go func() { out, err := h.b.Enqueue(context.Background(), q); done2 <- result{out, err} }()
	br.Run(t, "ringing again", chromedp.WaitVisible(testbrowser.TestID("incoming")))
	time.Sleep(300 * time.Millisecond)
	br.Screenshot(t, filepath.Join(art, "ringing-card-zh.png"))
	line.heardTone.Store(0)
	br.Run(t, "answer again", chromedp.Click(testbrowser.TestID("answer")))
	for line.heardTone.Load() == 0 && time.Since(toneDeadline) < 30*time.Second {
		time.Sleep(20 * time.Millisecond)
	}
	killedAt := time.Now()
	br.Kill()
	res2 := wait(t, done2, 15*time.Second)
	t.Logf("browser killed → outcome after %v: %+v", time.Since(killedAt), res2.out)
	if res2.out.Result != ResultAgentLost || res2.out.Next != NextRequeue || res2.out.Agent != "agent1" {
		t.Errorf("outcome = %+v, want agent_lost → requeue", res2.out)
	}
	select {
	case s := <-said:
		if s != DefaultConfig().ApologyText {
			t.Errorf("said %q, want the apology", s)
		}
	default:
		t.Error("the caller heard no apology")
	}
	select {
	case <-line.phone.Done():
		t.Fatal("the caller's line was dropped")
	case <-line.hotline.Done():
		t.Fatal("hotline's side of the call was dropped")
	default:
	}
	// Handed back for re-queuing with its place: with no agent left it overflows to the bot at once, still up.
	q.ID, q.QueuedSince = "e2e-2", res2.out.QueuedSince
	out3, err := h.b.Enqueue(context.Background(), q)
	if err != nil || out3.Result != ResultOverflow || out3.Reason != ReasonNoAgents || !out3.QueuedSince.Equal(res2.out.QueuedSince) {
		t.Errorf("re-queued call: %+v %v, want overflow (no agents) keeping QueuedSince", out3, err)
	}
	if line.phone.EndCause() != "" {
		t.Errorf("the caller's line ended: %s", line.phone.EndCause())
	}
	fmt.Fprintf(os.Stderr, "E2E answer→two-way audio %v; screenshots in %s\n", twoWay, art)
}

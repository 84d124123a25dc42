package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/config"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/internal/testbrowser"
	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/store"
)

// phoneSpeech synthesises text with a flite voice and passes it through the simulated G.711 line of
// ../shared/audio/README.md, after lead seconds of silence (callers may start 8 s after the answer).
func phoneSpeech(t *testing.T, voice, text string, lead float64) string {
	t.Helper()
	testenv.Need(t, "flite", "flite")
	testenv.Need(t, "sox", "sox")
	dir := t.TempDir()
	raw := filepath.Join(dir, "raw.wav")
	if out, err := exec.Command("flite", "-voice", voice, "-t", text, "-o", raw).CombinedOutput(); err != nil {
		t.Fatalf("flite: %v\n%s", err, out)
	}
	band := filepath.Join(dir, "band.wav")
	line := filepath.Join(dir, "line.wav")
	out := filepath.Join(dir, "caller.wav")
	for _, args := range [][]string{
		{"-D", raw, "-r", "8000", "-c", "1", "-b", "16", band, "sinc", "300-3400", "pad", fmt.Sprint(lead), "2"},
		{"-D", band, "-e", "u-law", line},
		{"-D", line, "-e", "signed", "-b", "16", out},
	} {
		if b, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
			t.Fatalf("sox %v: %v\n%s", args, err, b)
		}
	}
	return out
}

// rmsDB is the RMS level of samples in dBFS (-100 for silence).
func rmsDB(x []int16) float64 {
	if len(x) == 0 {
		return -100
	}
	var sum float64
	for _, v := range x {
		sum += float64(v) * float64(v)
	}
	r := math.Sqrt(sum/float64(len(x))) / 32768
	if r <= 0 {
		return -100
	}
	return math.Max(-100, 20*math.Log10(r))
}

func readWAV8k(t *testing.T, path string) []int16 {
	t.Helper()
	pcm, err := media.ReadWAV8k(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return pcm
}

// latestCall returns the newest stored call record, waiting up to 3 s for it (records are durable within 1 s).
func latestCall(t *testing.T, p *serveProc) store.Call {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		var calls []store.Call
		if code := p.getJSON(t, "/api/calls?limit=1", &calls); code != 200 {
			t.Fatalf("/api/calls: status %d", code)
		}
		if len(calls) == 1 && !calls[0].EndedAt.IsZero() {
			return calls[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no call record within 3 s of the hang-up")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDialedCallHearsTheAnnouncementAndIsRecorded(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end call")
	}
	p := startServe(t, "call:\n  record: true\n")
	caller := phoneSpeech(t, "slt", "Hello. I am calling about my bill.", 0.5)
	dir := t.TempDir()
	heard := filepath.Join(dir, "heard.wav")
	events := dialOK(t, p, 60*time.Second, "-play", caller, "-record", heard, "-hangup-after", "9s")
	answered := findEvent(events, "answered")
	if answered == nil || answered["call_id"] == "" {
		t.Fatalf("no answered event with call_id: %v", events)
	}
	hangup := findEvent(events, "hangup")
	if hangup == nil || hangup["by"] != "local" {
		t.Fatalf("hang-up event: %v", hangup)
	}

	// What the dialer heard: the announcement, spoken, from the first second.
	pcm := readWAV8k(t, heard)
	if d := float64(len(pcm)) / 8000; d < 7 || d > 11 {
		t.Fatalf("recording lasts %.1f s, want about 9 s", d)
	}
	if lvl := rmsDB(pcm[:3*8000]); lvl < -35 {
		t.Fatalf("first 3 s of what the caller heard are at %.1f dBFS: no announcement", lvl)
	}

	rec := latestCall(t, p)
	if rec.SIPCallID != answered["call_id"] {
		t.Fatalf("record sip_call_id %q, dialer saw %q", rec.SIPCallID, answered["call_id"])
	}
	if rec.SIPStatus != 200 || rec.StartedAt.IsZero() || rec.EndedAt.Before(rec.StartedAt) {
		t.Fatalf("record basics wrong: %+v", rec)
	}
	if len(rec.Transcript) == 0 || rec.Transcript[0].Who != "bot" {
		t.Fatalf("transcript should start with the bot's announcement: %+v", rec.Transcript)
	}

	// The server's stereo recording holds what the dialer played on the caller's (left) channel.
	if rec.Recording == "" {
		t.Fatal("record names no recording")
	}
	left := stereoLeft(t, filepath.Join(p.dataDir, rec.Recording))
	if lvl := rmsDB(left); lvl < -45 {
		t.Fatalf("caller channel of the server's recording is at %.1f dBFS: the dialer's speech is missing", lvl)
	}
}

// stereoChannel reads one channel (1 left: the caller, 2 right: the bot) of a 16-bit stereo WAV written by the
// media recorder.
func stereoChannel(t *testing.T, path string, ch int) []int16 {
	t.Helper()
	out := filepath.Join(t.TempDir(), "channel.wav")
	if b, err := exec.Command("sox", path, out, "remix", fmt.Sprint(ch)).CombinedOutput(); err != nil {
		t.Fatalf("sox remix %s: %v\n%s", path, err, b)
	}
	return readWAV8k(t, out)
}

func stereoLeft(t *testing.T, path string) []int16 { return stereoChannel(t, path, 1) }

// A caller who talks over the bot's answer stops it (barge-in), as the server's own recording of the call shows,
// and the bot then answers what the caller said instead.
func TestCallerTalkingOverTheAnswerStopsIt(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end call")
	}
	p := startServe(t, "call:\n  record: true\n")
	first := readWAV8k(t, phoneSpeech(t, "slt", "How do I turn on roaming before my holiday?", 8))
	// 1.5 s after the first question ends (phoneSpeech pads 2 s) the caller speaks again, into the answer.
	second := readWAV8k(t, phoneSpeech(t, "slt", "Sorry, actually, how do I pay my bill?", 0))
	callerPCM := append(first[:len(first)-8000/2], second...)
	callerWAV := filepath.Join(t.TempDir(), "caller.wav")
	if err := media.WriteWAV(callerWAV, 8000, 1, callerPCM); err != nil {
		t.Fatal(err)
	}
	dialOK(t, p, 90*time.Second, "-play", callerWAV, "-hangup-after", fmt.Sprintf("%ds", len(callerPCM)/8000+8))
	rec := latestCall(t, p)
	if rec.Recording == "" {
		t.Fatal("record names no recording")
	}
	recording := filepath.Join(p.dataDir, rec.Recording)
	caller, bot := stereoChannel(t, recording, 1), stereoChannel(t, recording, 2)
	const frame = 160
	loud := func(x []int16, i, n int) bool { return i+n <= len(x) && rmsDB(x[i:i+n]) > -40 }
	// The second question's first sound, on the server's timeline.
	onset := -1
	for i := (len(first) - 2*8000) / frame * frame; i+frame <= len(caller); i += frame {
		if loud(caller, i, frame) && i > 0 && !loud(caller, i-8000/2, 8000/2) {
			onset = i
			break
		}
	}
	if onset < 0 {
		t.Fatal("the second question is not in the caller channel of the recording")
	}
	if !loud(bot, onset-8000*3/10, 8000*3/10) {
		t.Fatalf("the bot was not speaking when the caller started again (at %.2f s): the test did not talk over an answer; transcript %+v",
			float64(onset)/8000, rec.Transcript)
	}
	// The bot's channel goes quiet soon after, and stays quiet for a second (longer than any pause between its
	// sentences) while the caller goes on: the barge-in detector waits for 280 ms of speech (so a backchannel does
	// not stop it), the aim is 300 ms; the bound is generous for a busy machine.
	stopped := -1
	for i := onset; i+8000 <= len(bot); i += frame {
		if rmsDB(bot[i:i+8000]) < -50 {
			stopped = i
			break
		}
	}
	delay := float64(stopped-onset) / 8
	if stopped < 0 || delay > 800 {
		t.Fatalf("the bot's answer went on %.0f ms after the caller started talking over it", delay)
	}
	t.Logf("the answer stopped %.0f ms after the caller started talking over it", delay)
	if !strings.Contains(p.logs.String(), "barge-in: caller spoke over the prompt") {
		t.Fatal("the server did not log the barge-in")
	}
	// The bot answered what the caller said over it.
	var lastCaller, lastBot float64 = -1, -1
	callerLines := 0
	for _, l := range rec.Transcript {
		if l.Who == "caller" {
			callerLines++
			lastCaller = l.At
		} else {
			lastBot = l.At
		}
	}
	if callerLines < 2 || lastBot <= lastCaller {
		t.Fatalf("no answer to the question asked over the prompt: transcript %+v", rec.Transcript)
	}
}

// A caller who asks before the announcement is over is answered as soon as it ends, without the greeting (it
// used to be played first, 2.5 s, and then could not even be stopped: the stop came before the greeting had
// registered as the prompt being played).
func TestQuestionAskedDuringTheAnnouncementIsAnsweredRightAfterIt(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end call")
	}
	p := startServe(t, "")
	caller := phoneSpeech(t, "rms", "How can I pay my bill?", 0.5)
	dialOK(t, p, 60*time.Second, "-play", caller, "-hangup-after", "10s")
	rec := latestCall(t, p)
	if len(rec.Turns) == 0 {
		t.Fatalf("no caller turn: transcript %+v", rec.Transcript)
	}
	turn := rec.Turns[0]
	if turn.CallerSpeechEndMS > turn.ASRFinalMS-300 {
		t.Fatalf("the question did not end during the announcement: %+v", turn)
	}
	if wait := turn.BotAudioStartMS - turn.ReplyChosenMS; turn.BotAudioStartMS == 0 || wait > 500 {
		t.Fatalf("the answer started %d ms after it was chosen (the greeting played first?): %+v", wait, turn)
	}
	// Answered, not greeted: "Hello, how can I help?" after the question sounds as if nobody listened.
	for _, l := range rec.Transcript {
		if strings.Contains(l.Text, "how can I help you today") {
			t.Fatalf("the caller who had asked was greeted: %+v", rec.Transcript)
		}
	}
}

func TestCallerAskingForAPersonIsHandedOver(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end call")
	}
	p := startServe(t, "")
	caller := phoneSpeech(t, "slt", "I want to speak to a real person please.", 8)
	heard := filepath.Join(t.TempDir(), "heard.wav")
	dialOK(t, p, 90*time.Second, "-play", caller, "-record", heard, "-hangup-after", "22s")
	rec := latestCall(t, p)
	if rec.TransferReason != "asked_for_agent" {
		t.Fatalf("transfer_reason %q, want asked_for_agent; transcript %+v", rec.TransferReason, rec.Transcript)
	}
	// From the end of the request to the hang-up (nobody is at the softphone) the caller always hears something:
	// the transfer sentence, then hold music and apologies, never more than 2 s of silence.
	speechEnd := len(readWAV8k(t, caller)) - 2*8000 // phoneSpeech pads 2 s of silence after the words
	pcm := readWAV8k(t, heard)
	if len(pcm) < speechEnd+10*8000 {
		t.Fatalf("heard only %.1f s", float64(len(pcm))/8000)
	}
	longest, run := 0, 0
	for i := speechEnd; i+160 <= len(pcm)-8000/2; i += 160 {
		if rmsDB(pcm[i:i+160]) < -50 {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	gap := float64(longest) * 0.02
	if gap > 2 {
		t.Fatalf("the caller waited %.2f s in silence after asking for a person", gap)
	}
	t.Logf("longest silence the caller heard after asking for a person: %.2f s", gap)
	if rec.Emotion == nil || rec.Emotion.TransferReason != "asked_for_agent" {
		t.Fatalf("emotion report lacks the transfer reason: %+v", rec.Emotion)
	}
}

func TestDTMFZeroReachesAPerson(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end call")
	}
	p := startServe(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, mode := range []string{"rfc4733", "info"} {
		t.Run(mode, func(t *testing.T) {
			events, code := runDial(t, ctx, "-dtmf", "0", "-dtmf-mode", mode, "-hangup-after", "10s", "sip:hotline@"+p.sipAddr)
			if code != 0 {
				t.Fatalf("hotline dial exited %d: %v", code, events)
			}
			rec := latestCall(t, p)
			if rec.TransferReason != "asked_for_agent" {
				t.Fatalf("transfer_reason %q after DTMF 0 by %s", rec.TransferReason, mode)
			}
		})
	}
}

func TestServeRefusesABrokenConfigNamingTheFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(cfg, []byte("sip:\n  udp_addr: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(testenv.Hotline(t), "serve", "-config", cfg, "-data", filepath.Join(dir, "data"))
	out, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v\n%s", err, out)
	}
	if !bytesContains(out, cfg) {
		t.Fatalf("error does not name %s:\n%s", cfg, out)
	}
}

func bytesContains(b []byte, s string) bool { return strings.Contains(string(b), s) }

// A knowledge-base entry added while hotline runs answers callers within seconds, even when its key word is one
// neither the recogniser's vocabulary nor its dictionary had: the domain model is rebuilt on the reload.
func TestNewKnowledgeBaseEntryIsHeardAndAnsweredWithinSeconds(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end call")
	}
	kbFile := filepath.Join(t.TempDir(), "kb.yaml")
	if err := os.WriteFile(kbFile, dialog.DefaultKBData(), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startServe(t, fmt.Sprintf("dialog:\n  kb_file: %q\n  kb_reload_interval: 200ms\n", kbFile))
	caller := phoneSpeech(t, "awb", "How do I get the zorbix bundle?", 8)
	entry := `
  - id: zorbix_bundle
    topic: the Zorbix bundle
    examples:
      - How do I get the Zorbix bundle?
      - What does the Zorbix bundle cost?
      - Tell me about Zorbix
      - I want to add Zorbix to my plan
    answer: The Zorbix bundle costs five pounds a month; say yes in the app under Add-ons to get it.
`
	f, err := os.OpenFile(kbFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(entry); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// The caller speaks 8 s after the answer; the call starts 2 s after the save.
	time.Sleep(2 * time.Second)
	dialOK(t, p, 90*time.Second, "-play", caller, "-hangup-after", "16s")
	rec := latestCall(t, p)
	if rec.Intent != "zorbix_bundle" {
		t.Fatalf("intent %q, want the new entry zorbix_bundle; transcript %+v", rec.Intent, rec.Transcript)
	}
}

// A caller who puts the bot on hold for longer than it waits for an answer (sipp: re-INVITE sendonly, 25 s,
// re-INVITE sendrecv, BYE) is not prompted into the hold and hung up on: the caller ends the call.
func TestHeldCallerIsNotHungUpOn(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end call")
	}
	testenv.Need(t, "sipp", "sip-tester")
	p := startServe(t, "dialog:\n  turn_taking:\n    no_input_timeout: 2s\n")
	dir := t.TempDir()
	cmd := exec.Command("sipp", "-sf", filepath.Join(testenv.ModuleRoot(t), "testdata", "sipp", "hold_long.xml"),
		"-i", "127.0.0.1", "-p", fmt.Sprint(freeSIPPort(t)), "-mi", "127.0.0.1", "-mp", fmt.Sprint(freeSIPPort(t)),
		"-m", "1", "-timeout", "60s", "-timeout_error", "-nostdin", "-trace_err", "-error_file",
		filepath.Join(dir, "errors.log"), "-s", "hotline", p.sipAddr)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		trace, _ := os.ReadFile(filepath.Join(dir, "errors.log"))
		t.Fatalf("sipp: %v (the bot hung up on the held caller?)\n%s\n%s", err, trace, lastLines(string(out), 20))
	}
	rec := latestCall(t, p)
	if rec.EndCause != "remote_bye" {
		t.Fatalf("end cause %q, want the caller's BYE; transcript %+v", rec.EndCause, rec.Transcript)
	}
}

func lastLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(ls[max(0, len(ls)-n):], "\n")
}

func TestCallerLeavesAMessageWhenNoAgentCanTakeTheCall(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end call")
	}
	// Nobody is logged in: the caller who asks for a person (key 0, during the announcement) hears the voicemail
	// prompt and the tone, speaks, falls silent, and the bot thanks them and hangs up.
	p := startServe(t, "call:\n  announcement: Hello.\n  voicemail:\n    prompt: Please leave a message after the tone.\n"+
		"    end_silence: 2s\nagents:\n  overflow: voicemail\n")
	const lead = 12.0 // seconds from the answer to the message: after the tone
	msg := phoneSpeech(t, "rms", "Hello, this is John Smith. Please call me back about my bill.", lead)
	heard := filepath.Join(t.TempDir(), "heard.wav")
	start := time.Now()
	events := dialOK(t, p, 90*time.Second, "-dtmf", "0", "-play", msg, "-record", heard, "-hangup-after", "45s")
	if took := time.Since(start); took > 40*time.Second {
		t.Fatalf("the call lasted %s: the bot did not end the message after the caller fell silent (events %v)", took, events)
	}
	rec := latestCall(t, p)
	if rec.Voicemail == nil || rec.Voicemail.Path == "" {
		t.Fatalf("no voicemail in the record: %+v", rec)
	}
	if rec.Voicemail.At > lead {
		t.Fatalf("recording started %.1f s after the answer, after the caller began at %.0f s", rec.Voicemail.At, lead)
	}
	msgSeconds := float64(len(readWAV8k(t, msg)))/8000 - lead - 2
	if d := float64(rec.Voicemail.DurationMS) / 1000; d < msgSeconds || d > msgSeconds+lead+4 {
		t.Fatalf("voicemail lasts %.1f s; the message is %.1f s", d, msgSeconds)
	}
	if rec.Outcome != store.OutcomeTransferred || rec.TransferReason != "asked_for_agent" {
		t.Fatalf("outcome %q, transfer_reason %q; want transferred, asked_for_agent", rec.Outcome, rec.TransferReason)
	}
	var words bool
	for _, l := range rec.Transcript {
		if l.Who == "caller" && l.At >= rec.Voicemail.At && strings.Contains(strings.ToLower(l.Text), "call") {
			words = true
		}
	}
	if !words {
		t.Fatalf("the message's words are not in the transcript: %+v", rec.Transcript)
	}
	t.Logf("voicemail from %.1f s, %d ms; transcript %+v", rec.Voicemail.At, rec.Voicemail.DurationMS, rec.Transcript)

	// The message, through the API: the caller's voice where they spoke.
	req, _ := http.NewRequest("GET", "http://"+p.httpAddr+"/api/calls/"+rec.ID+"/voicemail", nil)
	req.Header.Set("Authorization", "Bearer "+p.token(t))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "audio/wav" {
		t.Fatalf("GET voicemail: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	pcm, err := media.DecodeWAV(mustReadAll(t, resp.Body), 8000)
	if err != nil {
		t.Fatal(err)
	}
	from := int((lead - rec.Voicemail.At + 0.5) * 8000)
	if from < 0 || from+8000 > len(pcm) {
		t.Fatalf("voicemail of %d samples has no audio %.1f s in", len(pcm), lead-rec.Voicemail.At)
	}
	var sum float64
	for _, v := range pcm[from : from+8000] {
		sum += float64(v) * float64(v)
	}
	if db := 10 * math.Log10(sum/8000+1e-12); db < -45 {
		t.Fatalf("the voicemail is at %.1f dBFS where the caller spoke", db)
	}

	// The caller heard the tone before speaking.
	if n, _ := toneFrames(readWAV8k(t, heard), 0, int(lead*8000), 1000); n < 10 {
		t.Fatalf("no 1 kHz tone before the message (%d tone frames)", n)
	}

	// A supervisor sees the message on the supervisor page (real Chromium): who, the words, and a player that
	// loads the audio.
	addAccount(t, p.dataDir, "sam", "sam-password-1", "supervisor")
	br := testbrowser.Start(t, "")
	base := "http://" + p.httpAddr
	br.RunWithin(t, "login page", 60*time.Second,
		chromedp.Navigate(base+"/?next=/supervisor"),
		chromedp.WaitVisible(testbrowser.TestID("login-user")),
		chromedp.SendKeys(testbrowser.TestID("login-user"), "sam"),
		chromedp.SendKeys(testbrowser.TestID("login-pass"), "sam-password-1"),
		chromedp.Click(testbrowser.TestID("login-submit")),
	)
	br.WaitAttr(t, "message-count", "data-value", 20*time.Second, func(v string) bool { return v == "1" })
	if txt := br.Text(t, "messages"); !strings.Contains(strings.ToLower(txt), "call me back") {
		t.Fatalf("the message on the supervisor page reads %q", txt)
	}
	// The page's player asks the API for the WAV with the supervisor's session cookie.
	seconds := testbrowser.Value(t, br, "loading the message's audio", chromedp.Poll[float64](`(() => {
		const a = document.querySelector('[data-testid="message"] audio');
		if (!a) return 0;
		if (a.readyState === 0 && a.networkState !== 2) a.load();
		return a.duration > 0 && isFinite(a.duration) ? a.duration : 0;
	})()`, chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(200*time.Millisecond)))
	if want := float64(rec.Voicemail.DurationMS) / 1000; math.Abs(seconds-want) > 0.5 {
		t.Fatalf("the page's player says %.2f s, the message is %.2f s", seconds, want)
	}
	br.Screenshot(t, filepath.Join(testbrowser.ArtifactsDir(t, "e2e"), "supervisor-messages.png"))
}

func mustReadAll(t *testing.T, r io.Reader) *bytes.Reader {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

func TestAgentLostMidCallGivesTheCallerBackToTheBotWhenConfigured(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end call")
	}
	// agents.on_agent_lost: bot. The agent answers, then their page goes away for longer than the grace: the
	// caller hears the apology and the bot takes them back, although another agent is free (by default the
	// call would ring there).
	p := startServe(t, "agents:\n  on_agent_lost: bot\n  reconnect_grace: 1s\n  ring_timeout: 60s\n")
	base := "http://" + p.httpAddr
	addAccount(t, p.dataDir, "alice", "alice-e2e-pass", "agent")
	addAccount(t, p.dataDir, "bob", "bob-e2e-pass", "agent")
	alice := loginWSAgent(t, base, "alice", "alice-e2e-pass")
	alice.expect(t, "hello", 10*time.Second)
	dial := startDial(t, "-dtmf", "0", "-hangup-after", "30s", "sip:hotline@"+p.sipAddr)
	var ring struct {
		CallID  string `json:"call_id"`
		OfferID string `json:"offer_id"`
	}
	if err := json.Unmarshal(alice.expect(t, "ring", 30*time.Second), &ring); err != nil {
		t.Fatal(err)
	}
	alice.send(t, map[string]any{"type": "answer", "call_id": ring.CallID, "offer_id": ring.OfferID})
	alice.expect(t, "rtc_offer", 10*time.Second)
	bob := loginWSAgent(t, base, "bob", "bob-e2e-pass")
	bob.expect(t, "hello", 10*time.Second)
	alice.ws.Close()
	if code := dial.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("hotline dial exited %d", code)
	}
	if ev, _ := dial.event("hangup"); ev == nil || ev["by"] != "local" {
		t.Fatalf("the caller was dropped: hang-up %v, want by the dialer at -hangup-after", ev)
	}
	rec := latestCall(t, p)
	apology, back := -1, -1
	for i, l := range rec.Transcript {
		switch {
		case l.Who == "bot" && l.Text == agentbridge.DefaultConfig().ApologyText:
			apology = i
		case l.Who == "bot" && l.Text == config.Default().Call.BackToBot && apology >= 0:
			back = i
		}
	}
	if apology < 0 || back < 0 {
		t.Fatalf("want the apology, then back_to_bot: %+v", rec.Transcript)
	}
	for {
		select {
		case m, ok := <-bob.in:
			if ok && m.Type == "ring" {
				t.Fatal("the call rang at bob: re-queued, although on_agent_lost is bot")
			}
			if ok {
				continue
			}
		default:
		}
		break
	}
	if rec.Outcome != store.OutcomeTransferred || rec.Agent != "alice" {
		t.Fatalf("outcome %q, agent %q; want transferred, alice", rec.Outcome, rec.Agent)
	}
}

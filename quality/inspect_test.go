package quality

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/prosody"
)

// utterance is one line of the constructed conversation: who says what, starting when (seconds from the agent
// taking the call). The words are real speech from espeak-ng, trimmed to the spoken part, so every start and
// end, and so every overlap and pause, is known by construction.
type utterance struct {
	agent bool
	text  string
	start float64
	end   float64 // filled in after synthesis
	pcm   []int16
}

// synth speaks text with espeak-ng and returns it as 8 kHz PCM with the silence before and after cut off.
func synth(t *testing.T, dir, text string, i int) []int16 {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("u%d.wav", i))
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "165", "-w", path, text).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v\n%s", err, out)
	}
	pcm, err := media.ReadWAV8k(path)
	if err != nil {
		t.Fatal(err)
	}
	first, last := -1, -1
	for j, s := range pcm {
		if s > 330 || s < -330 { // 1% of full scale
			if first < 0 {
				first = j
			}
			last = j
		}
	}
	if first < 0 {
		t.Fatalf("espeak-ng gave silence for %q", text)
	}
	return pcm[first : last+1]
}

// conversation lays the utterances out on two legs (agent, caller) of the given length and returns the PCM of
// each leg.
func conversation(t *testing.T, us []utterance) (agent, caller []int16) {
	t.Helper()
	testenv.Need(t, "espeak-ng", "espeak-ng")
	dir := t.TempDir()
	var end float64
	var prev *utterance
	for i := range us {
		u := &us[i]
		u.pcm = synth(t, dir, u.text, i)
		if u.start < 0 { // negative start: relative to the previous utterance's end
			u.start = prev.end - u.start - 1000 // see rel()
		}
		u.end = u.start + float64(len(u.pcm))/8000
		end = math.Max(end, u.end)
		prev = u
	}
	n := int((end + 2) * 8000)
	agent, caller = make([]int16, n), make([]int16, n)
	for _, u := range us {
		leg := caller
		if u.agent {
			leg = agent
		}
		copy(leg[int(u.start*8000):], u.pcm)
	}
	return agent, caller
}

// rel places an utterance d seconds after the previous one ends (negative d: before it ends, overlapping).
func rel(d float64) float64 { return -(d + 1000) }

// vad runs prosody's analyser over a leg and returns its per-10 ms speech decisions.
func vad(pcm []int16) []bool {
	a := prosody.NewAnalyzer(prosody.DefaultConfig())
	var out []bool
	for i := 0; i+160 <= len(pcm); i += 160 {
		for _, fr := range a.Process(pcm[i : i+160]) {
			out = append(out, fr.Speech)
		}
	}
	for _, fr := range a.Flush() {
		out = append(out, fr.Speech)
	}
	return out
}

func overlap(a, b utterance) float64 {
	return math.Max(0, math.Min(a.end, b.end)-math.Max(a.start, b.start))
}

func TestInspectionOfConstructedTwoPartyConversation(t *testing.T) {
	us := []utterance{
		{agent: false, start: 0.5, text: "Hello I have a problem with my internet connection it keeps dropping every evening"},
		{agent: true, start: rel(0.4), text: "I am sorry to hear that let me check your line and the recent outages in your area"},
		// 4.2 s of silence while the agent looks things up.
		{agent: true, start: rel(4.2), text: "I guarantee this will never happen again because we have fixed the fault in the exchange"},
		// The caller cuts in 1.0 s before the agent finishes.
		{agent: false, start: rel(-1.0), text: "But last week you told me exactly the same thing and nothing has changed at all"},
		// The agent cuts in 1.5 s before the caller finishes.
		{agent: true, start: rel(-1.5), text: "Calm down and listen to me the engineer will come tomorrow morning"},
		// 3.5 s of silence, then a short goodbye.
		{agent: false, start: rel(3.5), text: "Okay thank you goodbye"},
	}
	agentPCM, callerPCM := conversation(t, us)
	agentVAD, callerVAD := vad(agentPCM), vad(callerPCM)

	// What the construction says.
	var knownOvertalk, agentSpan, callerSpan float64
	agentWords := 0
	for i, u := range us {
		if u.agent {
			agentSpan += u.end - u.start
			agentWords += len(strings.Fields(u.text))
		} else {
			callerSpan += u.end - u.start
		}
		for _, v := range us[i+1:] {
			if v.agent != u.agent {
				knownOvertalk += overlap(u, v)
			}
		}
	}
	knownNonTalk := (us[2].start - us[1].end) + (us[5].start - us[4].end)
	t.Logf("known: overtalk %.2fs, non-talk %.2fs, agent talk %.2fs, caller talk %.2fs, agent %d words",
		knownOvertalk, knownNonTalk, agentSpan, callerSpan, agentWords)

	cfg := DefaultConfig()
	cfg.SilenceAlert = 3500 * time.Millisecond
	cfg.OvertalkAlert = 800 * time.Millisecond
	var mu sync.Mutex
	var alerts []Alert
	in, err := NewInspector(cfg, "call-1", "alice", 30, func(a Alert) { mu.Lock(); alerts = append(alerts, a); mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	n := min(len(agentVAD), len(callerVAD))
	said := map[int]bool{}
	for f := 0; f < n; f++ {
		in.Frame(agentVAD[f], callerVAD[f])
		// The recogniser's final result arrives when an utterance ends.
		tNow := float64(f+1) / 100
		for i, u := range us {
			if !said[i] && tNow >= u.end+0.3 {
				said[i] = true
				if u.agent {
					in.AgentWords(30+u.start, u.text)
				} else {
					in.CallerWords(30+u.start, u.text)
				}
			}
		}
	}
	q := in.Result()
	t.Logf("measured: %+v", q)

	within := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.3f, want %.3f ± %.3f", name, got, want, tol)
		}
	}
	within("overtalk (s)", float64(q.OvertalkMS)/1000, knownOvertalk, 0.6)
	within("non-talk (s)", float64(q.NonTalkMS)/1000, knownNonTalk, 0.8)
	within("talk share of the agent", q.TalkShareAgent, agentSpan/(agentSpan+callerSpan), 0.08)
	within("agent wpm", q.AgentWPM, float64(agentWords)/(agentSpan/60), 0.25*float64(agentWords)/(agentSpan/60))
	if q.Interruptions != 1 {
		t.Errorf("agent interruptions = %d, want 1 (the agent cut in once)", q.Interruptions)
	}
	if q.CallerInterruptions != 1 {
		t.Errorf("caller interruptions = %d, want 1", q.CallerInterruptions)
	}
	if q.LongestSilenceMS < 3500 || q.LongestSilenceMS > 4300 {
		t.Errorf("longest silence %d ms, want about 4200 less the VAD hangover", q.LongestSilenceMS)
	}
	var phrases []string
	for _, r := range q.RiskyPhrases {
		phrases = append(phrases, r.Kind+":"+r.Phrase)
		if r.Suggestion == "" {
			t.Errorf("risky phrase %q without a suggested standard phrase", r.Phrase)
		}
	}
	for _, want := range []string{"promise:i guarantee", "promise:never happen again", "prohibited:calm down"} {
		if !strings.Contains(strings.Join(phrases, ","), want) {
			t.Errorf("risky phrases %v lack %s", phrases, want)
		}
	}
	if len(q.EmotionWords) == 0 || q.EmotionWords[0] != "listen" {
		t.Errorf("emotion words %v, want [listen]", q.EmotionWords)
	}
	if q.Score >= 80 || q.Score <= 0 {
		t.Errorf("score %.1f for a call with three risky phrases and an interruption, want well below 80", q.Score)
	}

	// Live alerts: each kind once, at the right moment, with the call and agent named.
	kinds := map[string][]Alert{}
	for _, a := range alerts {
		kinds[a.Kind] = append(kinds[a.Kind], a)
		if a.CallID != "call-1" || a.Agent != "alice" {
			t.Errorf("alert without call or agent: %+v", a)
		}
	}
	if a := kinds[AlertLongSilence]; len(a) != 1 || a[0].At < 30+us[1].end+3.5 || a[0].At > 30+us[2].start {
		t.Errorf("long_silence alerts %+v, want one during the 4.2 s pause (%.1f–%.1f)", a, 30+us[1].end, 30+us[2].start)
	}
	if a := kinds[AlertInterruption]; len(a) != 1 || a[0].At < 30+us[4].start || a[0].At > 30+us[4].start+0.8 {
		t.Errorf("interruption alerts %+v, want one just after %.2f", a, 30+us[4].start)
	}
	if len(kinds[AlertOvertalk]) < 1 {
		t.Errorf("no overtalk alert for %.1f s of over-talk", knownOvertalk)
	}
	if a := kinds[AlertRiskyPhrase]; len(a) != 3 || a[0].Suggestion == "" || a[0].At != 30+math.Round(us[2].start*1000)/1000 {
		t.Errorf("risky_phrase alerts %+v, want 3 with suggestions, the first at %.3f", a, 30+us[2].start)
	}
}

func TestHoldTimeIsNeitherTalkNorSilence(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HoldAlert = 5 * time.Second
	var alerts []Alert
	in, _ := NewInspector(cfg, "c", "a", 0, func(a Alert) { alerts = append(alerts, a) })
	for i := 0; i < 200; i++ { // 2 s of agent talk
		in.Frame(true, false)
	}
	in.SetHold(true)
	for i := 0; i < 800; i++ { // 8 s on hold (music on the agent leg counts for nothing)
		in.Frame(true, false)
	}
	in.SetHold(false)
	for i := 0; i < 100; i++ {
		in.Frame(false, true)
	}
	q := in.Result()
	if q.HoldMS != 8000 || q.AgentTalkMS != 2000 || q.CallerTalkMS != 1000 || q.NonTalkMS != 0 {
		t.Fatalf("hold %d, agent talk %d, caller talk %d, non-talk %d ms; want 8000, 2000, 1000, 0",
			q.HoldMS, q.AgentTalkMS, q.CallerTalkMS, q.NonTalkMS)
	}
	if len(alerts) != 1 || alerts[0].Kind != AlertLongHold || alerts[0].At != 7 {
		t.Fatalf("alerts %+v, want one long_hold at 7 s", alerts)
	}
}

func TestShortOverlapsAreBackChannelNotInterruptions(t *testing.T) {
	in, _ := NewInspector(DefaultConfig(), "c", "a", 0, nil)
	for i := 0; i < 300; i++ { // the caller talks 3 s; the agent says "mm-hm" (200 ms) in the middle
		in.Frame(i >= 100 && i < 120, true)
	}
	if q := in.Result(); q.Interruptions != 0 || q.OvertalkMS != 200 {
		t.Fatalf("interruptions %d, overtalk %d ms; want 0 and 200", q.Interruptions, q.OvertalkMS)
	}
}

func TestRiskyPhrasesFromConfigurationAndContractions(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Phrases = []PhraseRule{{Kind: "wrong_policy", Phrase: "no contract needed", Suggestion: "Our plans come with a 12-month contract."}}
	in, err := NewInspector(cfg, "c", "a", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"That's not my department, sorry.", "No contract needed for this one!",
		"It isn't a problem", "We hellp you", "Your card 4111 1111 1111 1111 — I guarantee it's safe"} {
		in.AgentWords(1, s)
	}
	q := in.Result()
	var got []string
	for _, r := range q.RiskyPhrases {
		got = append(got, r.Phrase)
		if strings.Contains(r.Text, "4111 1111") {
			t.Errorf("risky phrase text not masked: %q", r.Text)
		}
	}
	if strings.Join(got, "|") != "not my department|no contract needed|i guarantee" {
		t.Fatalf("risky phrases %q", got)
	}
}

func BenchmarkInspectorFrame(b *testing.B) {
	in, _ := NewInspector(DefaultConfig(), "c", "a", 0, nil)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		in.Frame(i%300 < 120, i%500 > 100)
		i++
	}
}

func TestPhrasesFileReplacesTheBuiltInLists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "phrases.yaml")
	os.WriteFile(path, []byte("- kind: taboo\n  phrase: mate\n  suggestion: Sir or madam\n"), 0o644)
	cfg := DefaultConfig()
	cfg.PhrasesFile = path
	in, err := NewInspector(cfg, "c", "a", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	in.AgentWords(1, "Alright mate, I guarantee it")
	if q := in.Result(); len(q.RiskyPhrases) != 1 || q.RiskyPhrases[0].Phrase != "mate" {
		t.Fatalf("risky phrases %+v, want only the file's", q.RiskyPhrases)
	}
	os.WriteFile(path, []byte("- kind: taboo\n  phrase: ''\n"), 0o644)
	if _, err := NewInspector(cfg, "c", "a", 0, nil); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("an empty phrase was accepted or the error does not name the file: %v", err)
	}
}

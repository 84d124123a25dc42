//go:build eval

package quality

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"
)

var evalHook func(k int, us []utterance, av, cv []bool)

var evalLines = []string{
	"I would like to know why my bill went up this month",
	"Let me look at your account and the charges from last month",
	"The roaming charges from my holiday are far too high",
	"I can see three data sessions abroad on the fourth of May",
	"Nobody told me that the package did not cover Turkey",
	"I understand and I will ask our billing team to review it",
	"My internet has been dropping every evening since Tuesday",
	"We had maintenance work in your area this week",
	"Can you send an engineer to look at the line please",
	"The next free appointment is on Thursday morning at nine",
	"That is fine as long as someone actually turns up",
	"You will get a text message the evening before the visit",
}

// TestEvalInspectionAgainstConstructedConversations lays out random two-party conversations of real
// espeak-ng speech — normal turns, long pauses and interruptions at random offsets — runs prosody's VAD on each
// leg and the Inspector over both, and compares the QA block with what the layout says.
func TestEvalInspectionAgainstConstructedConversations(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	const convs = 12
	var errOver, errNon, errShare, errWPM []float64
	interOK, interTotal := 0, 0
	for k := 0; k < convs; k++ {
		var us []utterance
		agent := rng.Intn(2) == 0
		start := 0.5
		for i := 0; i < 8; i++ {
			u := utterance{agent: agent, text: evalLines[rng.Intn(len(evalLines))]}
			if i == 0 {
				u.start = start
			} else {
				switch r := rng.Float64(); {
				case r < 0.25:
					u.start = rel(-(0.6 + rng.Float64()*1.2)) // cuts in
				case r < 0.4:
					u.start = rel(3.2 + rng.Float64()*3) // long pause
				default:
					u.start = rel(0.2 + rng.Float64()*0.8)
				}
			}
			us = append(us, u)
			agent = !agent
		}
		agentPCM, callerPCM := conversation(t, us)
		av, cv := vad(agentPCM), vad(callerPCM)
		if evalHook != nil {
			evalHook(k, us, av, cv)
		}
		in, _ := NewInspector(DefaultConfig(), fmt.Sprint(k), "a", 0, nil)
		for f := 0; f < min(len(av), len(cv)); f++ {
			in.Frame(av[f], cv[f])
		}
		var agentSpan, callerSpan, over, non float64
		words, inter := 0, 0
		for i, u := range us {
			if u.agent {
				agentSpan += u.end - u.start
				words += len(strings.Fields(u.text))
				in.AgentWords(u.start, u.text)
			} else {
				callerSpan += u.end - u.start
			}
			if i > 0 {
				p := us[i-1]
				if u.start < p.end {
					over += math.Min(p.end, u.end) - u.start
					if u.agent && p.end-u.start >= 0.3 {
						inter++
					}
				} else if u.start-p.end >= 3 {
					non += u.start - p.end
				}
			}
		}
		q := in.Result()
		errOver = append(errOver, math.Abs(float64(q.OvertalkMS)/1000-over))
		errNon = append(errNon, math.Abs(float64(q.NonTalkMS)/1000-non))
		errShare = append(errShare, math.Abs(q.TalkShareAgent-agentSpan/(agentSpan+callerSpan)))
		wantWPM := float64(words) / (agentSpan / 60)
		errWPM = append(errWPM, math.Abs(q.AgentWPM-wantWPM)/wantWPM)
		interTotal++
		if q.Interruptions == inter {
			interOK++
		}
		t.Logf("conversation %2d: overtalk %.2f/%.2f s, non-talk %.2f/%.2f s, share %.3f/%.3f, wpm %.0f/%.0f, interruptions %d/%d (measured/constructed)",
			k, float64(q.OvertalkMS)/1000, over, float64(q.NonTalkMS)/1000, non, q.TalkShareAgent, agentSpan/(agentSpan+callerSpan), q.AgentWPM, wantWPM, q.Interruptions, inter)
	}
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	fmt.Printf("EVAL quality inspection over %d constructed conversations (espeak-ng speech, prosody VAD): "+
		"mean abs error overtalk %.2f s, non-talk %.2f s, agent talk share %.3f, agent wpm %.1f%%; interruption count exact in %d/%d\n",
		convs, mean(errOver), mean(errNon), mean(errShare), 100*mean(errWPM), interOK, interTotal)
}

package dialog

import (
	"sort"
	"strings"

	"github.com/hotline/hotline/prosody"
)

// This file is the emotional side of the policy: when the caller's feelings call for a person, which strategy
// the agent should take, and which sensitive topics the caller mentioned.

// noteEmotion records the estimator's state at the end of a caller turn.
func (c *Conversation) noteEmotion(r prosody.Report) {
	st, lvl := r.State, r.Level
	if st == "" || st == prosody.Calm {
		st, lvl = prosody.Calm, 0
	}
	c.emotions = append(c.emotions, turnEmotion{state: st, level: lvl})
}

// emotionEscalation decides, from the caller turns so far (the last one just noted), whether the feeling calls
// for a person, and with which strategy: anger at AngryLevel on this turn; anxiety at AnxiousLevel on
// AnxiousTurns turns in a row; or a non-calm level rising over RisingTurns turns in a row.
func (c *Conversation) emotionEscalation() (strategy string, escalate bool) {
	cfg := c.bot.cfg
	n := len(c.emotions)
	if n == 0 {
		return "", false
	}
	last := c.emotions[n-1]
	if last.state == prosody.Angry && last.level >= cfg.AngryLevel {
		return StrategyApologiseFirst, true
	}
	if last.state == prosody.Anxious && n >= cfg.AnxiousTurns {
		all := true
		for _, e := range c.emotions[n-cfg.AnxiousTurns:] {
			if e.state != prosody.Anxious || e.level < cfg.AnxiousLevel {
				all = false
				break
			}
		}
		if all {
			return StrategyStepByStep, true
		}
	}
	if k := cfg.RisingTurns; k >= 2 && n >= k && last.state != prosody.Calm {
		rising := true
		for i := n - k + 1; i < n; i++ {
			if c.emotions[i].level <= c.emotions[i-1].level {
				rising = false
				break
			}
		}
		if rising {
			return strategyFor(last.state), true
		}
	}
	return "", false
}

func strategyFor(s prosody.State) string {
	switch s {
	case prosody.Angry:
		return StrategyApologiseFirst
	case prosody.Anxious:
		return StrategyStepByStep
	case prosody.Sad:
		return StrategyReassure
	}
	return StrategyStandard
}

// strategyID is the recommended approach for the agent: from the strongest feeling of the call (the voice
// report's current state, or the strongest caller turn, later turns winning ties), else reassure when a
// sensitive topic came up, else standard.
func (c *Conversation) strategyID(voice prosody.Report) string {
	best := turnEmotion{state: voice.State, level: voice.Level}
	if best.state == "" || best.state == prosody.Calm {
		best = turnEmotion{state: prosody.Calm}
	}
	for _, e := range c.emotions {
		if e.state != prosody.Calm && e.level >= best.level {
			best = e
		}
	}
	if best.state != prosody.Calm && best.level > 0 {
		return strategyFor(best.state)
	}
	if len(c.topics) > 0 {
		return StrategyReassure
	}
	return StrategyStandard
}

// mildPrefix is said once per call before an answer when the caller sounds upset but not enough to escalate.
func (c *Conversation) mildPrefix() string {
	if c.acknowledged || len(c.emotions) == 0 {
		return ""
	}
	last := c.emotions[len(c.emotions)-1]
	if last.state == prosody.Calm || last.level < 1 {
		return ""
	}
	c.acknowledged = true
	return c.bot.cfg.Empathy[strategyFor(last.state)].Prefix
}

type sensitiveTopic struct {
	name    string
	phrases []string // normalised, padded with spaces
}

func compileTopics(m map[string][]string) []sensitiveTopic {
	var out []sensitiveTopic
	for name, ps := range m {
		t := sensitiveTopic{name: name}
		for _, p := range ps {
			if n := strings.Join(words(p), " "); n != "" {
				t.phrases = append(t.phrases, " "+n+" ")
			}
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// SensitiveTopics returns the configured sensitive topics mentioned in text, in name order.
func (b *Bot) SensitiveTopics(text string) []string {
	norm := " " + strings.Join(words(text), " ") + " "
	var out []string
	for _, t := range b.topics {
		for _, p := range t.phrases {
			if strings.Contains(norm, p) {
				out = append(out, t.name)
				break
			}
		}
	}
	return out
}

func (c *Conversation) noteTopics(text string) {
	for _, t := range c.bot.SensitiveTopics(text) {
		if !contains(c.topics, t) {
			c.topics = append(c.topics, t)
		}
	}
}

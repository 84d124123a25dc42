package quality

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// PhraseRule is one risky phrase to listen for in the agent's words and the standard phrase to suggest instead.
type PhraseRule struct {
	// Kind is the list: promise (promises the company may not keep), prohibited (wrong-policy or forbidden
	// statements), taboo (rude or culturally taboo expressions), or any name of your own.
	Kind string `yaml:"kind" json:"kind"`
	// Phrase is matched as whole words, case-insensitively, with contractions expanded ("it's" = "it is").
	Phrase string `yaml:"phrase" json:"phrase"`
	// Suggestion is the standard phrase the agent's softphone shows.
	Suggestion string `yaml:"suggestion" json:"suggestion"`
}

// Phrase kinds of the default lists.
const (
	KindPromise    = "promise"
	KindProhibited = "prohibited"
	KindTaboo      = "taboo"
)

// DefaultPhrases are the built-in lists (English): promises, prohibited or wrong-policy statements, and taboo
// expressions, each with a standard phrase.
func DefaultPhrases() []PhraseRule {
	p := func(phrase, suggestion string) PhraseRule { return PhraseRule{KindPromise, phrase, suggestion} }
	x := func(phrase, suggestion string) PhraseRule { return PhraseRule{KindProhibited, phrase, suggestion} }
	b := func(phrase, suggestion string) PhraseRule { return PhraseRule{KindTaboo, phrase, suggestion} }
	const best = "I will do everything I can to sort this out for you."
	return []PhraseRule{
		p("i guarantee", best),
		p("i promise", best),
		p("guaranteed", best),
		p("one hundred percent", "I'm confident this will help, and I'll follow up to make sure."),
		p("never happen again", "We are taking steps so that this doesn't happen again."),
		p("you will definitely", "I expect that you will; I'll confirm it for you."),
		p("full refund", "I'll submit a refund request; you'll hear from us about the amount within five working days."),
		p("free of charge forever", "Let me check which offers apply to your account."),
		p("i will waive", "I'll ask for the fee to be reviewed and let you know the outcome."),
		x("not my problem", "Let me see how I can help you with this."),
		x("not my job", "Let me see how I can help you with this."),
		x("not my department", "Let me connect you with the team that handles this."),
		x("nothing i can do", "Here is what I can do for you."),
		x("you should have read", "Let me walk you through the relevant terms."),
		x("your fault", "Let's look at what happened together."),
		x("calm down", "I understand this is frustrating, and I'm here to help."),
		x("what is your password", "We will never ask for your password; let me verify you another way."),
		x("tell me your password", "We will never ask for your password; let me verify you another way."),
		x("tell me your pin", "We will never ask for your PIN; let me verify you another way."),
		x("read me your card number", "Please key in your card number on your phone's keypad; it won't be recorded."),
		x("read out your card number", "Please key in your card number on your phone's keypad; it won't be recorded."),
		x("we never make mistakes", "I'm sorry if we got this wrong; let me check."),
		b("shut up", "May I add something here?"),
		b("stupid", "Let me explain this another way."),
		b("idiot", "Let me explain this another way."),
		b("dumb", "Let me explain this another way."),
		b("damn", "I'm sorry about this."),
		b("hell", "I'm sorry about this."),
		b("crap", "I'm sorry about this."),
		b("you people", "Our customers"),
		b("whatever", "I understand."),
		b("sweetheart", "Sir or madam, or the caller's name."),
		b("honey", "Sir or madam, or the caller's name."),
	}
}

// DefaultEmotionWords are the agent's words that show irritation or fatigue.
func DefaultEmotionWords() []string {
	return []string{"frustrating", "annoying", "annoyed", "ridiculous", "unbelievable", "seriously", "ugh",
		"i'm tired", "fed up", "sick of", "i already told you", "as i said", "listen", "obviously"}
}

// LoadPhrases reads a YAML list of rules ([{kind, phrase, suggestion}, …]) from path.
func LoadPhrases(path string) ([]PhraseRule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("quality phrases %s: %w", path, err)
	}
	var rules []PhraseRule
	if err := yaml.Unmarshal(data, &rules); err != nil {
		return nil, fmt.Errorf("quality phrases %s: %w", path, err)
	}
	for i, r := range rules {
		if normalize(r.Phrase) == "" || r.Kind == "" {
			return nil, fmt.Errorf("quality phrases %s: rule %d: kind and phrase must not be empty", path, i+1)
		}
	}
	return rules, nil
}

// matcher finds phrases as whole words in normalised text.
type matcher struct {
	rules []PhraseRule
	norm  []string // " phrase " normalised, padded with spaces
}

func newMatcher(rules []PhraseRule) *matcher {
	m := &matcher{rules: rules}
	for _, r := range rules {
		m.norm = append(m.norm, " "+normalize(r.Phrase)+" ")
	}
	return m
}

// find returns the indexes of the rules found in text, each once, in rule order. Later rules that are inside an
// earlier rule's match at the same place are still reported: lists are short and overlaps are rare.
func (m *matcher) find(text string) []int {
	t := " " + normalize(text) + " "
	var out []int
	for i, p := range m.norm {
		if len(p) > 2 && strings.Contains(t, p) {
			out = append(out, i)
		}
	}
	return out
}

var contractions = strings.NewReplacer(
	"n't", " not", "'re", " are", "'ll", " will", "'ve", " have", "'m", " am", "'d", " would", "'s", " is",
	"’", "'",
)

// normalize lowercases, expands contractions, turns punctuation into spaces and collapses runs of spaces.
func normalize(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "’", "'")
	s = strings.ReplaceAll(s, "can't", "can not")
	s = strings.ReplaceAll(s, "won't", "will not")
	s = contractions.Replace(s)
	var b strings.Builder
	space := true
	for _, r := range s {
		if r == '\'' || r == '-' {
			continue
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r > 0x7f {
			b.WriteRune(r)
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// countWords counts the words of a recognised utterance.
func countWords(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		if strings.IndexFunc(f, func(r rune) bool { return r > 0x7f || (r|0x20 >= 'a' && r|0x20 <= 'z') || (r >= '0' && r <= '9') }) >= 0 {
			n++
		}
	}
	return n
}

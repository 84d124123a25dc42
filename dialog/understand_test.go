package dialog

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
)

// devAccuracy classifies the questions of testdata/NAME as text and returns the share classified as expected.
func devAccuracy(t *testing.T, bot *Bot, name string) float64 {
	t.Helper()
	qs, err := ReadQuestions(filepath.Join(testenv.ModuleRoot(t), "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, q := range qs {
		if got, _ := bot.Classify(q.Text, -1); got == q.Intent {
			ok++
		}
	}
	return float64(ok) / float64(len(qs))
}

// The development questions (the set the matcher is tuned on) as typed and as the recogniser heard them. Generous
// floors only: `make eval` prints the figures, and the held-out testdata/questions.yaml is the honest measure.
func TestIntentAccuracyOnDevelopmentQuestions(t *testing.T) {
	bot := testBot(t)
	for _, c := range []struct {
		file  string
		floor float64
	}{
		{"questions-dev.yaml", 0.88},
		{"questions-dev-asr.yaml", 0.70},
	} {
		if acc := devAccuracy(t, bot, c.file); acc < c.floor {
			t.Errorf("%s: intent accuracy %.1f%%, want at least %.0f%%", c.file, 100*acc, 100*c.floor)
		}
	}
}

func TestStemmingMakesWordFormsMeet(t *testing.T) {
	for _, forms := range [][]string{
		{"order", "orders", "ordered", "ordering"},
		{"charge", "charges", "charged", "charging"},
		{"cancel", "cancelled", "canceled", "cancelling"},
		{"lose", "lost", "losing"},
		{"leave", "left", "leaving"},
		{"late", "later", "latest"},
		{"cheap", "cheaper", "cheapest"},
		{"number", "numbers"},
		{"penalised", "penalized"},
	} {
		want := stem(forms[0])
		for _, f := range forms[1:] {
			if got := stem(f); got != want {
				t.Errorf("stem(%q) = %q, want %q as for %q", f, got, want, forms[0])
			}
		}
	}
}

func TestContentSkipsTheCallersStory(t *testing.T) {
	bot := testBot(t)
	x := bot.KB().index
	terms, _ := x.content("so um I was thinking, my mum said at the moment I could find out about roaming in Spain last week")
	for _, story := range []string{"mum", "moment", "week", "think", "find", "spain"} {
		if slices.Contains(terms, stem(story)) {
			t.Errorf("content kept the story word %q: %v", story, terms)
		}
	}
	if !slices.Contains(terms, x.abroad) {
		t.Errorf("the place name did not read as %q: %v", x.abroad, terms)
	}
}

func TestMultiWordSynonymsMatchAsOneTerm(t *testing.T) {
	bot := testBot(t)
	x := bot.KB().index
	a, _ := x.content("the answering machine")
	b, _ := x.content("voicemail")
	if !slices.Equal(a, b) {
		t.Fatalf("content(%q) = %v, want %v like %q", "the answering machine", a, b, "voicemail")
	}
}

// Casual questions are answered, or at least confirmed ("Is this about …?"), with the right entry.
func TestCasualQuestionsMatch(t *testing.T) {
	bot := testBot(t)
	// Phrasings unlike any example: story words, place names, regional words.
	for _, c := range []struct{ text, want string }{
		{"right so we're off to Portugal in the summer, how do I make sure my mobile works out there", "roaming_activate"},
		{"some scumbag pinched my phone off the table in the pub", "lost_stolen"},
		{"how much is it per day to use my data in Greece", "roaming_rates"},
		{"my bill this month is double what it normally is", "bill_high"},
	} {
		m := bot.Understand(c.text)
		if m.Intent != c.want || m.Confidence < bot.Config().ConfirmConfidence {
			t.Errorf("%q: understood %q (%.2f), want %q at confidence %.2f or more", c.text, m.Intent, m.Confidence, c.want, bot.Config().ConfirmConfidence)
		}
	}
}

func TestLoneApproximateWordIsNotUnderstood(t *testing.T) {
	bot := testBot(t)
	// "rain" sounds like "renew"; "time" alone is in too many entries.
	for _, q := range []string{"rain", "what time is the football on"} {
		if got, conf := bot.Classify(q, -1); got != "" {
			t.Errorf("%q was taken as %q (%.2f)", q, got, conf)
		}
	}
}

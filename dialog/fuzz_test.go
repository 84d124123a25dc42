package dialog

import (
	"testing"
	"time"

	"github.com/hotline/hotline/prosody"
)

// FuzzParseKB: any file content gives a knowledge base or problems with lines, never a panic.
func FuzzParseKB(f *testing.F) {
	// Small seeds only: the whole sample knowledge base (48 KB, 15 ms a parse) makes every new interesting input
	// take minutes to minimise, and the fuzzer reports 0 execs/s until its time is up. The sample file itself is
	// parsed by the unit tests.
	f.Add([]byte("synonyms:\n  - [bill, invoice]\n  - [cancel, \"shut off\"]\nentries:\n  - id: bill_amount\n    examples: [\"why is my bill so high\", \"what do I owe\"]\n    answer: Your bill is in the app.\n    topic: your bill\n    follow_ups:\n      - ask: Shall I put you through?\n        yes: agent\n  - id: cancel\n    examples: [\"I want to cancel\"]\n    answer: A colleague can help.\n    needs_agent: true\n    sensitivity: financial\n"))
	f.Add([]byte("entries:\n  - id: a\n    examples: [x, y]\n    answer: hi\n"))
	f.Add([]byte("synonyms: [[a]]\nentries: 3\n"))
	f.Add([]byte("- - - :\n\t"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A parse must stay bounded whatever the input (aliases, long lines): a stuck one fails here with its input.
		wd := time.AfterFunc(10*time.Second, func() { panic("ParseKB took over 10 s") })
		defer wd.Stop()
		kb, probs, err := ParseKB("fuzz.yaml", data)
		if err == nil && kb == nil {
			t.Fatal("no error and no knowledge base")
		}
		if err != nil && len(probs) == 0 {
			t.Fatal("an error without problems")
		}
		if kb != nil {
			kb.index.match("how do I pay my bill")
		}
	})
}

// FuzzConversation: any caller text (recognisers produce odd strings) gets a reply, never a panic.
func FuzzConversation(f *testing.F) {
	for _, s := range []string{"", "yes", "operator", "我的手机丢了", "how much does roaming cost", "'''", "a-b-c- -", "5g 4g e-sim"} {
		f.Add(s, 0.5, 2)
	}
	store, err := NewKBStore("", nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	bot := New(DefaultConfig(), store, nil, nil)
	f.Fuzz(func(t *testing.T, text string, conf float64, level int) {
		c := bot.NewConversation("fuzz")
		r := c.OnUtterance(text, conf, prosody.Report{State: prosody.Angry, Level: level % 4})
		if r.Act == "" {
			t.Fatalf("no act for %q", text)
		}
		c.Report(prosody.Report{})
		phonetic(text)
		bot.SensitiveTopics(text)
	})
}

package dialog

import (
	"testing"

	"github.com/hotline/hotline/prosody"
)

// FuzzParseKB: any file content gives a knowledge base or problems with lines, never a panic.
func FuzzParseKB(f *testing.F) {
	f.Add(DefaultKBData())
	f.Add([]byte("entries:\n  - id: a\n    examples: [x, y]\n    answer: hi\n"))
	f.Add([]byte("synonyms: [[a]]\nentries: 3\n"))
	f.Add([]byte("- - - :\n\t"))
	f.Fuzz(func(t *testing.T, data []byte) {
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

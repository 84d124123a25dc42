package dialog

import (
	"errors"
	"strings"
	"testing"
)

func TestEmbeddedKnowledgeBaseLoadsWithThirtyOrMoreEntries(t *testing.T) {
	kb, probs, err := CheckKB("")
	if err != nil {
		t.Fatalf("embedded knowledge base: %v", err)
	}
	for _, p := range probs {
		t.Errorf("embedded knowledge base should have no warnings: %s", p)
	}
	if len(kb.Entries) < 30 {
		t.Fatalf("embedded knowledge base has %d entries, want at least 30", len(kb.Entries))
	}
	agentOnly := 0
	for _, e := range kb.Entries {
		if len(e.Examples) < 3 {
			t.Errorf("entry %s has %d examples, want several", e.ID, len(e.Examples))
		}
		if n := len(strings.Fields(e.Answer)); n < 5 || n > maxAnswerWords {
			t.Errorf("entry %s: answer of %d words is not phone-sized", e.ID, n)
		}
		if e.NeedsAgent {
			agentOnly++
		}
	}
	if agentOnly == 0 {
		t.Error("no agent-only entries (disputes, cancellations)")
	}
}

func TestBrokenKnowledgeBasesAreRejectedNamingFileAndLine(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want []string // substrings that must each appear in one error line
	}{
		{"broken YAML", "entries:\n  - id: a\n    examples: [x, y\n    answer: hi\n", []string{"kb.yaml:", "not valid YAML"}},
		{"duplicate ids", "entries:\n  - id: a\n    examples: [x, y]\n    answer: hi\n  - id: a\n    examples: [z, w]\n    answer: ho\n",
			[]string{"kb.yaml:5:", `duplicate id "a" (first at line 2)`}},
		{"empty answer", "entries:\n  - id: a\n    examples: [x, y]\n    answer: \"\"\n", []string{"kb.yaml:4:", "empty answer"}},
		{"missing answer", "entries:\n  - id: a\n    examples: [x, y]\n", []string{"kb.yaml:2:", "empty answer"}},
		{"no examples", "entries:\n  - id: a\n    answer: hi\n", []string{"kb.yaml:2:", "no examples"}},
		{"unknown key", "entries:\n  - id: a\n    examples: [x, y]\n    answer: hi\n    anwser: typo\n", []string{"kb.yaml:5:", `unknown key "anwser"`}},
		{"bad id", "entries:\n  - id: Bill Amount\n    examples: [x, y]\n    answer: hi\n", []string{"kb.yaml:2:", "lower_snake_case"}},
		{"bad sensitivity", "entries:\n  - id: a\n    examples: [x, y]\n    answer: hi\n    sensitivity: secret\n", []string{"kb.yaml:5:", "sensitivity"}},
		{"follow-up to nowhere", "entries:\n  - id: a\n    examples: [x, y]\n    answer: hi\n    follow_ups:\n      - ask: more?\n        yes: b\n", []string{"kb.yaml:2:", `follow-up yes "b"`}},
		{"no entries", "synonyms: [[a, b]]\n", []string{"kb.yaml:1:", "no `entries:`"}},
		{"empty file", "", []string{"kb.yaml:1:", "empty file"}},
		{"one-word synonym group", "synonyms:\n  - [a]\nentries:\n  - id: a\n    examples: [x, y]\n    answer: hi\n", []string{"kb.yaml:2:", "at least two words"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kb, _, err := ParseKB("kb.yaml", []byte(c.yaml))
			if err == nil {
				t.Fatalf("accepted a broken knowledge base:\n%s", c.yaml)
			}
			if kb != nil {
				t.Error("returned a knowledge base along with errors")
			}
			var kerr *KBError
			if !errors.As(err, &kerr) {
				t.Fatalf("error is %T, want *KBError", err)
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

func TestWarningsDoNotFailTheLoad(t *testing.T) {
	kb, probs, err := ParseKB("kb.yaml", []byte("entries:\n  - id: a\n    examples: [only one]\n    answer: hi\n"))
	if err != nil {
		t.Fatalf("a warning failed the load: %v", err)
	}
	if kb == nil || len(probs) != 1 || !probs[0].Warning || probs[0].Line != 3 {
		t.Fatalf("want one warning at line 3, got %v", probs)
	}
}

func TestFollowUpsReferToEntriesOrAgent(t *testing.T) {
	kb, err := LoadKB("")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range kb.Entries {
		for _, f := range e.FollowUps {
			if f.Yes != FollowUpAgent && kb.Entry(f.Yes) == nil {
				t.Errorf("entry %s: follow-up yes %q is dangling", e.ID, f.Yes)
			}
		}
	}
}

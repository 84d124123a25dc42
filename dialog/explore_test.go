package dialog

import (
	"fmt"
	"os"
	"sort"
	"testing"

	"gopkg.in/yaml.v3"
)

var devNegatives = []string{
	"what time is it in Tokyo", "I'd like to order a large pepperoni", "how tall is the eiffel tower",
	"my car won't start this morning", "is the museum open on Mondays", "can you sing me a song",
	"I need a plumber for my kitchen sink", "what is the capital of Australia", "book me a table for two",
	"how do I bake sourdough bread", "the cat is stuck in a tree", "where can I buy cheap shoes",
	"tell me a joke", "how much does a new bicycle cost", "I want to renew my passport",
}

func TestExplore(t *testing.T) {
	kb, _, err := CheckKB("")
	if err != nil {
		t.Fatal(err)
	}
	// leave-one-out on KB examples
	var pos []float64
	var neg []float64
	correct, total := 0, 0
	for i, e := range kb.Entries {
		for j := range e.Examples {
			k2 := *kb
			k2.Entries = append([]Entry{}, kb.Entries...)
			ex := append([]string{}, e.Examples...)
			held := ex[j]
			k2.Entries[i].Examples = append(ex[:j:j], ex[j+1:]...)
			idx := buildIndex(&k2)
			m := idx.match(held)
			total++
			if m.Intent == e.ID {
				correct++
				pos = append(pos, m.Confidence)
			} else {
				neg = append(neg, m.Confidence)
				if os.Getenv("V") != "" {
					fmt.Printf("LOO X %-18s -> %-18s %.2f  %s\n", e.ID, m.Intent, m.Confidence, held)
				}
			}
		}
	}
	var off []float64
	for _, q := range devNegatives {
		m := kb.index.match(q)
		off = append(off, m.Confidence)
		if os.Getenv("V") != "" {
			fmt.Printf("NEG %-18s %.2f %s\n", m.Intent, m.Confidence, q)
		}
	}
	sort.Float64s(pos)
	sort.Float64s(neg)
	sort.Float64s(off)
	fmt.Printf("LOO top1 %d/%d = %.1f%%\n", correct, total, 100*float64(correct)/float64(total))
	fmt.Printf("conf correct: %v\nconf wrong: %v\nconf offtopic: %v\n", q(pos), q(neg), q(off))
	for _, th := range []float64{0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5} {
		a, w, o := 0, 0, 0
		for _, c := range pos {
			if c >= th {
				a++
			}
		}
		for _, c := range neg {
			if c >= th {
				w++
			}
		}
		for _, c := range off {
			if c >= th {
				o++
			}
		}
		fmt.Printf("th %.2f: correct answered %d/%d, wrong answered %d/%d, offtopic answered %d/%d\n", th, a, len(pos), w, len(neg), o, len(off))
	}
	if os.Getenv("T") == "" {
		return
	}
	data, _ := os.ReadFile("../testdata/questions.yaml")
	var qs struct {
		Questions []struct{ Text, Intent string }
	}
	yaml.Unmarshal(data, &qs)
	for _, q := range qs.Questions {
		m := kb.index.match(q.Text)
		c := control(q.Text)
		mark := " "
		if m.Intent != q.Intent {
			mark = "X"
		}
		fmt.Printf("%s %-20s %-20s %.2f %-18s %.2f/%.2f ctl=%v  %s\n", mark, q.Intent, m.Intent, m.Confidence, m.Runner, m.Score, m.RunnerScore, c, q.Text)
	}
}

func q(x []float64) string {
	if len(x) == 0 {
		return "-"
	}
	return fmt.Sprintf("n=%d p10=%.2f p25=%.2f p50=%.2f p75=%.2f", len(x), x[len(x)/10], x[len(x)/4], x[len(x)/2], x[3*len(x)/4])
}

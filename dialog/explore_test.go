package dialog

import (
	"fmt"
	"os"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestExplore(t *testing.T) {
	kb, probs, err := CheckKB("")
	for _, p := range probs {
		t.Log(p)
	}
	if err != nil {
		t.Fatal(err)
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

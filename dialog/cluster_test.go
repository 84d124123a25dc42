package dialog

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline/hotline/prosody"
)

func TestClusteringGroupsParaphrases(t *testing.T) {
	groups := map[string][]string{
		"refund": {"how do I get a refund for my old phone", "can I get my money back for the handset I returned",
			"refund for a returned phone", "I sent my phone back where is my refund"},
		"smartwatch": {"does my plan work with a smartwatch", "can I add my apple watch to my line",
			"how do I connect my smart watch to your network"},
		"landline": {"do you sell home broadband", "can I get fibre internet at home from you",
			"do you do home broadband deals"},
	}
	var qs []string
	label := map[string]string{}
	for g, list := range groups {
		for _, q := range list {
			qs = append(qs, q)
			label[q] = g
		}
	}
	qs = append(qs, "what is the meaning of life")
	label["what is the meaning of life"] = "odd"
	sort.Strings(qs)
	kb, _ := LoadKB("")
	clusters := ClusterQuestions(qs, kb, ClusterOptions{})
	for _, c := range clusters {
		t.Logf("%d %v %q", c.Count, c.Terms, c.Examples)
	}
	// Each paraphrase group should be mostly in one cluster, and clusters should not mix groups.
	for _, c := range clusters {
		seen := map[string]bool{}
		for _, ex := range c.Examples {
			seen[label[ex]] = true
		}
		if len(seen) > 1 {
			t.Errorf("a cluster mixes groups %v: %q", seen, c.Examples)
		}
	}
	for g, list := range groups {
		best := 0
		for _, c := range clusters {
			n := 0
			for _, ex := range c.Examples {
				if label[ex] == g {
					n++
				}
			}
			if n > best {
				best = n
			}
		}
		if best < len(list)-1 {
			t.Errorf("group %s: at most %d of its %d paraphrases share a cluster", g, best, len(list))
		}
	}
	if clusters[0].Count < 3 {
		t.Errorf("the largest cluster has %d questions", clusters[0].Count)
	}
}

func TestUnansweredQuestionsAreLoggedAndReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "unanswered.jsonl")
	log, err := OpenUnansweredFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bot := testBot(t, WithUnansweredLog(log))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			conv := bot.NewConversation("call-" + string(rune('a'+i)))
			conv.OnUtterance("do you sell home broadband", 0.8, prosody.Report{})
		}(i)
	}
	wg.Wait()
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	qs, err := ReadUnanswered(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 4 {
		t.Fatalf("read %d questions, want 4", len(qs))
	}
	for _, q := range qs {
		if q.Text != "do you sell home broadband" || !strings.HasPrefix(q.CallID, "call-") || q.ASRConfidence != 0.8 ||
			time.Since(q.Time) > time.Minute {
			t.Errorf("logged %+v", q)
		}
	}
	if err := log.LogUnanswered(context.Background(), Unanswered{Text: "late"}); err == nil {
		t.Error("a closed log accepted a write")
	}
}

func TestReadUnansweredNamesTheBrokenLine(t *testing.T) {
	_, err := readUnanswered("u.jsonl", strings.NewReader("{\"text\":\"ok\"}\n{broken\n"))
	if err == nil || !strings.Contains(err.Error(), "u.jsonl:2") {
		t.Fatalf("want an error naming u.jsonl:2, got %v", err)
	}
	qs, err := ReadUnanswered(filepath.Join(t.TempDir(), "none.jsonl"))
	if err != nil || len(qs) != 0 {
		t.Fatalf("a missing log should read as empty: %v %v", qs, err)
	}
}

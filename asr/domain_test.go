package asr

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
)

// A knowledge-base edit reaches the recogniser while it runs: a word neither the vocabulary nor Debian's dictionary
// has ("zorbix", given a pronunciation by flite's letter-to-sound rules) is heard by new streams once the domain
// model is rebuilt from phrases that use it.
func TestRebuiltDomainModelHearsNewWords(t *testing.T) {
	testenv.Need(t, "flite", "flite")
	testenv.Need(t, "t2p", "flite")
	cfg := DefaultConfig()
	cfg.WarmDecoders, cfg.MaxStreams = 1, 2
	e, err := NewEmbedded(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	wav := filepath.Join(t.TempDir(), "q.wav")
	if out, err := exec.Command("flite", "-voice", "awb", "-t", "how do I get the zorbix bundle", "-o", wav).CombinedOutput(); err != nil {
		t.Fatalf("flite: %v: %s", err, out)
	}
	pcm := phoneLine(t, wav)
	before := recognise(t, e, pcm, 8000, true)
	if strings.Contains(before.Text, "zorbix") {
		t.Fatalf("heard %q before the word was added", before.Text)
	}
	if err := e.SetDomainPhrases([]string{"how do I get the zorbix bundle", "what does the zorbix bundle cost",
		"tell me about zorbix", "the zorbix plan"}); err != nil {
		t.Fatal(err)
	}
	after := recognise(t, e, pcm, 8000, true)
	if !strings.Contains(after.Text, "zorbix") {
		t.Fatalf("after the rebuild heard %q, want the new word zorbix (before: %q)", after.Text, before.Text)
	}
	e.mu.Lock()
	gen, idle := e.model.gen, append(e.idle[0], e.idle[1]...)
	e.mu.Unlock()
	for _, d := range idle {
		if d.gen != gen {
			t.Errorf("an idle decoder of generation %d survived the rebuild to %d", d.gen, gen)
		}
	}
}

// Phrases that give the domain model the recogniser already has (a knowledge-base file that is the sample, or an
// edit that leaves every example and topic alone) do not rebuild it, so no decoder is reloaded for nothing. That
// the embedded model is what the sample knowledge base gives (so the sample's phrases keep it) is checked where
// the knowledge base meets the recogniser, by the test of internal/tools/genlm, which makes it.
func TestSameDomainPhrasesKeepTheModel(t *testing.T) {
	testenv.Need(t, "t2p", "flite")
	cfg := DefaultConfig()
	cfg.WarmDecoders, cfg.MaxStreams = 1, 1
	e, err := NewEmbedded(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	generation := func() int {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.model.gen
	}
	if gen := generation(); gen != 1 {
		t.Fatalf("a new recogniser's domain model is generation %d, want 1 (the embedded one)", gen)
	}
	phrases := []string{"how do I top up my balance", "what is my PUK code", "my eSIM isn't working"}
	if err := e.SetDomainPhrases(phrases); err != nil {
		t.Fatal(err)
	}
	if gen := generation(); gen != 2 {
		t.Fatalf("new phrases gave generation %d, want 2 (rebuilt once)", gen)
	}
	if err := e.SetDomainPhrases(append([]string(nil), phrases...)); err != nil {
		t.Fatal(err)
	}
	if gen := generation(); gen != 2 {
		t.Fatalf("the same phrases again rebuilt the model (generation %d, want 2): the rebuild is not skipped", gen)
	}
}

// The domain model made at build time (go generate) and one made at run time from the same phrases agree, and a
// phrase in another script is left out rather than breaking the English model.
func TestBuildDomainModelSpellsWordsAndSkipsOtherScripts(t *testing.T) {
	m := BuildDomainModel([]string{"My 5G isn't working", "我的账单是多少"}, func(w string) bool { return w != "zorbix" })
	for _, want := range []string{"five g", "isn't working"} {
		if !strings.Contains(m.ARPA, want) {
			t.Errorf("ARPA lacks %q", want)
		}
	}
	if strings.Contains(m.ARPA, "账单") {
		t.Error("a Chinese phrase reached the English model")
	}
	if len(m.Extra) != 0 {
		t.Errorf("extra pronunciations %v for words the dictionary has", m.Extra)
	}
}

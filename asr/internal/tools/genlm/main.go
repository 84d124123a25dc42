// Command genlm generates the recogniser's domain model from the knowledge base (run by `go generate ./asr/`):
// asr/model/domain.arpa (a trigram model over the knowledge base's example questions and topics, plus the
// short replies callers give a voice-bot) and asr/model/domain.dict (pronunciations, from flite's t2p letter-to-sound
// rules, for the words Debian's cmudict-en-us.dict lacks). It reads the embedded sample knowledge base of package
// dialog and never the test questions (testdata/questions.yaml), which are the evaluation set.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/dialog"
)

func main() {
	modelDir := flag.String("model", "/usr/share/pocketsphinx/model/en-us", "PocketSphinx en-us model directory")
	out := flag.String("o", "model", "output directory")
	flag.Parse()
	kb, _, err := dialog.ParseKB("dialog/kb/telecom.yaml (embedded)", dialog.DefaultKBData())
	if err != nil {
		fail(err)
	}
	dict, err := asr.DictionaryWords(filepath.Join(*modelDir, "cmudict-en-us.dict"))
	if err != nil {
		fail(err)
	}
	known := func(w string) bool { return dict[w] }
	m := asr.BuildDomainModel(dialog.DomainPhrases(kb), known)
	if len(m.Skipped) > 0 {
		fail(fmt.Errorf("no pronunciation for %s (is t2p from Debian's flite installed?)", strings.Join(m.Skipped, " ")))
	}
	var extra []string
	for _, x := range m.Extra {
		extra = append(extra, x[0]+" "+x[1])
	}
	if err := os.WriteFile(filepath.Join(*out, "domain.arpa"), []byte(m.ARPA), 0o644); err != nil {
		fail(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "domain.dict"), []byte(strings.Join(extra, "\n")+"\n"), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("genlm: %d sentences from %d entries, %d words added to the dictionary\n", m.Phrases, len(kb.Entries), len(extra))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "genlm:", err)
	os.Exit(1)
}

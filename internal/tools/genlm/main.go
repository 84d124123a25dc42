// Command genlm generates the recogniser's domain model from the knowledge base (run by `go generate ./asr/`):
// asr/model/domain.arpa (a trigram model over the knowledge base's example questions and topics, plus the
// short replies callers give a voice-bot) and asr/model/domain.dict (pronunciations, from flite's t2p letter-to-sound
// rules, for the words Debian's cmudict-en-us.dict lacks). It reads the embedded sample knowledge base of package
// dialog and never the test questions (testdata/questions.yaml), which are the evaluation set.
//
// It lives outside asr/ because it is where the knowledge base (package dialog) meets the recogniser: package asr
// builds a domain model from plain phrases (asr.BuildDomainModel, also used at run time by SetDomainPhrases) and
// must not import dialog.
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
	modelDir := flag.String("model", asr.DefaultConfig().ModelDir, "PocketSphinx en-us model directory")
	out := flag.String("o", "model", "output directory")
	flag.Parse()
	files, summary, err := generate(*modelDir)
	if err != nil {
		fail(err)
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(*out, f.name), f.data, 0o644); err != nil {
			fail(err)
		}
	}
	fmt.Println("genlm:", summary)
}

// file is one generated model file: its name in the output directory and its contents.
type file struct {
	name string
	data []byte
}

// generate makes domain.arpa and domain.dict from the embedded sample knowledge base, with the dictionary of
// Debian's model in modelDir, and says what it made.
func generate(modelDir string) ([]file, string, error) {
	kb, _, err := dialog.ParseKB("dialog/kb/telecom.yaml (embedded)", dialog.DefaultKBData())
	if err != nil {
		return nil, "", err
	}
	dict, err := asr.DictionaryWords(filepath.Join(modelDir, "cmudict-en-us.dict"))
	if err != nil {
		return nil, "", err
	}
	known := func(w string) bool { return dict[w] }
	m := asr.BuildDomainModel(dialog.DomainPhrases(kb), known)
	if len(m.Skipped) > 0 {
		return nil, "", fmt.Errorf("no pronunciation for %s (is t2p from Debian's flite installed?)", strings.Join(m.Skipped, " "))
	}
	var extra []string
	for _, x := range m.Extra {
		extra = append(extra, x[0]+" "+x[1])
	}
	files := []file{
		{"domain.arpa", []byte(m.ARPA)},
		{"domain.dict", []byte(strings.Join(extra, "\n") + "\n")},
	}
	return files, fmt.Sprintf("%d sentences from %d entries, %d words added to the dictionary", m.Phrases, len(kb.Entries), len(extra)), nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "genlm:", err)
	os.Exit(1)
}

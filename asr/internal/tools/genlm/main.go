// Command genlm generates the recogniser's domain model from the knowledge base (run by `go generate ./asr/`):
// asr/model/domain.arpa (a trigram model over the knowledge base's example questions and topics, plus the
// short replies callers give a voice-bot) and asr/model/domain.dict (pronunciations, from flite's t2p letter-to-sound
// rules, for the words Debian's cmudict-en-us.dict lacks). It reads the embedded sample knowledge base of package
// dialog and never the test questions (testdata/questions.yaml), which are the evaluation set.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/hotline/hotline/asr/internal/lmgen"
	"github.com/hotline/hotline/dialog"
)

// replies are what callers say to a voice-bot besides questions: answers to yes/no follow-ups, asking for a
// person, closing the call.
var replies = []string{
	"yes", "yes please", "yeah", "yep", "sure", "okay", "no", "no thanks", "no thank you", "nope",
	"that's all", "that's it thanks", "thank you", "thanks", "thank you goodbye", "goodbye", "bye",
	"i want to speak to a person", "can i talk to a human", "agent", "representative", "operator",
	"let me speak to someone", "put me through to an agent please", "a real person please",
	"can you repeat that", "say that again please", "sorry what", "i didn't catch that",
	"i have another question", "something else", "help",
}

// overrides are pronunciations where letter-to-sound rules get a brand or acronym wrong.
var overrides = map[string]string{
	"esim":  "IY S IH M",
	"esims": "IY S IH M Z",
	"puk":   "P AH K",
	"volte": "V OW L T IY",
	"wifi":  "W AY F AY",
}

func main() {
	modelDir := flag.String("model", "/usr/share/pocketsphinx/model/en-us", "PocketSphinx en-us model directory")
	out := flag.String("o", "model", "output directory")
	flag.Parse()
	kb, _, err := dialog.ParseKB("dialog/kb/telecom.yaml (embedded)", dialog.DefaultKBData())
	if err != nil {
		fail(err)
	}
	dict, err := readDict(filepath.Join(*modelDir, "cmudict-en-us.dict"))
	if err != nil {
		fail(err)
	}
	known := func(w string) bool { _, ok := dict[w]; return ok }
	var phrases []string
	for _, e := range kb.Entries {
		phrases = append(phrases, e.Examples...)
		if e.Topic != "" {
			phrases = append(phrases, e.Topic)
		}
	}
	phrases = append(phrases, replies...)
	var sents [][]string
	missing := map[string]bool{}
	for _, p := range phrases {
		if !isLatin(p) {
			continue // the recogniser's model is English
		}
		ws := lmgen.Words(p, known)
		if len(ws) == 0 {
			continue
		}
		for _, w := range ws {
			if !known(w) {
				missing[w] = true
			}
		}
		sents = append(sents, ws)
	}
	var extra []string
	for w := range missing {
		ph, ok := overrides[w]
		if !ok {
			ph, err = t2p(w)
			if err != nil {
				fail(err)
			}
		}
		extra = append(extra, w+" "+ph)
	}
	sort.Strings(extra)
	if err := os.WriteFile(filepath.Join(*out, "domain.arpa"), []byte(lmgen.ARPA(sents)), 0o644); err != nil {
		fail(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "domain.dict"), []byte(strings.Join(extra, "\n")+"\n"), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("genlm: %d sentences from %d entries, %d words added to the dictionary\n", len(sents), len(kb.Entries), len(extra))
}

func isLatin(s string) bool {
	for _, r := range s {
		if r > unicode.MaxLatin1 && unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func readDict(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (Debian package pocketsphinx-en-us)", err)
	}
	defer f.Close()
	m := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if w, _, ok := strings.Cut(sc.Text(), " "); ok {
			m[w] = true
		}
	}
	return m, sc.Err()
}

// t2p asks flite's letter-to-sound rules for a pronunciation and converts its phones to the CMU set of the model.
func t2p(word string) (string, error) {
	out, err := exec.Command("t2p", word).Output()
	if err != nil {
		return "", fmt.Errorf("t2p %q (Debian package flite): %w", word, err)
	}
	var ph []string
	for _, p := range strings.Fields(string(out)) {
		p = strings.TrimRight(p, "012")
		switch p {
		case "pau", "":
			continue
		case "ax":
			p = "ah"
		}
		ph = append(ph, strings.ToUpper(p))
	}
	if len(ph) == 0 {
		return "", fmt.Errorf("t2p gave no phones for %q", word)
	}
	return strings.Join(ph, " "), nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "genlm:", err)
	os.Exit(1)
}

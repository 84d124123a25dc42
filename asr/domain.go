package asr

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"unicode"

	"github.com/hotline/hotline/asr/internal/lmgen"
)

// DomainUpdater is implemented by recognisers whose domain model can be rebuilt while they run: the knowledge base
// changed, and its new words and phrasings should be heard within seconds, not after a rebuild.
type DomainUpdater interface {
	// SetDomainPhrases replaces the domain model with one made from phrases (example questions, topics); streams
	// already running keep the old one, new streams get the new one.
	SetDomainPhrases(phrases []string) error
}

// domainReplies are what callers say to a voice-bot besides questions: answers to yes/no follow-ups, asking for a
// person, closing the call. They are part of every domain model.
var domainReplies = []string{
	"yes", "yes please", "yeah", "yep", "sure", "okay", "no", "no thanks", "no thank you", "nope",
	"that's all", "that's it thanks", "thank you", "thanks", "thank you goodbye", "goodbye", "bye",
	"i want to speak to a person", "can i talk to a human", "agent", "representative", "operator",
	"let me speak to someone", "put me through to an agent please", "a real person please",
	"is there a real person there", "customer service please", "transfer me please", "i don't want to talk to a machine",
	"can you repeat that", "say that again please", "sorry what", "i didn't catch that",
	"i have another question", "something else", "help",
	// How callers open a question, whatever it is about: without them the model has only the knowledge base's
	// tidy examples and bends a casual opening into topic words.
	"hi i was wondering if you could help me", "i was wondering", "could you tell me", "can you tell me",
	"i just wanted to ask", "hi yeah i just wanted to know", "i'm calling about", "i'm calling because",
	"hello i need some help with", "can you help me with", "i have a question about", "i'd like to know",
	"do you know", "what do i need to do", "i'm not sure", "i don't understand", "um", "so basically",
}

// pronunciationOverrides are where letter-to-sound rules get a brand or acronym wrong.
var pronunciationOverrides = map[string]string{
	"esim":  "IY S IH M",
	"esims": "IY S IH M Z",
	"puk":   "P AH K",
	"volte": "V OW L T IY",
	"wifi":  "W AY F AY",
}

// DomainModel is a domain language model made from phrases: a trigram model in ARPA format and pronunciations
// ("word PH ONES") for its words the dictionary lacks.
type DomainModel struct {
	ARPA    string
	Extra   [][2]string
	Phrases int
	Skipped []string // words left out: no pronunciation could be made (t2p missing or failing)
}

// BuildDomainModel makes the domain model from phrases and the short replies every caller gives. known reports
// whether the dictionary has a word; pronunciations for the others come from pronunciationOverrides or flite's
// letter-to-sound program t2p (Debian package flite). Phrases that are not in Latin script are skipped (the
// model is English).
func BuildDomainModel(phrases []string, known func(string) bool) DomainModel {
	all := append(append([]string(nil), phrases...), domainReplies...)
	var m DomainModel
	var sents [][]string
	missing := map[string]bool{}
	for _, p := range all {
		if !isLatin(p) {
			continue
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
	words := make([]string, 0, len(missing))
	for w := range missing {
		words = append(words, w)
	}
	sort.Strings(words)
	drop := map[string]bool{}
	for _, w := range words {
		ph, ok := pronunciationOverrides[w]
		if !ok {
			var err error
			if ph, err = t2p(w); err != nil {
				m.Skipped = append(m.Skipped, w)
				drop[w] = true
				continue
			}
		}
		m.Extra = append(m.Extra, [2]string{w, ph})
	}
	if len(drop) > 0 { // a word the decoder cannot say must not be in its model either
		for i, s := range sents {
			kept := s[:0:0]
			for _, w := range s {
				if !drop[w] {
					kept = append(kept, w)
				}
			}
			sents[i] = kept
		}
	}
	m.ARPA = lmgen.ARPA(sents)
	m.Phrases = len(sents)
	return m
}

func isLatin(s string) bool {
	for _, r := range s {
		if r > unicode.MaxLatin1 && unicode.IsLetter(r) {
			return false
		}
	}
	return true
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

// DictionaryWords reads the words of a PocketSphinx dictionary (alternate pronunciations "read(2)" folded).
func DictionaryWords(path string) (map[string]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("asr: reading the dictionary %s: %w (Debian package %s)", path, err, debianModelPackage)
	}
	defer f.Close()
	m := make(map[string]bool, 140000)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if w, ok := dictWord(sc.Text()); ok {
			m[w] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("asr: reading the dictionary %s: %w", path, err)
	}
	return m, nil
}

// dictWord is the word a dictionary line ("read(2) R EH D") gives a pronunciation for, alternates folded.
func dictWord(line string) (string, bool) {
	w, _, ok := strings.Cut(line, " ")
	if !ok {
		return "", false
	}
	if i := strings.IndexByte(w, '('); i > 0 {
		w = w[:i]
	}
	return w, true
}

package asr

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/hotline/hotline/asr/internal/sphinx"
)

// The vocabulary. PocketSphinx's first pass searches a lexicon tree of every dictionary word the language model
// knows; with Debian's 134,000-word dictionary that tree, not the acoustic scoring, is most of the CPU a stream
// costs. Callers of a hotline use a few thousand everyday words plus the domain's own, so the decoders get a
// dictionary of the general model's asr.vocabulary most likely words (by unigram probability) plus every word of
// the domain model: 3.2 times less CPU per stream at the same word error rate on the test questions, and rare
// words a caller might say were mostly misrecognised anyway.

// topWords returns the n words the language model at path finds most likely.
func topWords(path string, n int) (map[string]bool, error) {
	general, err := sphinx.Unigrams(path)
	if err != nil {
		return nil, fmt.Errorf("asr: %w", err)
	}
	type scored struct {
		w string
		p float64
	}
	ranked := make([]scored, 0, len(general))
	for w, p := range general {
		if w == "" || w[0] == '<' {
			continue
		}
		ranked = append(ranked, scored{w, p})
	}
	sort.Slice(ranked, func(i, j int) bool {
		if ranked[i].p != ranked[j].p {
			return ranked[i].p > ranked[j].p
		}
		return ranked[i].w < ranked[j].w
	})
	top := make(map[string]bool, n+len(alwaysHeard))
	for i := 0; i < len(ranked) && i < n; i++ {
		top[ranked[i].w] = true
	}
	for _, w := range alwaysHeard {
		top[w] = true
	}
	return top, nil
}

// alwaysHeard are in the vocabulary however rare the general model finds them.
var alwaysHeard = strings.Fields(`yes no yeah yep nope okay ok sure thanks goodbye bye agent operator
	representative person human help zero oh one two three four five six seven eight nine ten hundred thousand`)

// install writes a new generation of derived files for the domain model arpa (ARPA text, "" for none) and its
// extra pronunciations, makes it what new decoders load, and frees idle decoders of older generations.
func (e *Embedded) install(arpa string, extra [][2]string) error {
	e.mu.Lock()
	gen := e.model.gen + 1
	e.mu.Unlock()
	m := derivedModel{gen: gen, dict: e.paths.dict, extra: extra, arpa: arpa}
	if e.cfg.Domain && arpa != "" {
		m.domain = filepath.Join(e.tmpDir, "domain-"+strconv.Itoa(gen)+".arpa")
		if err := os.WriteFile(m.domain, []byte(arpa), 0o600); err != nil {
			return fmt.Errorf("asr: writing the domain model: %w", err)
		}
	}
	if e.top != nil {
		keep := make(map[string]bool, len(e.top)+1000)
		for w := range e.top {
			keep[w] = true
		}
		if m.domain != "" {
			domain, err := sphinx.Unigrams(m.domain)
			if err != nil {
				return fmt.Errorf("asr: %w", err)
			}
			for w := range domain {
				keep[w] = true
			}
		}
		path := filepath.Join(e.tmpDir, "vocabulary-"+strconv.Itoa(gen)+".dict")
		if err := writeDict(path, e.paths.dict, keep, extra); err != nil {
			return err
		}
		m.dict = path
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	old, retired := e.model, e.retired
	e.model, e.retired = m, old
	stale := append(e.idle[0], e.idle[1]...)
	e.idle = [2][]*decoder{}
	e.total -= len(stale)
	e.signalLocked()
	if old.gen > 0 { // not the first: replace the spares
		for i := 0; i < e.cfg.WarmDecoders && e.total < e.cfg.MaxStreams; i++ {
			e.spawnLocked(e.cfg.Domain)
		}
	}
	e.mu.Unlock()
	for _, d := range stale {
		e.free(d)
	}
	// Files two generations old: a decoder that started loading the previous one may still be opening its files.
	for _, f := range []string{retired.domain, retired.dict} {
		if strings.HasPrefix(f, e.tmpDir+string(filepath.Separator)) {
			os.Remove(f)
		}
	}
	return nil
}

// SetDomainPhrases rebuilds the domain model from phrases (the knowledge base's example questions and topics):
// new streams hear its new words within the second or so it takes; running streams keep the old model.
func (e *Embedded) SetDomainPhrases(phrases []string) error {
	if !e.cfg.Domain {
		return nil
	}
	known, err := DictionaryWords(e.paths.dict)
	if err != nil {
		return err
	}
	m := BuildDomainModel(phrases, func(w string) bool { return known[w] })
	if len(m.Skipped) > 0 {
		e.log.Warn("asr: domain words without a pronunciation are left out", "words", strings.Join(m.Skipped, " "))
	}
	// The same model (a knowledge-base file that is the sample, an edit to answers only) needs no new decoders.
	e.mu.Lock()
	same := e.model.gen > 0 && e.model.arpa == m.ARPA
	e.mu.Unlock()
	if same {
		e.log.Debug("asr: domain model unchanged", "phrases", m.Phrases)
		return nil
	}
	if err := e.install(m.ARPA, m.Extra); err != nil {
		return err
	}
	e.log.Info("asr: domain model rebuilt", "phrases", m.Phrases, "new_words", len(m.Extra))
	return nil
}

// writeDict writes to path the entries of the dictionary at from whose word is in keep, then extra.
func writeDict(path, from string, keep map[string]bool, extra [][2]string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("asr: reading the dictionary %s: %w", from, err)
	}
	defer in.Close()
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("asr: writing the vocabulary: %w", err)
	}
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if word, ok := dictWord(line); ok && keep[word] {
			w.WriteString(line)
			w.WriteByte('\n')
		}
	}
	for _, x := range extra {
		fmt.Fprintf(w, "%s %s\n", x[0], x[1])
	}
	if err := sc.Err(); err != nil {
		out.Close()
		return fmt.Errorf("asr: reading %s: %w", from, err)
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return fmt.Errorf("asr: writing %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("asr: writing %s: %w", path, err)
	}
	return nil
}

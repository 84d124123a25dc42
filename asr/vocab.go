package asr

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hotline/hotline/asr/internal/sphinx"
)

// writeVocabulary writes to dir a pronunciation dictionary holding the n words the general language model finds
// most likely (by unigram probability) plus every word of the domain model, and returns its path.
//
// Why: PocketSphinx's first pass searches a lexicon tree of every dictionary word the language model knows; with
// Debian's 134,000-word dictionary that tree, not the acoustic scoring, is most of the CPU a stream costs. Callers
// of a hotline use a few thousand everyday words plus the domain's own, so a tree of those decodes several times
// faster, and rarer words the caller might say were mostly misrecognised anyway.
func writeVocabulary(dir string, paths modelPaths, domainPath string, n int) (string, error) {
	general, err := sphinx.Unigrams(paths.lm)
	if err != nil {
		return "", err
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
	keep := make(map[string]bool, n+2000)
	for i := 0; i < len(ranked) && i < n; i++ {
		keep[ranked[i].w] = true
	}
	if domainPath != "" {
		domain, err := sphinx.Unigrams(domainPath)
		if err != nil {
			return "", err
		}
		for w := range domain {
			keep[w] = true
		}
	}
	for _, w := range shortRepliesAndDigits {
		keep[w] = true
	}
	in, err := os.Open(paths.dict)
	if err != nil {
		return "", fmt.Errorf("asr: reading the dictionary: %w", err)
	}
	defer in.Close()
	path := filepath.Join(dir, "vocabulary.dict")
	out, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("asr: writing the vocabulary: %w", err)
	}
	w := bufio.NewWriter(out)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		word, _, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(word, '('); i > 0 {
			word = word[:i] // alternate pronunciation "read(2)"
		}
		if keep[word] {
			w.WriteString(line)
			w.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		out.Close()
		return "", fmt.Errorf("asr: reading %s: %w", paths.dict, err)
	}
	if err := w.Flush(); err != nil {
		out.Close()
		return "", fmt.Errorf("asr: writing %s: %w", path, err)
	}
	if err := out.Close(); err != nil {
		return "", fmt.Errorf("asr: writing %s: %w", path, err)
	}
	return path, nil
}

// shortRepliesAndDigits are always in the vocabulary, however rare the general model finds them.
var shortRepliesAndDigits = strings.Fields(`yes no yeah yep nope okay ok sure thanks goodbye bye agent operator
	representative person human help zero oh one two three four five six seven eight nine ten hundred thousand`)

// Package lmgen turns phrase lists into what the recogniser's domain model needs: words as PocketSphinx's dictionary
// spells them (lower case, numbers as words, hyphenated compounds split when the dictionary lacks them) and a
// trigram language model in ARPA format with absolute-discount back-off. It is used through asr.BuildDomainModel,
// at build time (`go generate ./asr/`, which runs internal/tools/genlm at the module root) and at run time
// (SetDomainPhrases); it must not read files or call programs itself.
package lmgen

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"
)

// Words splits a phrase into dictionary-style words: lower case, digits spelled out ("5G" → "five g", "2255" →
// "two two five five"), punctuation dropped except apostrophes inside words. known reports whether the
// dictionary has a word; hyphenated words it lacks are split at the hyphens.
func Words(phrase string, known func(string) bool) []string {
	var out []string
	for _, tok := range strings.FieldsFunc(strings.ToLower(phrase), func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '-')
	}) {
		tok = strings.Trim(tok, "'-")
		if tok == "" {
			continue
		}
		if strings.Contains(tok, "-") && (known == nil || !known(tok)) {
			for _, p := range strings.Split(tok, "-") {
				out = append(out, Words(p, known)...)
			}
			continue
		}
		out = append(out, splitDigits(tok)...)
	}
	return out
}

var digitWords = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}

// splitDigits spells runs of digits: numbers up to 99 as a word or two, longer runs digit by digit (phone numbers,
// short codes), and letters after digits as a separate word ("5g" → five g).
func splitDigits(tok string) []string {
	var out []string
	var run []rune
	var letters []rune
	flushLetters := func() {
		if len(letters) > 0 {
			out = append(out, string(letters))
			letters = letters[:0]
		}
	}
	flushRun := func() {
		if len(run) == 0 {
			return
		}
		n := 0
		for _, d := range run {
			n = n*10 + int(d-'0')
		}
		if len(run) <= 2 && (len(run) == 1 || run[0] != '0') {
			out = append(out, NumberWords(n)...)
		} else {
			for _, d := range run {
				out = append(out, digitWords[d-'0'])
			}
		}
		run = run[:0]
	}
	for _, r := range tok {
		if unicode.IsDigit(r) {
			flushLetters()
			run = append(run, r)
		} else {
			flushRun()
			letters = append(letters, r)
		}
	}
	flushRun()
	flushLetters()
	return out
}

// NumberWords spells 0..99.
func NumberWords(n int) []string {
	teens := []string{"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	tens := []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
	switch {
	case n < 10:
		return []string{digitWords[n]}
	case n < 20:
		return []string{teens[n-10]}
	case n%10 == 0:
		return []string{tens[n/10]}
	default:
		return []string{tens[n/10], digitWords[n%10]}
	}
}

// ARPA builds a trigram model over the sentences (each a list of words) with absolute discounting (D = 0.5) and
// back-off, and returns it as ARPA text. Every unigram also gets a small share of probability mass so that words
// seen once in a long tail are not starved.
func ARPA(sentences [][]string) string {
	const d = 0.5
	counts := [3]map[string]float64{{}, {}, {}}
	for _, s := range sentences {
		toks := append(append([]string{"<s>"}, s...), "</s>")
		for i := range toks {
			for n := 1; n <= 3 && i-n+1 >= 0; n++ {
				counts[n-1][strings.Join(toks[i-n+1:i+1], " ")]++
			}
		}
	}
	// Context totals and distinct followers.
	ctxTotal := [3]map[string]float64{{}, {}, {}}
	ctxTypes := [3]map[string]float64{{}, {}, {}}
	for n := 2; n <= 3; n++ {
		for g, c := range counts[n-1] {
			h := g[:strings.LastIndex(g, " ")]
			ctxTotal[n-1][h] += c
			ctxTypes[n-1][h]++
		}
	}
	prob := [3]map[string]float64{{}, {}, {}}
	// Sums run over sorted keys: map order would change the last digit of a sum from run to run, and the
	// generated model (checked in) with it.
	var total float64
	for _, g := range slices.Sorted(maps.Keys(counts[0])) {
		if g != "<s>" {
			total += counts[0][g]
		}
	}
	nu := float64(len(counts[0]) - 1)
	for g, c := range counts[0] {
		if g == "<s>" {
			continue
		}
		prob[0][g] = (c + 0.1) / (total + 0.1*nu)
	}
	for n := 2; n <= 3; n++ {
		for g, c := range counts[n-1] {
			h := g[:strings.LastIndex(g, " ")]
			prob[n-1][g] = (c - d) / ctxTotal[n-1][h]
		}
	}
	// Back-off weights: bow(h) = left-over mass / mass the lower order gives to the unseen followers.
	bow := [2]map[string]float64{{}, {}}
	for n := 2; n <= 3; n++ {
		seenLower := map[string]float64{}
		for _, g := range slices.Sorted(maps.Keys(counts[n-1])) {
			h := g[:strings.LastIndex(g, " ")]
			suffix := g[strings.Index(g, " ")+1:]
			seenLower[h] += lowerProb(prob, bow, suffix)
		}
		for h, tot := range ctxTotal[n-1] {
			left := d * ctxTypes[n-1][h] / tot
			den := 1 - seenLower[h]
			if den < 1e-6 {
				den = 1e-6
			}
			bow[n-2][h] = left / den
		}
	}
	var b strings.Builder
	b.WriteString("\\data\\\n")
	for n := 1; n <= 3; n++ {
		fmt.Fprintf(&b, "ngram %d=%d\n", n, len(counts[n-1]))
	}
	for n := 1; n <= 3; n++ {
		fmt.Fprintf(&b, "\n\\%d-grams:\n", n)
		for _, g := range slices.Sorted(maps.Keys(counts[n-1])) {
			p := -99.0
			if v, ok := prob[n-1][g]; ok {
				p = math.Log10(v)
			}
			if n < 3 {
				if w, ok := bow[n-1][g]; ok {
					fmt.Fprintf(&b, "%.4f %s %.4f\n", p, g, math.Log10(w))
					continue
				}
			}
			fmt.Fprintf(&b, "%.4f %s\n", p, g)
		}
	}
	b.WriteString("\n\\end\\\n")
	return b.String()
}

// lowerProb is the back-off probability of an n-gram (n ≤ 2 here) under the model of order n.
func lowerProb(prob [3]map[string]float64, bow [2]map[string]float64, g string) float64 {
	parts := strings.Split(g, " ")
	n := len(parts)
	if v, ok := prob[n-1][g]; ok {
		return v
	}
	if n == 1 {
		return 0
	}
	h := strings.Join(parts[:n-1], " ")
	w, ok := bow[n-2][h]
	if !ok {
		w = 1
	}
	return w * lowerProb(prob, bow, strings.Join(parts[1:], " "))
}

package prosody

import (
	"bufio"
	_ "embed"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

//go:embed lexicon.tsv
var embeddedLexicon string

// Lexicon is a weighted emotion lexicon: words and short phrases (English, matched as whole words) and Chinese
// entries (matched inside runs of Han characters, longest first), each with a category (angry, anxious, sad,
// happy, calm) and a weight. It is read-only once loaded and safe for concurrent use.
type Lexicon struct {
	words  map[string]lexEntry
	maxHan int // longest Chinese entry in runes
}

type lexEntry struct {
	category string
	weight   float64
}

// WordHit is one lexicon match in a text.
type WordHit struct {
	Word     string
	Category string
	Weight   float64
	Negated  bool
}

// Arousal and Valence are the hit's push on arousal (-1..1) and valence (-1..1): a negation flips the valence and
// damps the arousal ("not happy" is mildly negative, "not worried" mildly positive).
func (h WordHit) Arousal() float64 {
	a := categoryAV[h.Category][0] * h.Weight
	if h.Negated {
		a *= 0.3
	}
	return a
}

// Valence: see Arousal.
func (h WordHit) Valence() float64 {
	v := categoryAV[h.Category][1] * h.Weight
	if h.Negated {
		v *= -0.6
	}
	return v
}

var categoryAV = map[string][2]float64{
	"angry":   {0.8, -0.8},
	"anxious": {0.6, -0.5},
	"sad":     {-0.4, -0.7},
	"happy":   {0.1, 0.7},
	"calm":    {-0.3, 0.3},
}

var (
	defaultLexOnce sync.Once
	defaultLex     *Lexicon
)

// DefaultLexicon returns the embedded English and Chinese lexicon (prosody/lexicon.tsv).
func DefaultLexicon() *Lexicon {
	defaultLexOnce.Do(func() {
		l, err := ParseLexicon(strings.NewReader(embeddedLexicon), "embedded lexicon.tsv")
		if err != nil {
			panic(err) // the embedded file is tested
		}
		defaultLex = l
	})
	return defaultLex
}

// LoadLexicon reads a lexicon file (the format of prosody/lexicon.tsv).
func LoadLexicon(path string) (*Lexicon, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("prosody: lexicon: %w", err)
	}
	defer f.Close()
	return ParseLexicon(f, path)
}

// ParseLexicon reads lines "word<TAB>category<TAB>weight"; blank lines and lines starting with # are skipped.
// name is used in errors.
func ParseLexicon(r io.Reader, name string) (*Lexicon, error) {
	l := &Lexicon{words: map[string]lexEntry{}}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Split(s, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("prosody: lexicon %s:%d: want word<TAB>category<TAB>weight, got %q", name, line, s)
		}
		word := strings.ToLower(strings.TrimSpace(f[0]))
		cat := strings.TrimSpace(f[1])
		if _, ok := categoryAV[cat]; !ok {
			return nil, fmt.Errorf("prosody: lexicon %s:%d: unknown category %q (angry, anxious, sad, happy, calm)", name, line, cat)
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(f[2]), 64)
		if err != nil || !(w >= 0 && w <= 1) {
			return nil, fmt.Errorf("prosody: lexicon %s:%d: weight %q must be a number in [0, 1]", name, line, f[2])
		}
		if word == "" {
			return nil, fmt.Errorf("prosody: lexicon %s:%d: empty word", name, line)
		}
		l.words[word] = lexEntry{cat, w}
		if isHan(word) {
			l.maxHan = max(l.maxHan, utf8.RuneCountInString(word))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("prosody: lexicon %s: %w", name, err)
	}
	if len(l.words) == 0 {
		return nil, fmt.Errorf("prosody: lexicon %s: no entries", name)
	}
	return l, nil
}

// Len is the number of entries.
func (l *Lexicon) Len() int { return len(l.words) }

var enNegators = map[string]bool{
	"not": true, "no": true, "never": true, "nothing": true, "without": true, "hardly": true, "cannot": true,
	"dont": true, "didnt": true, "doesnt": true, "isnt": true, "wasnt": true, "arent": true, "cant": true,
	"wont": true, "neither": true, "nor": true,
}

var zhNegators = []string{"没有", "不", "没", "别", "未"}

// Scan returns the lexicon words in text, in order, with negation marked.
func (l *Lexicon) Scan(text string) []WordHit {
	var hits []WordHit
	text = strings.ToLower(text)
	// English: whole words, two-word phrases first; a negator covers the next three words.
	var toks []string
	for _, t := range strings.FieldsFunc(text, func(r rune) bool {
		return !(unicode.IsLetter(r) || r == '\'') || unicode.Is(unicode.Han, r)
	}) {
		t = strings.Trim(t, "'")
		if t != "" {
			toks = append(toks, t)
		}
	}
	negUntil := -1
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		bare := strings.ReplaceAll(t, "'", "")
		if enNegators[bare] || strings.HasSuffix(t, "n't") {
			negUntil = i + 3
			continue
		}
		if i+1 < len(toks) {
			if e, ok := l.words[t+" "+toks[i+1]]; ok {
				hits = append(hits, WordHit{t + " " + toks[i+1], e.category, e.weight, i <= negUntil})
				i++
				continue
			}
		}
		if e, ok := l.words[t]; ok {
			hits = append(hits, WordHit{t, e.category, e.weight, i <= negUntil})
		}
	}
	// Chinese: longest match inside runs of Han characters; a negator up to two characters before negates.
	if l.maxHan > 0 {
		rs := []rune(text)
		lastNeg := -10
		for i := 0; i < len(rs); {
			if !unicode.Is(unicode.Han, rs[i]) {
				i++
				continue
			}
			matched := 0
			for n := min(l.maxHan, len(rs)-i); n >= 1; n-- {
				w := string(rs[i : i+n])
				if e, ok := l.words[w]; ok {
					hits = append(hits, WordHit{w, e.category, e.weight, i-lastNeg <= 3})
					matched = n
					break
				}
			}
			if matched > 0 {
				i += matched
				continue
			}
			for _, ng := range zhNegators {
				if strings.HasPrefix(string(rs[i:min(len(rs), i+2)]), ng) {
					n := utf8.RuneCountInString(ng)
					lastNeg = i + n - 1
					i += n - 1
					break
				}
			}
			i++
		}
	}
	return hits
}

func isHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return s != ""
}

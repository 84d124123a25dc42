package dialog

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// Match is the understanding of one utterance against the knowledge base.
type Match struct {
	// Intent is the best entry's id ("" when nothing in the knowledge base relates to the words).
	Intent string
	// Confidence in [0,1]: the share of the utterance's informative words (IDF-weighted; story words such as
	// "last night" or "my mum" skipped, unknown words at a reduced weight) that the entry explains, with less
	// credit for words matched only by sound or spelling; lowered when the runner-up is close, when the entry
	// explains less than one fairly specific word would, and when it rests on one word of several.
	Confidence float64
	// Score is the ranking score: the entry's BM25 over soft term matches, scaled to 1 for the best entry, plus
	// exampleWeight times the soft F1 of its closest single example; comparable only within one utterance.
	Score float64
	// Runner is the second-best intent and RunnerScore its score.
	Runner      string
	RunnerScore float64
}

// index is the knowledge base prepared for matching: a vocabulary of canonical terms (stem, then synonym group),
// their phonetic keys and character trigrams, and BM25 statistics with each entry's examples as one document.
type index struct {
	terms   []vocabTerm
	termID  map[string]int
	entries []indexedEntry
	avgLen  float64
	canon   map[string]string // stem → canonical stem of its synonym group
	// phrases are the multi-word synonyms by their first word's stem.
	phrases map[string][]synPhrase
	// abroad is the term place names read as ("" when the knowledge base has no word "abroad").
	abroad string
	// unknownWeight is the IDF given to a word the knowledge base has never seen.
	unknownWeight float64
	// evidenceWeight is the least explained weight for full confidence: the IDF of a word in two entries.
	evidenceWeight float64
	// examples are each entry's example phrasings (and topic) as sets of terms, for matching the utterance
	// against the single closest way of asking as well as against the entry as a whole.
	examples []indexedExample
}

type indexedExample struct {
	entry  int
	terms  []int
	weight float64 // sum of the terms' IDF
}

type vocabTerm struct {
	term     string
	phon     map[string]bool // phonetic keys of the surface words that became this term
	grams    map[string]bool
	idf      float64
	postings []posting
}

type posting struct {
	entry int
	tf    float64
	// credit is 1 when the term is in the entry's examples or topic, answerCredit when only in its answer.
	credit float64
}

type termSim struct {
	term int
	sim  float64
}

type indexedEntry struct {
	id     string
	length float64
}

// Matching constants. They are properties of the method, not of one knowledge base or test set.
const (
	bm25K1 = 1.2
	bm25B  = 0.5
	// simPhonetic is the credit for a word that only sounds like a known term; simFuzzyScale multiplies the
	// character-trigram Dice overlap of a word that is only spelled like one (at least fuzzyMin).
	simPhonetic   = 0.8
	simFuzzyScale = 0.7
	fuzzyMin      = 0.6
	unknownFactor = 0.5
	// answerCredit is how much a word found only in an entry's answer (not its examples) counts, and
	// answerTF how much one occurrence there adds to the term frequency.
	answerCredit = 0.5
	answerTF     = 0.3
	// exampleWeight is the weight of the closest single example next to the entry's BM25 score (scaled to 1 for
	// the best entry) in the ranking.
	exampleWeight = 0.5
	// loneWordFactor lowers the confidence of a match on one word of a longer utterance.
	loneWordFactor = 0.8
	// fuzzyMinLen is the shortest word matched by sound or spelling: short words meet too many others.
	fuzzyMinLen = 4
)

// content returns the canonical terms of the topic-bearing words of s, with the surface word of each. A
// multi-word synonym ("answering machine") becomes its group's term; fillers and stopwords are skipped; a place
// name reads as "abroad" when the knowledge base has that word.
func (x *index) content(s string) (terms, surface []string) {
	ws := words(s)
	stems := make([]string, len(ws))
	for i, w := range ws {
		stems[i] = stem(w)
	}
	for i := 0; i < len(ws); i++ {
		if head, n := x.phraseAt(stems, i); n > 0 {
			terms = append(terms, head)
			surface = append(surface, strings.Join(ws[i:i+n], ""))
			i += n - 1
			continue
		}
		if n := storyPhraseAt(ws, i); n > 0 {
			i += n - 1
			continue
		}
		w, st := ws[i], stems[i]
		if (stopwords[w] || fillerWords[w] || stopwords[st] || fillerWords[st]) && !questionWords[w] {
			continue
		}
		if places[w] && x.abroad != "" {
			st = x.abroad
		}
		if c, ok := x.canon[st]; ok {
			st = c
		}
		terms = append(terms, st)
		surface = append(surface, w)
	}
	return terms, surface
}

// phraseAt returns the term of the longest multi-word synonym starting at word i (by stems) and its length.
func (x *index) phraseAt(stems []string, i int) (string, int) {
	best, bestN := "", 0
	for _, p := range x.phrases[stems[i]] {
		n := len(p.stems)
		if n <= bestN || i+n > len(stems) {
			continue
		}
		ok := true
		for k := 1; k < n; k++ {
			if stems[i+k] != p.stems[k] {
				ok = false
				break
			}
		}
		if ok {
			best, bestN = p.head, n
		}
	}
	return best, bestN
}

// synPhrase is a multi-word member of a synonym group, as stems, and its group's term.
type synPhrase struct {
	stems []string
	head  string
}

func buildIndex(kb *KB) *index {
	x := &index{termID: map[string]int{}, canon: map[string]string{}}
	x.phrases = map[string][]synPhrase{}
	for _, g := range kb.Synonyms {
		if len(g) == 0 {
			continue
		}
		head := strings.Join(stemAll(words(g[0])), "")
		for _, w := range g {
			ws := stemAll(words(w))
			switch {
			case len(ws) == 0:
			case len(ws) > 1:
				x.phrases[ws[0]] = append(x.phrases[ws[0]], synPhrase{stems: ws, head: head})
			default:
				if _, taken := x.canon[ws[0]]; !taken {
					x.canon[ws[0]] = head
				}
			}
		}
	}
	if st := stem("abroad"); x.canon[st] != "" {
		x.abroad = x.canon[st]
	}
	var total float64
	for ei, e := range kb.Entries {
		tf := map[int]float64{}
		credit := map[int]float64{}
		var length float64
		add := func(text string, w, cr float64) []int {
			terms, surface := x.content(text)
			var ids []int
			for i, t := range terms {
				id, ok := x.termID[t]
				if !ok {
					id = len(x.terms)
					x.termID[t] = id
					vt := vocabTerm{term: t, phon: map[string]bool{}, grams: map[string]bool{}}
					for _, g := range charGrams(nil, t, 3) {
						vt.grams[g] = true
					}
					x.terms = append(x.terms, vt)
				}
				if p := phonetic(surface[i]); p != "" {
					x.terms[id].phon[p] = true
				}
				if p := phonetic(t); p != "" {
					x.terms[id].phon[p] = true
				}
				tf[id] += w
				if cr > credit[id] {
					credit[id] = cr
				}
				length += w
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			return ids
		}
		// The entry's document: its examples and topic (how people name it), and at a lower weight its answer
		// (which holds the words of the subject a caller may use).
		for _, d := range append([]string{e.Topic}, e.Examples...) {
			if ids := add(d, 1, 1); len(ids) > 0 {
				x.examples = append(x.examples, indexedExample{entry: ei, terms: ids})
			}
		}
		add(e.Answer, answerTF, answerCredit)
		for id, n := range tf {
			x.terms[id].postings = append(x.terms[id].postings, posting{entry: ei, tf: n, credit: credit[id]})
		}
		x.entries = append(x.entries, indexedEntry{id: e.ID, length: length})
		total += length
	}
	n := float64(len(x.entries))
	if n > 0 {
		x.avgLen = total / n
	}
	for i := range x.terms {
		df := float64(len(x.terms[i].postings))
		x.terms[i].idf = math.Log(1 + (n-df+0.5)/(df+0.5))
	}
	x.unknownWeight = unknownFactor * math.Log(1+(n+0.5)/0.5)
	x.evidenceWeight = math.Log(1 + (n-2+0.5)/(2+0.5))
	for i := range x.examples {
		for _, id := range x.examples[i].terms {
			x.examples[i].weight += x.terms[id].idf
		}
	}
	return x
}

func stemAll(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = stem(w)
	}
	return out
}

// match scores every entry against text. Each content word of the utterance is matched softly against the
// vocabulary (exact term 1, same sound simPhonetic, similar spelling by trigram overlap); an entry's BM25 score
// sums, over the utterance's words, IDF × soft match × the saturated frequency of the matched term in the entry.
func (x *index) match(text string) Match {
	terms, surface := x.content(text)
	if len(terms) == 0 || len(x.entries) == 0 {
		return Match{}
	}
	nE := len(x.entries)
	score := make([]float64, nE)
	covered := make([]float64, nE)
	explained := make([]int, nE) // how many of the utterance's words (question words aside) each entry holds
	asked := 0                   // how many question words the utterance has
	for _, q := range terms {
		if questionWords[q] {
			asked++
		}
	}
	var totalWeight float64
	bestSim := make([]float64, nE)
	var grams []string
	// For the closest example: each word's weight and the vocabulary terms it meets, and each term's best match.
	qWeight := make([]float64, len(terms))
	qMeets := make([][]termSim, len(terms))
	termBest := map[int]float64{}
	for qi, q := range terms {
		for i := range bestSim {
			bestSim[i] = 0
		}
		// weight: the IDF of the best vocabulary term it meets, or the unknown-word weight.
		weight, wsim := x.unknownWeight, 0.0
		qPhon := phonetic(surface[qi])
		qPhonStem := phonetic(q)
		grams = charGrams(grams[:0], q, 3)
		exact, hasExact := x.termID[q]
		for ti := range x.terms {
			vt := &x.terms[ti]
			var sim float64
			switch {
			case hasExact && ti == exact:
				sim = 1
			case len(q) < fuzzyMinLen || len(vt.term) < fuzzyMinLen:
				continue
			case qPhon != "" && (vt.phon[qPhon] || vt.phon[qPhonStem]) && len(qPhon) >= 2:
				sim = simPhonetic
			default:
				shared := 0
				for _, g := range grams {
					if vt.grams[g] {
						shared++
					}
				}
				if shared == 0 {
					continue
				}
				dice := 2 * float64(shared) / float64(len(grams)+len(vt.grams))
				if dice < fuzzyMin {
					continue
				}
				sim = simFuzzyScale * dice
			}
			if sim > wsim {
				wsim = sim
				weight = sim*vt.idf + (1-sim)*x.unknownWeight
			}
			qMeets[qi] = append(qMeets[qi], termSim{ti, sim})
			if sim > termBest[ti] {
				termBest[ti] = sim
			}
			for _, p := range vt.postings {
				if s := sim * p.credit; s > bestSim[p.entry] {
					bestSim[p.entry] = s
				}
			}
		}
		totalWeight += weight
		qWeight[qi] = weight
		for ei := range bestSim {
			if bestSim[ei] == 0 {
				continue
			}
			// A word met only by sound or spelling is weaker evidence that the entry is meant than for ranking.
			covered[ei] += weight * bestSim[ei] * bestSim[ei]
			if !questionWords[q] {
				explained[ei]++
			}
		}
		for ei, s := range bestSim {
			if s == 0 {
				continue
			}
			score[ei] += weight * s * x.satTF(q, ei)
		}
	}
	// The closest single example of each entry: a soft F1 of the utterance's words it explains (precision) and
	// its own words the utterance says (recall), both IDF-weighted.
	exBest := make([]float64, nE)
	for _, ex := range x.examples {
		var pNum, rNum float64
		for qi := range terms {
			best := 0.0
			for _, ts := range qMeets[qi] {
				if ts.sim > best && slices.Contains(ex.terms, ts.term) {
					best = ts.sim
				}
			}
			pNum += qWeight[qi] * best
		}
		for _, id := range ex.terms {
			rNum += x.terms[id].idf * termBest[id]
		}
		if pNum == 0 || totalWeight == 0 || ex.weight == 0 {
			continue
		}
		p, r := pNum/totalWeight, rNum/ex.weight
		if f := 2 * p * r / (p + r); f > exBest[ex.entry] {
			exBest[ex.entry] = f
		}
	}
	var top float64
	for _, sc := range score {
		top = max(top, sc)
	}
	if top == 0 {
		return Match{}
	}
	for ei := range score {
		score[ei] = score[ei]/top + exampleWeight*exBest[ei]
	}
	order := make([]int, nE)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return score[order[a]] > score[order[b]] })
	best := order[0]
	if score[best] == 0 {
		return Match{}
	}
	m := Match{Intent: x.entries[best].id, Score: score[best]}
	if totalWeight > 0 {
		m.Confidence = covered[best] / totalWeight
	}
	if nE > 1 && score[order[1]] > 0 {
		m.Runner, m.RunnerScore = x.entries[order[1]].id, score[order[1]]
		// A close runner-up means the words do not decide between two entries.
		ratio := score[order[1]] / score[best]
		if ratio > 0.8 {
			m.Confidence *= 1 - 0.5*(ratio-0.8)/0.2*0.5
		}
	}
	// Too little evidence is not enough to claim to understand, however much of a short utterance it explains:
	// the entry must explain at least as much as one word found in two entries ("what time is the football on"
	// meets only "time").
	if ev := covered[best] / x.evidenceWeight; ev < 1 {
		m.Confidence *= ev
	}
	// One word of several is thin evidence: "renew" in "how do I renew my passport" is in an entry's examples,
	// but the rest of the question is about something the knowledge base does not know.
	if explained[best] == 1 && len(terms) > 1+asked {
		m.Confidence *= loneWordFactor
	}
	// One word, heard only approximately, is not enough to claim to understand ("rain" sounds like "renew").
	if len(terms) == 1 {
		if _, ok := x.termID[terms[0]]; !ok {
			m.Confidence *= 0.5
		}
	}
	if m.Confidence > 1 {
		m.Confidence = 1
	}
	return m
}

// satTF is the BM25 saturated term frequency of term q in entry ei (its exact term; 1 occurrence for a term met
// only by sound or spelling).
func (x *index) satTF(q string, ei int) float64 {
	tf := 1.0
	if id, ok := x.termID[q]; ok {
		for _, p := range x.terms[id].postings {
			if p.entry == ei {
				tf = p.tf
				break
			}
		}
	}
	return tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*x.entries[ei].length/x.avgLen))
}

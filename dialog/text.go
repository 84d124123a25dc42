package dialog

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file turns text — typed into the knowledge base or heard by the recogniser — into the terms the matcher
// compares: lower-case words with contractions and spoken forms normalised ("five g" → "fiveg"), a light suffix
// stemmer, a phonetic key per word (so "bell" meets "bill"), and character n-grams (so a half-heard word still
// counts, and Chinese, written without spaces, is matched by character bigrams).

// phrases rewrites multi-word spoken forms to one token before splitting. Keys and values are lower case with
// single spaces; the recogniser writes numbers as words, people typing the knowledge base write digits.
var phrases = []struct{ from, to string }{
	{"five g", "fiveg"}, {"5 g", "fiveg"}, {"5g", "fiveg"},
	{"four g", "fourg"}, {"4 g", "fourg"}, {"4g", "fourg"}, {"lte", "fourg"},
	{"e sim", "esim"}, {"e-sim", "esim"}, {"sim card", "sim"},
	{"wi-fi", "wifi"}, {"wi fi", "wifi"}, {"why fi", "wifi"},
	{"pay as you go", "prepaid"}, {"pay-as-you-go", "prepaid"},
	{"direct debit", "autopay"}, {"auto pay", "autopay"},
	{"text message", "text"}, {"voice mail", "voicemail"},
	{"hot spot", "hotspot"}, {"top ups", "topup"}, {"top up", "topup"}, {"top-up", "topup"}, {"port out", "portout"}, {"port in", "portin"},
	{"set up", "setup"}, {"sign in", "signin"}, {"log in", "signin"}, {"login", "signin"},
	{"e mail", "email"}, {"e-mail", "email"},
	{"phone number", "number"}, {"mobile number", "number"},
	{"i phone", "iphone"}, {"robo call", "robocall"},
}

// contractions expand the forms a recogniser or a caller writes so negations survive tokenising.
var contractions = strings.NewReplacer(
	"can't", "can not", "cannot", "can not", "won't", "will not", "n't", " not",
	"i'm", "i am", "'re", " are", "'ve", " have", "'ll", " will", "'d", " would", "'s", "",
	"’", "'",
)

// stopwords carry no topic: function words and the fillers of spoken requests. They still count for yes/no and
// control phrases, which look at the raw words.
var stopwords = setOf(`a about above after again all also am an and any anything are as at be been before being
	both but by can could did do does doing done for from get gets getting go going gonna got had has have having he
	her here hey hi hello his how i if in into is it its just know let like me might mine most my myself need
	needs no nor not now of off ok okay on once only or other our out over own please right same she should so some
	something such than that the their them then there these they this those through to too um uh under until up
	us very wanna want wanted was way we well were what when where which while who whom why will with would yeah
	yes you your yours guys thanks thank there really actually basically just today still tell told say wondering
	hoping trying try able help happened happen happens way come came yet anyway anywhere everything thing things
	stuff else ever already maybe perhaps probably mean guess think sort kind bit lot lots quite pretty sure`)

// fillerWords carry no topic in a caller's question but are not function words: the context callers give
// ("last night", "my mum", "on the bus") and numbers said as words. The matcher skips them (control phrases and
// yes/no still see them, since they read stopwords only), so a long-winded question is not judged by its story.
var fillerWords = setOf(`morning afternoon evening night tonight yesterday tomorrow weekend week weeks
	monday tuesday wednesday thursday friday saturday sunday ago recently earlier later soon lately since
	mum mom mother dad father wife husband son daughter kids kid children child brother sister friend friends
	partner boyfriend girlfriend family grandma grandad nan granny someone somebody anyone anybody nobody people
	guy guys lady man woman sir madam hiya hullo er erm uh um hmm oh ah mm okay alright cheers ta lovely great
	honestly literally totally seriously obviously apparently literally absolutely definitely
	one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
	eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand half couple few
	several many little lots loads bunch whole last next first second third
	good bad nice really quite very even ever always sometimes often
	supposed seems seem seemed said says saying ask asking asked moment onto instead because possible
	round nothing nearly almost roughly approximately around`)

// questionWords are function words the matcher keeps: what a caller asks about shows in how they ask ("when" is
// my bill due, "how" do I pay it, "why" is it so high). They are in many entries, so their IDF keeps them light.
var questionWords = setOf(`when how why where much`)

// places are the countries and regions callers name when they travel or call abroad; the matcher reads each as
// "abroad" (when the knowledge base knows that word), so "Spain" and "Italy" count like "overseas".
var places = setOf(`spain france italy germany portugal greece turkey ireland scotland wales netherlands holland
	belgium switzerland austria poland sweden norway denmark finland iceland croatia cyprus malta europe european
	eu america usa states canada mexico brazil argentina australia zealand india pakistan bangladesh china
	japan korea thailand vietnam philippines indonesia dubai emirates egypt morocco africa nigeria kenya ghana
	asia caribbean jamaica spanish french italian german portuguese greek turkish irish polish indian chinese
	nigerian abroad`)

// storyPhrases are multi-word fillers the matcher skips: their words alone would mean something else ("find"
// a lost phone, a "time" to pay, a travel "pass").
var storyPhrases = [][]string{
	{"find", "out"}, {"figure", "out"}, {"this", "time"}, {"at", "the", "moment"}, {"at", "the", "minute"},
	{"passed", "away"}, {"pass", "away"},
}

// storyPhraseAt returns the length of the story phrase starting at word i of ws, or 0.
func storyPhraseAt(ws []string, i int) int {
	for _, p := range storyPhrases {
		if i+len(p) <= len(ws) && slices.Equal(ws[i:i+len(p)], p) {
			return len(p)
		}
	}
	return 0
}

func setOf(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// normalize lower-cases s, expands contractions, maps spoken multi-word forms to single tokens and replaces
// punctuation with spaces. Han characters are kept; each becomes its own token later.
func normalize(s string) string {
	s = strings.ToLower(s)
	s = contractions.Replace(s)
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(' ')
	lastSpace := true
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-':
			b.WriteRune(r)
			lastSpace = false
		default:
			if !lastSpace {
				b.WriteByte(' ')
				lastSpace = true
			}
		}
	}
	if !lastSpace {
		b.WriteByte(' ')
	}
	out := b.String()
	for _, p := range phrases {
		if strings.Contains(out, " "+p.from+" ") {
			out = strings.ReplaceAll(out, " "+p.from+" ", " "+p.to+" ")
		}
	}
	return strings.TrimSpace(strings.ReplaceAll(out, "-", " "))
}

// words splits normalised text into words; a run of Han characters becomes one word per character.
func words(s string) []string {
	var out []string
	for _, f := range strings.Fields(normalize(s)) {
		if !hasHan(f) {
			out = append(out, f)
			continue
		}
		for _, r := range f {
			out = append(out, string(r))
		}
	}
	return out
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// irregular maps irregular verb forms callers use to one stem.
var irregular = map[string]string{
	"stole": "steal", "stolen": "steal", "steal": "steal", "paid": "pay", "bought": "buy", "sent": "send",
	"lost": "lose", "took": "take", "taken": "take", "went": "go", "gone": "go", "came": "come",
	"gave": "give", "given": "give", "spent": "spend", "told": "tell", "made": "make", "knew": "know",
	"cancelled": "cancel", "cancelling": "cancel", "cancellation": "cancel", "cancellations": "cancel",
	"travelled": "travel", "travelling": "travel", "traveller": "travel", "travellers": "travel",
	"left": "leave", "leaving": "leave", "broke": "break", "broken": "break", "owing": "owe", "owed": "owe",
	"fell": "fall", "got": "get", "gotten": "get", "ran": "run", "running": "run", "stopped": "stop",
	"stuck": "stick", "forgot": "forget", "forgotten": "forget", "understood": "understand",
	"chose": "choose", "chosen": "choose", "wrote": "write", "written": "write", "rang": "ring", "rung": "ring",
	"moved": "move", "moving": "move", "data": "data", "news": "news", "bus": "bus", "gas": "gas",
	"sms": "sms", "ios": "ios", "plus": "plus", "less": "less", "address": "address", "access": "access",
	"pass": "pass", "business": "business", "wireless": "wireless", "unless": "unless", "useless": "useless",
	// Comparatives and superlatives callers use; "-er" in general is left alone ("order", "number", "provider").
	"cheaper": "cheap", "cheapest": "cheap", "smaller": "small", "smallest": "small", "bigger": "big",
	"biggest": "big", "larger": "large", "newer": "new", "newest": "new", "older": "old", "oldest": "old",
	"faster": "fast", "fastest": "fast", "quicker": "quick", "quickest": "quick", "slower": "slow",
	"slowest": "slow", "higher": "high", "highest": "high", "lower": "low", "lowest": "low", "longer": "long",
	"latest": "late", "later": "late", "earlier": "early", "earliest": "early", "easier": "easy",
	"easiest": "easy", "nearer": "near", "nearest": "near", "closer": "close", "closest": "close",
	"sooner": "soon", "better": "good", "best": "good", "worse": "bad", "worst": "bad",
}

// stem strips common English suffixes so "charged", "charges" and "charge" meet. It is deliberately light: the
// same function runs on both sides, so consistency matters more than linguistics.
func stem(w string) string {
	if r, ok := irregular[w]; ok {
		if r != w {
			return stem(r) // the base form, stemmed like any other word
		}
		return r
	}
	if len(w) <= 3 || !isASCII(w) {
		return w
	}
	for _, suf := range []struct {
		s, r string
		min  int
	}{
		{"ations", "", 4}, {"ation", "", 4}, {"ments", "", 4}, {"ment", "", 4}, {"ingly", "", 4},
		{"ies", "y", 3}, {"ied", "y", 3}, {"ing", "", 3}, {"edly", "", 3}, {"ed", "", 3}, {"ers", "er", 3},
		{"ly", "", 3}, {"es", "", 3}, {"s", "", 3},
	} {
		if strings.HasSuffix(w, suf.s) && len(w)-len(suf.s) >= suf.min {
			w = w[:len(w)-len(suf.s)] + suf.r
			break
		}
	}
	if len(w) > 3 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	// British and American spellings meet: "recognise"/"recognize", "penalised"/"penalized".
	if n := len(w); n > 4 && strings.HasSuffix(w, "iz") {
		w = w[:n-1] + "s"
	}
	// Doubled final consonant after stripping ("stopped" → "stopp" → "stop").
	if n := len(w); n > 3 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiouls", rune(w[n-1])) {
		w = w[:n-1]
	}
	return w
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// phonetic returns a Metaphone-style key for an English word: consonant classes in order, vowels dropped except
// a leading one, so words a recogniser confuses ("bill"/"bell", "roaming"/"rowming") share a key. Non-ASCII words
// (Chinese) have no phonetic key.
func phonetic(w string) string {
	if w == "" || !isASCII(w) {
		return ""
	}
	// Common initial clusters whose first letter is silent.
	for _, p := range []string{"kn", "gn", "pn", "wr", "ps"} {
		if strings.HasPrefix(w, p) {
			w = w[1:]
			break
		}
	}
	if strings.HasPrefix(w, "x") {
		w = "s" + w[1:]
	}
	if strings.HasPrefix(w, "wh") {
		w = "w" + w[2:]
	}
	var b []byte
	push := func(c byte) {
		if len(b) == 0 || b[len(b)-1] != c {
			b = append(b, c)
		}
	}
	isVowel := func(c byte) bool { return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' }
	at := func(i int) byte {
		if i < 0 || i >= len(w) {
			return 0
		}
		return w[i]
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		next := at(i + 1)
		switch {
		case c >= '0' && c <= '9':
			push(c)
		case isVowel(c):
			if i == 0 {
				push('A')
			} else if len(b) > 0 && b[len(b)-1] != '.' {
				// A vowel separates repeated consonants ("ll" in "bill" stays one L, but "s-s" across a vowel stays two).
				b = append(b, '.')
			}
		case c == 'b':
			if !(i == len(w)-1 && at(i-1) == 'm') {
				push('B')
			}
		case c == 'c':
			switch {
			case next == 'h':
				push('X')
				i++
			case next == 'i' || next == 'e' || next == 'y':
				push('S')
			default:
				push('K')
			}
		case c == 'd':
			if next == 'g' && (at(i+2) == 'e' || at(i+2) == 'i' || at(i+2) == 'y') {
				push('J')
				i++
			} else {
				push('T')
			}
		case c == 'g':
			switch {
			case next == 'h' && i+2 < len(w) && !isVowel(at(i+2)):
				i++ // silent "gh" as in "night"
			case next == 'h' && i+2 >= len(w):
				push('F') // "enough"
				i++
			case next == 'n' && i+2 >= len(w):
			case next == 'i' || next == 'e' || next == 'y':
				push('J')
			default:
				push('K')
			}
		case c == 'h':
			if isVowel(next) && !strings.ContainsRune("csptg", rune(at(i-1))) {
				push('H')
			}
		case c == 'k':
			if at(i-1) != 'c' {
				push('K')
			}
		case c == 'p':
			if next == 'h' {
				push('F')
				i++
			} else {
				push('P')
			}
		case c == 'q':
			push('K')
		case c == 's':
			switch {
			case next == 'h':
				push('X')
				i++
			case next == 'i' && (at(i+2) == 'o' || at(i+2) == 'a'):
				push('X')
			default:
				push('S')
			}
		case c == 't':
			switch {
			case next == 'i' && (at(i+2) == 'o' || at(i+2) == 'a'):
				push('X')
			case next == 'h':
				push('0')
				i++
			default:
				push('T')
			}
		case c == 'v':
			push('F')
		case c == 'w' || c == 'y':
			if isVowel(next) {
				push(c - 32)
			}
		case c == 'x':
			push('K')
			push('S')
		case c == 'z':
			push('S')
		case c >= 'a' && c <= 'z':
			push(c - 32) // f j l m n r
		}
	}
	out := strings.ReplaceAll(string(b), ".", "")
	return out
}

// charGrams appends the character n-grams of w, padded with '^' and '$' so word edges count ("^bi", "ll$").
func charGrams(dst []string, w string, n int) []string {
	r := []rune("^" + w + "$")
	if len(r) <= n {
		return append(dst, string(r))
	}
	for i := 0; i+n <= len(r); i++ {
		dst = append(dst, string(r[i:i+n]))
	}
	return dst
}

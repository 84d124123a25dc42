package quality

import (
	"strings"
	"unicode"
)

// MaskCardNumbers returns text with every payment-card number masked: all digits but the last four become '*'.
// A card number is 13–19 digits that pass the Luhn check and start like a card network's number (Visa,
// Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro, Mir: first digit 2–6). It is found whether it is
// written as digits ("4111 1111 1111 1111", "4111-1111-…", "4111111111111111") or spoken as words the
// recogniser writes out ("four one one one …", "oh", "double one", with fillers such as "uh" in between);
// spoken numbers are replaced by the masked digits grouped in fours ("**** **** **** 1111").
//
// Phone and account numbers are left alone: they are shorter than 13 digits, fail the Luhn check or the card
// prefixes, or (for phone numbers) start with '+'. Text without a card number is returned unchanged.
func MaskCardNumbers(text string) string {
	if len(text) < 13 || possibleDigits(text) < 13 {
		return text
	}
	toks := tokenize(text)
	var b strings.Builder
	last := 0 // byte offset in text copied up to
	for i := 0; i < len(toks); {
		if toks[i].kind == tokOther {
			i++
			continue
		}
		// A run: number tokens, with fillers allowed between them (never at the ends).
		j := i
		end := i
		for j < len(toks) && toks[j].kind != tokOther {
			if toks[j].kind != tokFiller {
				end = j
			}
			j++
		}
		if toks[i].kind == tokFiller {
			i = j
			continue
		}
		run := toks[i : end+1]
		for _, c := range findCards(run, reservedDigits(text, run[0].start), nil) {
			b.WriteString(text[last:run[c[0]].start])
			b.WriteString(maskSpan(run[c[0]:c[1]+1], text))
			last = run[c[1]].end
		}
		i = j
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// Luhn reports whether digits (ASCII '0'–'9' only) pass the Luhn check.
func Luhn(digits string) bool {
	if len(digits) < 2 {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// IsCardNumber reports whether digits (ASCII digits only) look like a payment-card number: 13–19 digits, a card
// network's prefix, and the Luhn check.
func IsCardNumber(digits string) bool {
	if len(digits) < 13 || len(digits) > 19 {
		return false
	}
	if !cardPrefix(digits) {
		return false
	}
	return Luhn(digits)
}

// cardPrefix accepts the issuer identification ranges of the major networks.
func cardPrefix(d string) bool {
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p4 := p2*100 + int(d[2]-'0')*10 + int(d[3]-'0')
	switch d[0] {
	case '4', '5', '6': // Visa; Mastercard 51–55 and Maestro 50, 56–59; Discover, Maestro, UnionPay 6x
		return true
	case '3': // Amex 34/37, Diners 300–305/36/38/39, JCB 3528–3589
		return p2 == 34 || p2 == 37 || p2 == 36 || p2 == 38 || p2 == 39 || (p4 >= 3000 && p4 <= 3059) ||
			(p4 >= 3528 && p4 <= 3589)
	case '2': // Mir 2200–2204, Mastercard 2221–2720
		return (p4 >= 2200 && p4 <= 2204) || (p4 >= 2221 && p4 <= 2720)
	}
	return false
}

type tokKind uint8

const (
	tokOther  tokKind = iota
	tokDigits         // "4111"
	tokWord           // "four", "oh", "double four"
	tokFiller         // "uh", "um", "-", "," between number tokens
)

type token struct {
	kind       tokKind
	start, end int    // byte span in text
	digits     string // the digits it stands for
	plus       bool   // digits preceded directly by '+' (a phone number)
}

var digitWords = map[string]string{
	"zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2", "three": "3", "four": "4",
	"five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}

var fillers = map[string]bool{"uh": true, "um": true, "er": true, "erm": true, "ah": true, "and": true, "then": true}

// possibleDigits counts, without allocating, the digits and digit words in text: an upper bound on the digits of
// any number in it ("double" and "triple" count as two).
func possibleDigits(text string) int {
	n := 0
	for i := 0; i < len(text); {
		c := text[i]
		if c >= '0' && c <= '9' {
			n++
			i++
			continue
		}
		if (c|0x20) < 'a' || (c|0x20) > 'z' {
			i++
			continue
		}
		j := i
		for j < len(text) && (text[j]|0x20) >= 'a' && (text[j]|0x20) <= 'z' {
			j++
		}
		w := text[i:j]
		if len(w) <= 6 {
			for _, d := range digitWordList {
				if strings.EqualFold(w, d) {
					n++
					if d == "double" || d == "triple" {
						n++
					}
					break
				}
			}
		}
		i = j
	}
	return n
}

var digitWordList = []string{"zero", "oh", "o", "nought", "one", "two", "three", "four", "five", "six", "seven",
	"eight", "nine", "double", "triple"}

// tokenize splits text into words, digit groups and separators. "double"/"triple" followed by a digit word
// becomes one word token standing for the repeated digit.
func tokenize(text string) []token {
	var toks []token
	i := 0
	for i < len(text) {
		c := text[i]
		switch {
		case c >= '0' && c <= '9':
			j := i
			for j < len(text) && text[j] >= '0' && text[j] <= '9' {
				j++
			}
			toks = append(toks, token{kind: tokDigits, start: i, end: j, digits: text[i:j], plus: i > 0 && text[i-1] == '+'})
			i = j
		case c < 0x80 && (unicode.IsLetter(rune(c)) || c == '\''):
			j := i
			for j < len(text) && text[j] < 0x80 && (unicode.IsLetter(rune(text[j])) || text[j] == '\'') {
				j++
			}
			w := strings.ToLower(text[i:j])
			switch {
			case digitWords[w] != "":
				toks = append(toks, token{kind: tokWord, start: i, end: j, digits: digitWords[w]})
			case fillers[w]:
				toks = append(toks, token{kind: tokFiller, start: i, end: j})
			case w == "double" || w == "triple":
				toks = append(toks, token{kind: tokFiller, start: i, end: j, digits: w})
			default:
				toks = append(toks, token{kind: tokOther, start: i, end: j})
			}
			i = j
		case isSeparator(c):
			// Separators: a single one between number tokens is part of the run; anything else ends it.
			i++
		default:
			j := i + 1
			for j < len(text) && text[j] >= 0x80 {
				j++
			}
			toks = append(toks, token{kind: tokOther, start: i, end: j})
			i = j
		}
	}
	// Fold "double X"/"triple X" into the next word token.
	out := toks[:0]
	for k := 0; k < len(toks); k++ {
		t := toks[k]
		if t.kind == tokFiller && (t.digits == "double" || t.digits == "triple") && k+1 < len(toks) && toks[k+1].kind == tokWord {
			n := 2
			if t.digits == "triple" {
				n = 3
			}
			nx := toks[k+1]
			out = append(out, token{kind: tokWord, start: t.start, end: nx.end, digits: strings.Repeat(nx.digits, n)})
			k++
			continue
		}
		if t.kind == tokFiller && t.digits != "" {
			t = token{kind: tokOther, start: t.start, end: t.end}
		}
		out = append(out, t)
	}
	return out
}

// reservedDigits is how many leading digits of a run that starts at byte offset start may not begin a card: 4 when
// the run follows a '*' (across separators), because those are the kept last four digits of a card already
// masked ("**** **** **** 1111"). Without this, masking masked text again could join them with the digits after
// them into a new "card" and mask them too: MaskCardNumbers must be idempotent, as transcripts are masked when
// stored and again when shown.
func reservedDigits(text string, start int) int {
	k := start - 1
	for k >= 0 && isSeparator(text[k]) {
		k--
	}
	if k >= 0 && text[k] == '*' {
		return 4
	}
	return 0
}

// isSeparator reports whether c may stand between the digit groups of one number ("4111 1111", "4111-1111").
func isSeparator(c byte) bool { return c == ' ' || c == '-' || c == ',' || c == '.' || c == '\t' }

// findCards appends to cards the token windows of run (first and last token index, in order) that are card
// numbers: the longest card window of run, then, separately, those before and after it. Two cards said one
// after the other ("4111 1111 1111 1111 5555 5555 5555 4444") are both masked. The first reserved digits of run
// may not begin a window.
func findCards(run []token, reserved int, cards [][2]int) [][2]int {
	s, e, ok := findCard(run, reserved)
	if !ok {
		return cards
	}
	cards = findCards(run[:s], reserved, cards)
	cards = append(cards, [2]int{s, e})
	base := len(cards)
	cards = findCards(run[e+1:], 0, cards)
	for k := base; k < len(cards); k++ {
		cards[k][0] += e + 1
		cards[k][1] += e + 1
	}
	return cards
}

// findCard looks in a run of number tokens (fillers allowed inside) for the longest token-aligned window whose
// digits form a card number and which does not start within the first reserved digits; it returns the window's
// first and last token index in run.
func findCard(run []token, reserved int) (int, int, bool) {
	bestS, bestE, bestLen := 0, 0, 0
	before := 0 // digits in run[:s]
	for s := range run {
		if s > 0 {
			before += len(run[s-1].digits)
		}
		if run[s].kind == tokFiller || run[s].plus || before < reserved {
			continue
		}
		n := 0
		var digits [19]byte
		for e := s; e < len(run); e++ {
			if run[e].kind == tokFiller {
				continue
			}
			d := run[e].digits
			if n+len(d) > 19 {
				break
			}
			copy(digits[n:], d)
			n += len(d)
			if n >= 13 && n > bestLen && IsCardNumber(string(digits[:n])) {
				bestS, bestE, bestLen = s, e, n
			}
		}
	}
	return bestS, bestE, bestLen > 0
}

// maskSpan renders the masked form of the tokens: written digits keep their separators with all but the last
// four digits starred; spoken numbers become starred digit groups of four.
func maskSpan(span []token, text string) string {
	total := 0
	spoken := false
	for _, t := range span {
		total += len(t.digits)
		if t.kind == tokWord {
			spoken = true
		}
	}
	if !spoken {
		src := text[span[0].start:span[len(span)-1].end]
		out := []byte(src)
		seen := 0
		for i := range out {
			if out[i] >= '0' && out[i] <= '9' {
				if seen < total-4 {
					out[i] = '*'
				}
				seen++
			}
		}
		return string(out)
	}
	var all []byte
	for _, t := range span {
		all = append(all, t.digits...)
	}
	for i := 0; i < len(all)-4; i++ {
		all[i] = '*'
	}
	var b strings.Builder
	for i, c := range all {
		if i > 0 && (len(all)-i)%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteByte(c)
	}
	return b.String()
}

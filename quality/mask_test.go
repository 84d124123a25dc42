package quality

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestMaskCardNumbers(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"visa in groups of four", "card 4111 1111 1111 1111 thanks", "card **** **** **** 1111 thanks"},
		{"visa with dashes", "4111-1111-1111-1111", "****-****-****-1111"},
		{"visa unbroken", "pay with 4111111111111111.", "pay with ************1111."},
		{"amex 15 digits", "378282246310005", "***********0005"},
		{"mastercard 2-series", "2221 0000 0000 0009", "**** **** **** 0009"},
		{"nineteen digits", "6011000000000000001", "***************0001"},
		{"spoken digits", "it's four one one one one one one one one one one one one one one one", "it's **** **** **** 1111"},
		{"spoken with oh, double and fillers", "five five five five uh five five five five double five five five four four four four",
			"**** **** **** 4444"},
		{"spoken then more words", "my card is four one one one one one one one one one one one one one one one and the expiry is",
			"my card is **** **** **** 1111 and the expiry is"},
		{"failing Luhn is left alone", "4111 1111 1111 1112", "4111 1111 1111 1112"},
		{"phone number with plus is left alone", "call +4915112345678 please", "call +4915112345678 please"},
		{"phone number is left alone", "my number is 555 123 4567", "my number is 555 123 4567"},
		{"account number is left alone", "account 12345678", "account 12345678"},
		{"twelve digits is not a card", "411111111111", "411111111111"},
		{"twenty digits is not a card", "41111111111111111111", "41111111111111111111"},
		{"luhn-valid number with a non-card prefix", "1234 5678 9012 3452", "1234 5678 9012 3452"},
		{"spoken short number left alone", "press one two three", "press one two three"},
		{"empty", "", ""},
		{"two cards", "4111111111111111 or 5555555555554444", "************1111 or ************4444"},
		{"two cards one after the other", "4111 1111 1111 1111 5555 5555 5555 4444", "**** **** **** 1111 **** **** **** 4444"},
		{"a card before a short number in the same run", "4111111111111111 1234", "************1111 1234"},
		{"masked text is left as it is", "* **** **** **** 3003 1 00000 0 0 0 00000000", "* **** **** **** 3003 1 00000 0 0 0 00000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := MaskCardNumbers(tc.in); got != tc.want {
				t.Fatalf("MaskCardNumbers(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLuhn(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{{"4111111111111111", true}, {"4111111111111112", false}, {"79927398713", true}, {"0", false}, {"12a4", false}} {
		if got := Luhn(tc.in); got != tc.want {
			t.Errorf("Luhn(%q) = %v", tc.in, got)
		}
	}
}

func FuzzMaskCardNumbers(f *testing.F) {
	for _, s := range []string{"4111 1111 1111 1111", "four one one one one one one one one one one one one one one one",
		"+4915112345678", "double five triple four", "ünïcödé 4111111111111111 ✓", "",
		// Found by fuzzing: the kept last four digits ("3003") joined the digits after them into a new card.
		"four0080108333333003one00000 0 0o00000000\x00\x1b\xff\xff\x00\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := MaskCardNumbers(s)
		if again := MaskCardNumbers(out); again != out {
			t.Fatalf("masking is not idempotent: %q -> %q -> %q", s, out, again)
		}
		if !strings.Contains(s, "*") && strings.Count(out, "*") == 0 && out != s {
			t.Fatalf("text changed without masking: %q -> %q", s, out)
		}
	})
}

func BenchmarkMaskCardNumbersPlainSentence(b *testing.B) {
	s := "I'm sorry to hear that, let me check your line and the recent outages in your area."
	b.ReportAllocs()
	for b.Loop() {
		MaskCardNumbers(s)
	}
}

func TestConfigReadsFromYAML(t *testing.T) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader("silence_gap: 4s\nphrases:\n  - {kind: promise, phrase: no fees ever, suggestion: Let me check the fees for you.}\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.SilenceGap != 4*time.Second || len(c.Phrases) != 1 || c.Phrases[0].Phrase != "no fees ever" || c.WPMHigh != 190 {
		t.Fatalf("decoded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

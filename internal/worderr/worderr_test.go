package worderr

import (
	"reflect"
	"testing"
)

func TestWordsDropPunctuationAndKeepApostrophesInsideWords(t *testing.T) {
	got := Words("Ask not what your country can do for you, 'Tom' — I'm 5G-ready!")
	want := []string{"ask", "not", "what", "your", "country", "can", "do", "for", "you", "tom", "i'm", "5g", "ready"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Words = %q, want %q", got, want)
	}
}

func TestCountIsTheWordEditDistance(t *testing.T) {
	for _, tc := range []struct {
		ref, hyp string
		want     int
	}{
		{"the cat sat", "the cat sat", 0},
		{"the cat sat", "the bat sat", 1},      // substitution
		{"the cat sat", "the cat sat down", 1}, // insertion
		{"the cat sat", "cat sat", 1},          // deletion
		{"the cat sat", "", 3},                 // all deleted
		{"", "a b", 2},                         // all inserted
		{"disconnect my line", "the connect my life", 3},
	} {
		if got := Count(Words(tc.ref), Words(tc.hyp)); got != tc.want {
			t.Errorf("Count(%q, %q) = %d, want %d", tc.ref, tc.hyp, got, tc.want)
		}
	}
}

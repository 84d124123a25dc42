package lmgen

import (
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestWordsSpellsNumbersAndSplitsUnknownCompounds(t *testing.T) {
	known := func(w string) bool { return w != "port-out" }
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Is 5G available?", []string{"is", "five", "g", "available"}},
		{"Text BAL to 2255", []string{"text", "bal", "to", "two", "two", "five", "five"}},
		{"I'd like a port-out code", []string{"i'd", "like", "a", "port", "out", "code"}},
		{"My eSIM, 20 GB!", []string{"my", "esim", "twenty", "gb"}},
		{"top-up", []string{"top-up"}},
	} {
		if got := Words(tc.in, known); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Words(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestARPAProbabilitiesSumToOneAfterEachContext(t *testing.T) {
	sents := [][]string{{"pay", "my", "bill"}, {"my", "bill", "is", "high"}, {"pay", "the", "bill"}, {"yes"}}
	arpa := ARPA(sents)
	uni := map[string]float64{}
	bi := map[string]float64{}
	bows := map[string]float64{}
	section := 0
	for _, line := range strings.Split(arpa, "\n") {
		switch {
		case strings.HasPrefix(line, "\\1-grams"):
			section = 1
		case strings.HasPrefix(line, "\\2-grams"):
			section = 2
		case strings.HasPrefix(line, "\\3-grams"):
			section = 3
		}
		f := strings.Fields(line)
		if section == 0 || len(f) < 2 || strings.HasPrefix(line, "\\") {
			continue
		}
		p, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			t.Fatalf("line %q", line)
		}
		switch section {
		case 1:
			uni[f[1]] = math.Pow(10, p)
			if len(f) == 3 {
				b, _ := strconv.ParseFloat(f[2], 64)
				bows[f[1]] = math.Pow(10, b)
			}
		case 2:
			bi[f[1]+" "+f[2]] = math.Pow(10, p)
		}
	}
	uni["<s>"] = 0
	var su float64
	for _, p := range uni {
		su += p
	}
	if math.Abs(su-1) > 0.01 {
		t.Errorf("unigrams sum to %.4f", su)
	}
	for _, h := range []string{"my", "pay", "bill"} {
		var s float64
		for w, pw := range uni {
			if p, ok := bi[h+" "+w]; ok {
				s += p
			} else {
				s += bows[h] * pw
			}
		}
		if math.Abs(s-1) > 0.01 {
			t.Errorf("P(·|%s) sums to %.4f", h, s)
		}
	}
}

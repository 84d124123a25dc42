// Package worderr scores recognised text against a reference for the recognition evaluations (word error rate):
// the words as compared and the number of word errors. It is imported only from _test.go files.
package worderr

import "strings"

// Words lower-cases s and drops punctuation (apostrophes inside words stay).
func Words(s string) []string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '\'':
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	f := strings.Fields(b.String())
	for i, w := range f {
		f[i] = strings.Trim(w, "'")
	}
	return f
}

// Count counts word substitutions, insertions and deletions that turn ref into hyp (the edit distance).
func Count(ref, hyp []string) int {
	d := make([]int, len(hyp)+1)
	for j := range d {
		d[j] = j
	}
	for i := 1; i <= len(ref); i++ {
		prev := d[0]
		d[0] = i
		for j := 1; j <= len(hyp); j++ {
			cur := d[j]
			c := prev
			if ref[i-1] != hyp[j-1] {
				c++
			}
			d[j] = min(c, d[j]+1, d[j-1]+1)
			prev = cur
		}
	}
	return d[len(hyp)]
}

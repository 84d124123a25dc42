package dialog

import (
	"math"
	"sort"
	"strings"
)

// Cluster is a group of unanswered questions that seem to ask the same thing: a candidate knowledge-base entry.
type Cluster struct {
	// Count is how many questions it holds.
	Count int `json:"count"`
	// Examples are up to five distinct questions, the most central first.
	Examples []string `json:"examples"`
	// Terms are the words that most characterise the cluster (a name for it).
	Terms []string `json:"terms"`
}

// ClusterOptions tune ClusterQuestions.
type ClusterOptions struct {
	// Threshold is the average-linkage cosine similarity above which two groups merge (0.15).
	Threshold float64
	// MaxExamples per cluster (5).
	MaxExamples int
}

// ClusterQuestions groups questions by meaning: each question becomes a TF-IDF vector over its content words
// (stemmed, synonyms joined by the knowledge base when kb is not nil) and the character 3-grams of those words,
// L2-normalised; then average-linkage agglomerative clustering merges the closest groups while their average
// cosine similarity is above the threshold. Clusters are returned largest first. The work is O(n²) in memory
// and O(n³) time in the worst case, fine for the few thousand questions a week brings.
func ClusterQuestions(questions []string, kb *KB, opt ClusterOptions) []Cluster {
	if opt.Threshold <= 0 {
		opt.Threshold = 0.15
	}
	if opt.MaxExamples <= 0 {
		opt.MaxExamples = 5
	}
	n := len(questions)
	if n == 0 {
		return nil
	}
	canon := map[string]string{}
	if kb != nil && kb.index != nil {
		canon = kb.index.canon
	}
	// Features: "w:" content terms, "c:" character trigrams of them (weighted down: they back up the words and
	// join spellings like "smartwatch" / "smart watch").
	feats := make([]map[string]float64, n)
	df := map[string]int{}
	surface := map[string]map[string]int{} // term → surface words seen, for naming clusters
	for i, q := range questions {
		f := map[string]float64{}
		for _, w := range words(q) {
			if stopwords[w] {
				continue
			}
			st := stem(w)
			if c, ok := canon[st]; ok {
				st = c
			}
			f["w:"+st]++
			if surface[st] == nil {
				surface[st] = map[string]int{}
			}
			surface[st][w]++
			for _, g := range charGrams(nil, w, 3) {
				f["c:"+g] += charGramWeight
			}
		}
		feats[i] = f
		for k := range f {
			df[k]++
		}
	}
	vecs := make([]map[string]float64, n)
	for i, f := range feats {
		v := map[string]float64{}
		var norm float64
		for k, tf := range f {
			w := tf * math.Log(1+float64(n)/float64(df[k]))
			v[k] = w
			norm += w * w
		}
		norm = math.Sqrt(norm)
		for k := range v {
			if norm > 0 {
				v[k] /= norm
			}
		}
		vecs[i] = v
	}
	sim := make([][]float64, n)
	for i := range sim {
		sim[i] = make([]float64, n)
		for j := 0; j < i; j++ {
			s := cosine(vecs[i], vecs[j])
			sim[i][j], sim[j][i] = s, s
		}
	}
	// Average linkage: groups[g] lists members; link[g][h] is the sum of pairwise similarities.
	groups := make([][]int, n)
	link := make([][]float64, n)
	alive := make([]bool, n)
	for i := range groups {
		groups[i] = []int{i}
		link[i] = append([]float64{}, sim[i]...)
		alive[i] = true
	}
	for {
		bi, bj, best := -1, -1, opt.Threshold
		for i := 0; i < n; i++ {
			if !alive[i] {
				continue
			}
			for j := i + 1; j < n; j++ {
				if !alive[j] {
					continue
				}
				avg := link[i][j] / float64(len(groups[i])*len(groups[j]))
				if avg > best {
					bi, bj, best = i, j, avg
				}
			}
		}
		if bi < 0 {
			break
		}
		groups[bi] = append(groups[bi], groups[bj]...)
		alive[bj] = false
		for k := 0; k < n; k++ {
			link[bi][k] += link[bj][k]
			link[k][bi] = link[bi][k]
		}
	}
	var out []Cluster
	for g, members := range groups {
		if !alive[g] {
			continue
		}
		out = append(out, describeCluster(questions, vecs, sim, members, opt.MaxExamples, surface))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// charGramWeight is the weight of one character trigram relative to one word in the TF-IDF vectors.
const charGramWeight = 0.5

func describeCluster(questions []string, vecs []map[string]float64, sim [][]float64, members []int, maxEx int,
	surface map[string]map[string]int) Cluster {
	centrality := make(map[int]float64, len(members))
	for _, i := range members {
		for _, j := range members {
			if i != j {
				centrality[i] += sim[i][j]
			}
		}
	}
	order := append([]int{}, members...)
	sort.SliceStable(order, func(a, b int) bool { return centrality[order[a]] > centrality[order[b]] })
	c := Cluster{Count: len(members)}
	seen := map[string]bool{}
	for _, i := range order {
		key := strings.Join(words(questions[i]), " ")
		if seen[key] || len(c.Examples) >= maxEx {
			continue
		}
		seen[key] = true
		c.Examples = append(c.Examples, questions[i])
	}
	weight := map[string]float64{}
	for _, i := range members {
		for k, v := range vecs[i] {
			if strings.HasPrefix(k, "w:") {
				weight[k[2:]] += v
			}
		}
	}
	for t := range weight {
		c.Terms = append(c.Terms, t)
	}
	sort.Slice(c.Terms, func(a, b int) bool {
		if weight[c.Terms[a]] != weight[c.Terms[b]] {
			return weight[c.Terms[a]] > weight[c.Terms[b]]
		}
		return c.Terms[a] < c.Terms[b]
	})
	if len(c.Terms) > 4 {
		c.Terms = c.Terms[:4]
	}
	for i, t := range c.Terms {
		best, n := t, 0
		for w, k := range surface[t] {
			if k > n || k == n && w < best {
				best, n = w, k
			}
		}
		c.Terms[i] = best
	}
	return c
}

func cosine(a, b map[string]float64) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	var s float64
	for k, v := range a {
		s += v * b[k]
	}
	return s
}

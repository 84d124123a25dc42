//go:build eval

package prosody

import (
	"encoding/gob"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
)

// Diagnostics for the emotion model (not part of `make eval`: run with -run TestDiag). The frames of every clip are
// cached in the temp dir between runs.

type diagClip struct {
	Name, Speaker string
	Label         byte
	Frames        []FrameResult
}

func diagLoad(t *testing.T) (map[string][]FrameResult, []diagClip) {
	cache := filepath.Join(os.TempDir(), "prosody-diag-frames.gob")
	type blob struct {
		Base  map[string][]FrameResult
		Clips []diagClip
	}
	if f, err := os.Open(cache); err == nil && os.Getenv("DIAG_FRESH") == "" {
		var b blob
		if gob.NewDecoder(f).Decode(&b) == nil {
			f.Close()
			return b.Base, b.Clips
		}
		f.Close()
	}
	dir := testenv.SharedAudio(t, "emotion")
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	sort.Strings(files)
	cfg := DefaultConfig()
	b := blob{Base: map[string][]FrameResult{}}
	for _, f := range files {
		n := filepath.Base(f)
		spk, label := n[:2], n[5]
		if _, ok := b.Base[spk]; !ok && label == 'N' {
			b.Base[spk] = analyseAll(cfg, lineAudio(t, f, true))
			continue
		}
		if !strings.ContainsRune("WANLT", rune(label)) {
			continue
		}
		b.Clips = append(b.Clips, diagClip{n, spk, label, analyseAll(cfg, lineAudio(t, f, true))})
	}
	if f, err := os.Create(cache); err == nil {
		gob.NewEncoder(f).Encode(b)
		f.Close()
	}
	return b.Base, b.Clips
}

// rawStats: a wide set of candidate statistics of a stretch of frames.
func rawStats(fr []FrameResult) map[string]float64 {
	m := map[string]float64{}
	var st, dbv, dbs, tilt, ap, rises, falls, hf []float64
	var jit, shim, move []float64
	nuc, speech, first, last := 0, 0, -1, -1
	runs := 0
	for i, f := range fr {
		if f.Speech {
			speech++
			dbs = append(dbs, f.DB)
			if first < 0 {
				first = i
			}
			last = i
			if f.Nucleus {
				nuc++
			}
			if i > 0 && fr[i-1].Speech {
				d := f.DB - fr[i-1].DB
				if d > 0 {
					rises = append(rises, math.Min(d, 10))
				} else {
					falls = append(falls, math.Min(-d, 10))
				}
			}
		}
		if f.Voiced && f.F0 > 0 {
			if i == 0 || !fr[i-1].Voiced {
				runs++
			}
			s := semitones(f.F0)
			st = append(st, s)
			dbv = append(dbv, f.DB)
			tilt = append(tilt, f.Tilt)
			hf = append(hf, f.HF)
			ap = append(ap, f.Aperiodicity)
			if i > 0 && fr[i-1].Voiced {
				move = append(move, math.Min(math.Abs(s-semitones(fr[i-1].F0)), 1))
			}
			if i > 0 && i+1 < len(fr) && fr[i-1].Voiced && fr[i+1].Voiced {
				a, c := semitones(fr[i-1].F0), semitones(fr[i+1].F0)
				jit = append(jit, math.Min(math.Abs(s-(a+c)/2), 1))
				shim = append(shim, math.Min(math.Abs(f.DB-(fr[i-1].DB+fr[i+1].DB)/2), 6))
			}
		}
	}
	mean := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	sd := func(v []float64) float64 {
		if len(v) < 2 {
			return 0
		}
		mu, s := mean(v), 0.0
		for _, x := range v {
			s += (x - mu) * (x - mu)
		}
		return math.Sqrt(s / float64(len(v)))
	}
	q := func(v []float64, p float64) float64 {
		w := slices.Clone(v)
		slices.Sort(w)
		return quantile(w, p)
	}
	m["f0med"] = q(st, 0.5)
	m["f0mean"] = mean(st)
	m["f0sd"] = sd(st)
	m["f0range"] = q(st, 0.9) - q(st, 0.1)
	m["f0p90"] = q(st, 0.9)
	m["f0p10"] = q(st, 0.1)
	m["move"] = mean(move) / HopSeconds
	m["jitter"] = mean(jit)
	m["shimmer"] = mean(shim)
	pow := 0.0
	for _, d := range dbv {
		pow += math.Pow(10, d/10)
	}
	m["db"] = 10 * math.Log10(pow/float64(max(1, len(dbv)))+1e-10)
	m["dbsd"] = sd(dbs)
	m["dbrange"] = q(dbs, 0.95) - q(dbs, 0.05)
	m["dbp95"] = q(dbv, 0.95) - m["db"]
	m["tilt"] = mean(tilt)
	// tilt of the louder half of voiced frames
	med := q(dbv, 0.5)
	var tl []float64
	for i, d := range dbv {
		if d >= med {
			tl = append(tl, tilt[i])
		}
	}
	m["tiltloud"] = mean(tl)
	m["hf"] = mean(hf)
	var hl []float64
	for i, d := range dbv {
		if d >= med {
			hl = append(hl, hf[i])
		}
	}
	m["hfloud"] = mean(hl)
	m["tiltsd"] = sd(tilt)
	m["ap"] = mean(ap)
	m["apmed"] = q(ap, 0.5)
	m["attack"] = mean(rises)
	m["attackp90"] = q(rises, 0.9)
	m["decay"] = mean(falls)
	n := float64(max(1, speech))
	m["rate"] = float64(nuc) / (n * HopSeconds)
	m["voicedshare"] = float64(len(st)) / n
	m["vrun"] = float64(len(st)) * HopSeconds / float64(max(1, runs))
	if first >= 0 {
		m["pause"] = 1 - float64(speech)/float64(last-first+1)
	}
	// F0 slope over the clip (semitones per second), linear regression on voiced frames
	var sx, sy, sxx, sxy, k float64
	for i, f := range fr {
		if f.Voiced && f.F0 > 0 {
			x, y := float64(i)*HopSeconds, semitones(f.F0)
			sx += x
			sy += y
			sxx += x * x
			sxy += x * y
			k++
		}
	}
	if k > 2 {
		m["f0slope"] = (k*sxy - sx*sy) / (k*sxx - sx*sx + 1e-9)
	}
	m["voiced"] = float64(len(st))
	return m
}

// diagFeatures returns named deviation features of a clip relative to the baseline.
func diagFeatures(c, b map[string]float64) map[string]float64 {
	d := map[string]float64{}
	d["pitch"] = c["f0med"] - b["f0med"]
	d["pitchz"] = (c["f0med"] - b["f0med"]) / (b["f0sd"] + 1)
	d["pitchmean"] = c["f0mean"] - b["f0mean"]
	d["p90"] = c["f0p90"] - b["f0p90"]
	d["p10"] = c["f0p10"] - b["f0p10"]
	d["range"] = (c["f0range"] - b["f0range"]) / 2
	d["rangeratio"] = math.Log2((c["f0range"] + 1) / (b["f0range"] + 1))
	d["f0sd"] = c["f0sd"] - b["f0sd"]
	d["move"] = (c["move"] - b["move"]) / 10
	d["jitter"] = (c["jitter"] - b["jitter"]) * 10
	d["shimmer"] = c["shimmer"] - b["shimmer"]
	d["loud"] = (c["db"] - b["db"]) / 3
	d["loudz"] = (c["db"] - b["db"]) / (b["dbsd"] + 1)
	d["spread"] = (c["dbsd"] - b["dbsd"]) / 2
	d["dbrange"] = (c["dbrange"] - b["dbrange"]) / 5
	d["crest"] = (c["dbp95"] - b["dbp95"]) / 2
	d["tilt"] = (c["tilt"] - b["tilt"]) / 2
	d["tiltloud"] = (c["tiltloud"] - b["tiltloud"]) / 2
	d["tiltz"] = (c["tilt"] - b["tilt"]) / (b["tiltsd"] + 0.5)
	d["tiltabs"] = c["tilt"] / 2
	d["hf"] = (c["hf"] - b["hf"]) / 2
	d["hfabs"] = c["hf"] / 2
	d["hfloud"] = (c["hfloud"] - b["hfloud"]) / 2
	d["rate"] = math.Log2((c["rate"] + 1) / (b["rate"] + 1))
	d["voicedshare"] = c["voicedshare"] - b["voicedshare"]
	d["ap"] = (c["ap"] - b["ap"]) / 0.05
	d["apmed"] = (c["apmed"] - b["apmed"]) / 0.05
	d["attack"] = c["attack"] - b["attack"]
	d["attackp90"] = (c["attackp90"] - b["attackp90"]) / 2
	d["decay"] = c["decay"] - b["decay"]
	d["vrun"] = math.Log2((c["vrun"] + 0.05) / (b["vrun"] + 0.05))
	d["pause"] = (c["pause"] - b["pause"]) * 5
	d["f0slope"] = (c["f0slope"] - b["f0slope"]) / 5
	for k, v := range d {
		if v != v || math.IsInf(v, 0) {
			v = 0
		}
		d[k] = math.Max(-10, math.Min(10, v))
	}
	return d
}

type diagSet struct {
	names   []string
	x       [][]float64 // no bias
	label   []byte
	speaker []string
}

func diagBuild(base map[string][]FrameResult, clips []diagClip, names []string) diagSet {
	bs := map[string]map[string]float64{}
	for s, fr := range base {
		bs[s] = rawStats(fr)
	}
	var ds diagSet
	ds.names = names
	for _, c := range clips {
		d := diagFeatures(rawStats(c.Frames), bs[c.Speaker])
		x := make([]float64, len(names))
		for i, n := range names {
			v, ok := d[n]
			if !ok {
				panic("no feature " + n)
			}
			x[i] = v
		}
		ds.x = append(ds.x, x)
		ds.label = append(ds.label, c.Label)
		ds.speaker = append(ds.speaker, c.Speaker)
	}
	return ds
}

// twoStage fits arousal and anger on the rows idx and returns the weights (bias first).
func twoStage(ds diagSet, idx []int, lamA, lamG float64) (wa, wg []float64) {
	var xa, xg [][]float64
	var ya, yg, sa, sg []float64
	n := map[byte]float64{}
	for _, i := range idx {
		n[ds.label[i]]++
	}
	calm := n['N'] + n['L'] + n['T']
	for _, i := range idx {
		x := append([]float64{1}, ds.x[i]...)
		l := ds.label[i]
		agit := l == 'W' || l == 'A'
		xa = append(xa, x)
		ya = append(ya, b2f(agit))
		if agit {
			sa = append(sa, 0.5/(n['W']+n['A']))
			xg = append(xg, x)
			yg = append(yg, b2f(l == 'W'))
			sg = append(sg, 0.5/n[l])
		} else {
			sa = append(sa, 0.5/calm)
		}
	}
	return fitLogistic(xa, ya, sa, lamA), fitLogistic(xg, yg, sg, lamG)
}

func dot1(w, x []float64) float64 {
	z := w[0]
	for j, v := range x {
		z += w[j+1] * v
	}
	return z
}

func classOf(l byte) int {
	switch l {
	case 'W':
		return 0
	case 'A':
		return 1
	}
	return 2
}

// uars returns two-way and three-way UAR of predicted classes (0 angry, 1 anxious, 2 calm).
func uars(ds diagSet, idx []int, pred []int) (float64, float64, [3][3]int) {
	var conf [3][3]int
	for k, i := range idx {
		conf[classOf(ds.label[i])][pred[k]]++
	}
	r := func(row [3]int, cols ...int) float64 {
		n, h := 0, 0
		for j, v := range row {
			n += v
			if slices.Contains(cols, j) {
				h += v
			}
		}
		return float64(h) / float64(max(1, n))
	}
	u3 := (r(conf[0], 0) + r(conf[1], 1) + r(conf[2], 2)) / 3
	ag := float64(conf[0][0]+conf[0][1]+conf[1][0]+conf[1][1]) / float64(max(1, conf[0][0]+conf[0][1]+conf[0][2]+conf[1][0]+conf[1][1]+conf[1][2]))
	u2 := (ag + r(conf[2], 2)) / 2
	return u2, u3, conf
}

// losoTwoStage: leave one speaker out with fixed lambdas; returns predictions for all rows.
func losoTwoStage(ds diagSet, rows []int, lamA, lamG float64) []int {
	pred := make([]int, len(rows))
	spk := map[string]bool{}
	for _, i := range rows {
		spk[ds.speaker[i]] = true
	}
	for s := range spk {
		var tr []int
		for _, i := range rows {
			if ds.speaker[i] != s {
				tr = append(tr, i)
			}
		}
		wa, wg := twoStage(ds, tr, lamA, lamG)
		for k, i := range rows {
			if ds.speaker[i] == s {
				pred[k] = 2
				if dot1(wa, ds.x[i]) >= 0 {
					pred[k] = 1
					if dot1(wg, ds.x[i]) >= 0 {
						pred[k] = 0
					}
				}
			}
		}
	}
	return pred
}

func allRows(ds diagSet) []int {
	r := make([]int, len(ds.x))
	for i := range r {
		r[i] = i
	}
	return r
}

func TestDiagEmotion(t *testing.T) {
	base, clips := diagLoad(t)
	cur := []string{"pitch", "range", "move", "loud", "spread", "tilt", "rate", "voicedshare", "ap", "attack", "crest", "vrun"}
	all := []string{"pitch", "pitchz", "pitchmean", "p90", "p10", "range", "rangeratio", "f0sd", "move", "jitter", "shimmer",
		"loud", "loudz", "spread", "dbrange", "crest", "tilt", "tiltloud", "tiltz", "tiltabs", "rate", "voicedshare", "ap",
		"apmed", "attack", "attackp90", "decay", "vrun", "pause", "f0slope", "hf", "hfabs", "hfloud"}
	// class means per feature (angry, anxious, calm), and a per-speaker anger-minus-anxiety difference
	ds := diagBuild(base, clips, all)
	fmt.Printf("%-12s %7s %7s %7s  %6s  per-speaker W-A\n", "feature", "angry", "anxious", "calm", "dW-A/sd")
	for j, n := range all {
		var s, c [3]float64
		var v []float64
		for i := range ds.x {
			k := classOf(ds.label[i])
			s[k] += ds.x[i][j]
			c[k]++
			v = append(v, ds.x[i][j])
		}
		var ps []string
		for _, sp := range []string{"03", "08", "09", "10", "11"} {
			var a, b, na, nb float64
			for i := range ds.x {
				if ds.speaker[i] != sp {
					continue
				}
				if ds.label[i] == 'W' {
					a += ds.x[i][j]
					na++
				} else if ds.label[i] == 'A' {
					b += ds.x[i][j]
					nb++
				}
			}
			ps = append(ps, fmt.Sprintf("%6.2f", a/na-b/nb))
		}
		mu, sd := 0.0, 0.0
		for _, x := range v {
			mu += x / float64(len(v))
		}
		for _, x := range v {
			sd += (x - mu) * (x - mu) / float64(len(v))
		}
		fmt.Printf("%-12s %7.2f %7.2f %7.2f  %6.2f  %s\n", n, s[0]/c[0], s[1]/c[1], s[2]/c[2], (s[0]/c[0]-s[1]/c[1])/math.Sqrt(sd), strings.Join(ps, " "))
	}
	for _, set := range []struct {
		name  string
		names []string
	}{{"current 12", cur}, {"all", all}} {
		d := diagBuild(base, clips, set.names)
		for _, lam := range []float64{0.05, 0.2, 1, 3} {
			p := losoTwoStage(d, allRows(d), lam, lam)
			u2, u3, conf := uars(d, allRows(d), p)
			fmt.Printf("%-12s lam %.2f: two-way %.1f three-way %.1f %v\n", set.name, lam, 100*u2, 100*u3, conf)
		}
	}
}

// irls fits a weighted L2-regularised logistic regression on standardised columns (bias x[0]=1 not penalised) by
// Newton's method, and returns the weights for the raw columns.
func irls(x0 [][]float64, y, sw []float64, lambda float64) []float64 {
	n := len(x0[0])
	mu, sd := make([]float64, n), make([]float64, n)
	sd[0] = 1
	tot := 0.0
	for _, s := range sw {
		tot += s
	}
	for j := 1; j < n; j++ {
		for i, xi := range x0 {
			mu[j] += sw[i] * xi[j] / tot
		}
		for i, xi := range x0 {
			sd[j] += sw[i] * (xi[j] - mu[j]) * (xi[j] - mu[j]) / tot
		}
		sd[j] = math.Sqrt(sd[j]) + 1e-6
	}
	x := make([][]float64, len(x0))
	for i, xi := range x0 {
		x[i] = make([]float64, n)
		x[i][0] = 1
		for j := 1; j < n; j++ {
			x[i][j] = (xi[j] - mu[j]) / sd[j]
		}
	}
	// normalise sample weights to sum 1 (so lambda means the same for any n)
	w := make([]float64, n)
	h := make([][]float64, n)
	for j := range h {
		h[j] = make([]float64, n)
	}
	g := make([]float64, n)
	for it := 0; it < 30; it++ {
		for j := range g {
			g[j] = 0
			for k := range h[j] {
				h[j][k] = 0
			}
		}
		for i, xi := range x {
			z := 0.0
			for j := range w {
				z += w[j] * xi[j]
			}
			p := 1 / (1 + math.Exp(-z))
			s := sw[i] / tot
			r := s * (p - y[i])
			v := s * p * (1 - p)
			for j := range w {
				g[j] += r * xi[j]
				for k := range w {
					h[j][k] += v * xi[j] * xi[k]
				}
			}
		}
		for j := 1; j < n; j++ {
			g[j] += lambda * w[j]
			h[j][j] += lambda
		}
		h[0][0] += 1e-9
		step := solve(h, g)
		mx := 0.0
		for j := range w {
			w[j] -= step[j]
			mx = math.Max(mx, math.Abs(step[j]))
		}
		if mx < 1e-7 {
			break
		}
	}
	out := make([]float64, n)
	out[0] = w[0]
	for j := 1; j < n; j++ {
		out[j] = w[j] / sd[j]
		out[0] -= w[j] * mu[j] / sd[j]
	}
	return out
}

// solve a symmetric positive definite system by Gaussian elimination (copies its inputs).
func solve(a0 [][]float64, b0 []float64) []float64 {
	n := len(b0)
	a := make([][]float64, n)
	for i := range a {
		a[i] = append(append([]float64{}, a0[i]...), b0[i])
	}
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k <= n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := a[r][n]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x
}

// stage data: rows, targets and balanced weights for the arousal (stage 0) or anger (stage 1) model.
func stageData(ds diagSet, rows []int, stage int, cols []int) (x [][]float64, y, sw []float64, kept []int) {
	n := map[float64]float64{}
	for _, i := range rows {
		l := ds.label[i]
		agit := l == 'W' || l == 'A'
		if stage == 1 && !agit {
			continue
		}
		t := b2f(agit)
		if stage == 1 {
			t = b2f(l == 'W')
		}
		xi := []float64{1}
		for _, c := range cols {
			xi = append(xi, ds.x[i][c])
		}
		x = append(x, xi)
		y = append(y, t)
		n[t]++
		kept = append(kept, i)
	}
	for _, t := range y {
		sw = append(sw, 0.5/n[t])
	}
	return
}

// cvLoss: leave-one-speaker-out balanced log-loss of one stage over rows, with columns cols.
func cvLoss(ds diagSet, rows []int, stage int, cols []int, lambda float64) float64 {
	spk := map[string]bool{}
	for _, i := range rows {
		spk[ds.speaker[i]] = true
	}
	loss, tot := 0.0, 0.0
	for s := range spk {
		var tr, te []int
		for _, i := range rows {
			if ds.speaker[i] == s {
				te = append(te, i)
			} else {
				tr = append(tr, i)
			}
		}
		x, y, sw, _ := stageData(ds, tr, stage, cols)
		if len(y) < 4 {
			continue
		}
		w := irls(x, y, sw, lambda)
		xt, yt, swt, _ := stageData(ds, te, stage, cols)
		_ = swt
		// balanced over the pooled test set: weight by the global class counts
		for k := range xt {
			p := 1 / (1 + math.Exp(-dot1(w, xt[k][1:])))
			p = math.Max(1e-4, math.Min(1-1e-4, p))
			l := -math.Log(p)
			if yt[k] == 0 {
				l = -math.Log(1 - p)
			}
			loss += l * classWeight(ds, rows, stage, yt[k])
			tot += classWeight(ds, rows, stage, yt[k])
		}
	}
	return loss / tot
}

func classWeight(ds diagSet, rows []int, stage int, t float64) float64 {
	_, y, _, _ := stageData(ds, rows, stage, nil)
	n := 0.0
	for _, v := range y {
		if v == t {
			n++
		}
	}
	return 1 / n
}

// forward selects columns greedily by inner LOSO loss.
func forward(ds diagSet, rows []int, stage int, lambda float64, maxF int) []int {
	var sel []int
	best := cvLoss(ds, rows, stage, sel, lambda)
	for len(sel) < maxF {
		bj, bl := -1, best
		for j := range ds.names {
			if slices.Contains(sel, j) {
				continue
			}
			l := cvLoss(ds, rows, stage, append(slices.Clone(sel), j), lambda)
			if l < bl-0.003 {
				bj, bl = j, l
			}
		}
		if bj < 0 {
			break
		}
		sel, best = append(sel, bj), bl
	}
	return sel
}

func namesOf(ds diagSet, cols []int) string {
	var s []string
	for _, c := range cols {
		s = append(s, ds.names[c])
	}
	return strings.Join(s, ",")
}

// predict with two stages on column subsets.
func predict2(ds diagSet, tr []int, i int, ca, cg []int, la, lg float64) int {
	x, y, sw, _ := stageData(ds, tr, 0, ca)
	wa := irls(x, y, sw, la)
	x, y, sw, _ = stageData(ds, tr, 1, cg)
	wg := irls(x, y, sw, lg)
	return pred2(ds, i, ca, cg, wa, wg)
}

func pred2(ds diagSet, i int, ca, cg []int, wa, wg []float64) int {
	pick := func(cols []int) []float64 {
		var v []float64
		for _, c := range cols {
			v = append(v, ds.x[i][c])
		}
		return v
	}
	if dot1(wa, pick(ca)) < 0 {
		return 2
	}
	if dot1(wg, pick(cg)) < 0 {
		return 1
	}
	return 0
}

func TestDiagSelect(t *testing.T) {
	base, clips := diagLoad(t)
	all := []string{"pitch", "pitchz", "pitchmean", "p90", "p10", "range", "rangeratio", "f0sd", "move", "jitter", "shimmer",
		"loud", "loudz", "spread", "dbrange", "crest", "tilt", "tiltloud", "tiltz", "tiltabs", "rate", "voicedshare", "ap",
		"apmed", "attack", "attackp90", "decay", "vrun", "pause", "f0slope"}
	ds := diagBuild(base, clips, all)
	rows := allRows(ds)
	allCols := make([]int, len(all))
	for i := range allCols {
		allCols[i] = i
	}
	// all features, IRLS, lambda grid, plain LOSO
	for _, lam := range []float64{0.003, 0.01, 0.03, 0.1, 0.3} {
		pred := make([]int, len(rows))
		for _, s := range []string{"03", "08", "09", "10", "11"} {
			var tr []int
			for _, i := range rows {
				if ds.speaker[i] != s {
					tr = append(tr, i)
				}
			}
			x, y, sw, _ := stageData(ds, tr, 0, allCols)
			wa := irls(x, y, sw, lam)
			x, y, sw, _ = stageData(ds, tr, 1, allCols)
			wg := irls(x, y, sw, lam)
			for _, i := range rows {
				if ds.speaker[i] == s {
					pred[i] = pred2(ds, i, allCols, allCols, wa, wg)
				}
			}
		}
		u2, u3, conf := uars(ds, rows, pred)
		fmt.Printf("all IRLS lam %.3f: two-way %.1f three-way %.1f %v\n", lam, 100*u2, 100*u3, conf)
	}
	// nested: forward selection inside each outer fold
	for _, lam := range []float64{0.01, 0.03, 0.1} {
		pred := make([]int, len(rows))
		for _, s := range []string{"03", "08", "09", "10", "11"} {
			var tr []int
			for _, i := range rows {
				if ds.speaker[i] != s {
					tr = append(tr, i)
				}
			}
			ca := forward(ds, tr, 0, lam, 8)
			cg := forward(ds, tr, 1, lam, 8)
			fmt.Printf("  fold %s: arousal %s | anger %s\n", s, namesOf(ds, ca), namesOf(ds, cg))
			for _, i := range rows {
				if ds.speaker[i] == s {
					pred[i] = predict2(ds, tr, i, ca, cg, lam, lam)
				}
			}
		}
		u2, u3, conf := uars(ds, rows, pred)
		fmt.Printf("nested forward lam %.3f: two-way %.1f three-way %.1f %v\n", lam, 100*u2, 100*u3, conf)
		ca := forward(ds, rows, 0, lam, 8)
		cg := forward(ds, rows, 1, lam, 8)
		fmt.Printf("  all data: arousal %s | anger %s\n", namesOf(ds, ca), namesOf(ds, cg))
	}
}

func diagLOSO(ds diagSet, lam float64) ([]int, float64, float64, [3][3]int) {
	rows := allRows(ds)
	cols := make([]int, len(ds.names))
	for i := range cols {
		cols[i] = i
	}
	pred := make([]int, len(rows))
	for _, s := range []string{"03", "08", "09", "10", "11"} {
		var tr []int
		for _, i := range rows {
			if ds.speaker[i] != s {
				tr = append(tr, i)
			}
		}
		x, y, sw, _ := stageData(ds, tr, 0, cols)
		wa := irls(x, y, sw, lam)
		x, y, sw, _ = stageData(ds, tr, 1, cols)
		wg := irls(x, y, sw, lam)
		for _, i := range rows {
			if ds.speaker[i] == s {
				pred[i] = pred2(ds, i, cols, cols, wa, wg)
			}
		}
	}
	u2, u3, conf := uars(ds, rows, pred)
	return pred, u2, u3, conf
}

func TestDiagSets(t *testing.T) {
	base, clips := diagLoad(t)
	cur := []string{"pitch", "range", "move", "loud", "spread", "tilt", "rate", "voicedshare", "ap", "attack", "crest", "vrun"}
	s1 := append(slices.Clone(cur), "tiltabs", "tiltloud", "jitter", "shimmer", "decay")
	s1 = append(s1, "hfabs")
	sets := map[string][]string{"B": s1}
	for _, f := range []string{"hfloud", "hf", "f0slope", "pause", "attackp90", "p10", "p90", "dbrange", "pitchz", "tiltz", "apmed", "f0sd", "rangeratio"} {
		sets["B+"+f] = append(slices.Clone(s1), f)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range sets {
			if !yield(k) {
				return
			}
		}
	})
	for _, k := range keys {
		ds := diagBuild(base, clips, sets[k])
		for _, lam := range []float64{0.01, 0.05} {
			_, u2, u3, conf := diagLOSO(ds, lam)
			fmt.Printf("%-38s lam %.3f: two-way %.1f three-way %.1f %v\n", k, lam, 100*u2, 100*u3, conf)
		}
	}
}

// liveVerdicts runs cached frames through the Estimator (as Analyze does) and returns class indices.
func liveVerdicts(cfg Config, base map[string][]FrameResult, clips []diagClip, idx []int) []int {
	out := make([]int, len(idx))
	for k, i := range idx {
		c := clips[i]
		est, err := NewEstimator(cfg)
		if err != nil {
			panic(err)
		}
		est.SetBaseline(ProfileOf(base[c.Speaker]))
		for _, fr := range c.Frames {
			est.Add(fr)
		}
		out[k] = classOf(map[string]byte{"angry": 'W', "anxious": 'A', "calm": 'N'}[stateClass(est.Summary().State)])
	}
	return out
}

// windowSamples: the deviations the live estimator would see on a clip at each update (window-weighted so each clip
// counts once); whole=true gives the single whole-clip deviation.
func windowSamples(cfg Config, bp Profile, frames []FrameResult, whole bool) []Deviation {
	if whole {
		return []Deviation{Deviate(ProfileOf(frames), bp)}
	}
	win := int(cfg.Window.Seconds()/HopSeconds + 0.5)
	every := int(cfg.UpdateInterval.Seconds()/HopSeconds + 0.5)
	minV := int(cfg.MinVoiced.Seconds()/HopSeconds + 0.5)
	var out []Deviation
	for e := every; e <= len(frames); e += every {
		w := frames[max(0, e-win):e]
		p := ProfileOf(w)
		if p.Voiced >= minV {
			out = append(out, Deviate(p, bp))
		}
	}
	return out
}

func fitOn(cfg Config, base map[string][]FrameResult, clips []diagClip, tr []int, whole bool, lam float64) Model {
	var xa, xg [][]float64
	var ya, yg, sa, sg []float64
	n := map[byte]float64{}
	for _, i := range tr {
		n[clips[i].Label]++
	}
	calm := n['N'] + n['L'] + n['T']
	for _, i := range tr {
		c := clips[i]
		devs := windowSamples(cfg, ProfileOf(base[c.Speaker]), c.Frames, whole)
		for _, d := range devs {
			x := append([]float64{1}, d[:]...)
			per := 1 / float64(len(devs))
			agit := c.Label == 'W' || c.Label == 'A'
			xa = append(xa, x)
			ya = append(ya, b2f(agit))
			if agit && balanceAgit {
				sa = append(sa, per*0.25/n[c.Label])
				xg = append(xg, x)
				yg = append(yg, b2f(c.Label == 'W'))
				sg = append(sg, per*0.5/n[c.Label])
			} else if agit {
				sa = append(sa, per*0.5/(n['W']+n['A']))
				xg = append(xg, maskAnger(x))
				yg = append(yg, b2f(c.Label == 'W'))
				sg = append(sg, per*0.5/n[c.Label])
			} else {
				sa = append(sa, per*0.5/calm)
			}
		}
	}
	return Model{Arousal: irls(xa, ya, sa, lam), Anger: irls(xg, yg, sg, lam)}
}

var balanceAgit = false

// angerMask: when not nil, the anger model sees only these Deviation indices.
var angerMask []int

func maskAnger(x []float64) []float64 {
	if angerMask == nil {
		return x
	}
	y := make([]float64, len(x))
	y[0] = x[0]
	for _, j := range angerMask {
		y[j+1] = x[j+1]
	}
	return y
}

func TestDiagLive(t *testing.T) {
	base, clips := diagLoad(t)
	type variant struct {
		name  string
		whole bool
		mod   func(*Config)
		afa   float64
		rv    float64
		sm    bool
	}
	vs := []variant{
		{"whole-clip fit (as shipped)", true, nil, 0, 0, false},
		{"window fit", false, nil, 0, 0, false},
		{"whole-clip fit, W and A weigh the same in arousal", true, nil, 0, 0, true},
		{"whole-clip fit, switch 1", true, func(c *Config) { c.SwitchUpdates = 1 }, 0, 0, false},
		{"whole-clip fit, enter .5/.4", true, func(c *Config) { c.AgitatedEnter, c.AgitatedLeave = 0.5, 0.4 }, 0, 0, false},
	}
	if v := os.Getenv("DIAG_ONLY"); v != "" {
		var keep []variant
		for _, x := range vs {
			if strings.Contains(x.name, v) {
				keep = append(keep, x)
			}
		}
		vs = keep
	}
	all := make([]int, len(clips))
	for i := range all {
		all[i] = i
	}
	var ds diagSet
	for _, c := range clips {
		ds.label = append(ds.label, c.Label)
		ds.speaker = append(ds.speaker, c.Speaker)
	}
	for _, v := range vs {
		cfg := DefaultConfig()
		balanceAgit = v.sm
		if v.mod != nil {
			v.mod(&cfg)
		}
		pred := make([]int, len(clips))
		for _, s := range []string{"03", "08", "09", "10", "11"} {
			var tr, te []int
			for i, c := range clips {
				if c.Speaker == s {
					te = append(te, i)
				} else {
					tr = append(tr, i)
				}
			}
			c := cfg
			c.Model = fitOn(cfg, base, clips, tr, v.whole, modelLambda)
			for k, p := range liveVerdicts(c, base, clips, te) {
				pred[te[k]] = p
			}
		}
		u2, u3, conf := uars(ds, all, pred)
		c := cfg
		c.Model = fitOn(cfg, base, clips, all, v.whole, modelLambda)
		s2, s3, sconf := uars(ds, all, liveVerdicts(c, base, clips, all))
		fmt.Printf("%-32s LOSO two %.1f three %.1f %v | shipped two %.1f three %.1f %v\n", v.name, 100*u2, 100*u3, conf, 100*s2, 100*s3, sconf)
	}
}

func TestDiagTrace(t *testing.T) {
	base, clips := diagLoad(t)
	for _, s := range []string{"03", "08", "09", "10", "11"} {
		var tr []int
		for i, c := range clips {
			if c.Speaker != s {
				tr = append(tr, i)
			}
		}
		cfg := DefaultConfig()
		cfg.Model = fitOn(cfg, base, clips, tr, true, modelLambda)
		for _, c := range clips {
			if c.Speaker != s {
				continue
			}
			bp := ProfileOf(base[c.Speaker])
			d := Deviate(ProfileOf(c.Frames), bp)
			direct := 2
			if logistic(cfg.Model.Arousal, d) >= 0.5 {
				direct = 1
				if logistic(cfg.Model.Anger, d) >= 0.5 {
					direct = 0
				}
			}
			est, _ := NewEstimator(cfg)
			est.SetBaseline(bp)
			var tl []string
			for _, fr := range c.Frames {
				if est.Add(fr) {
					tl = append(tl, fmt.Sprintf("%.2f:%s a%.2f g%.2f v%d", fr.T, est.state[:2], est.arousal, est.pAngry, func() int { p := ProfileOf(est.lin); return p.Voiced }()))
				}
			}
			live := classOf(map[string]byte{"angry": 'W', "anxious": 'A', "calm": 'N'}[stateClass(est.Summary().State)])
			if (live != direct || live != classOf(c.Label)) && (os.Getenv("DIAG_CLASS") == "" || os.Getenv("DIAG_CLASS") == string(c.Label)) {
				fmt.Printf("%s truth %d direct %d live %d | %s\n", c.Name, classOf(c.Label), direct, live, strings.Join(tl, " | "))
			}
		}
	}
}

// TestDiagNested picks the L2 penalty by an inner leave-one-speaker-out inside each outer fold (direct whole-clip
// predictions, three-way UAR), so the outer figure does not peek at the scored speaker.
func TestDiagNested(t *testing.T) {
	base, clips := diagLoad(t)
	cfg := DefaultConfig()
	var ds diagSet
	for _, c := range clips {
		ds.label = append(ds.label, c.Label)
		ds.speaker = append(ds.speaker, c.Speaker)
	}
	devs := make([]Deviation, len(clips))
	for i, c := range clips {
		devs[i] = Deviate(ProfileOf(c.Frames), ProfileOf(base[c.Speaker]))
	}
	direct := func(m Model, i int) int {
		if logistic(m.Arousal, devs[i]) < 0.5 {
			return 2
		}
		if logistic(m.Anger, devs[i]) < 0.5 {
			return 1
		}
		return 0
	}
	speakers := []string{"03", "08", "09", "10", "11"}
	grid := []float64{0.003, 0.01, 0.03, 0.1, 0.3}
	score := func(rows []int, lam float64) float64 {
		pred := make([]int, len(rows))
		for _, s := range speakers {
			var tr []int
			for _, i := range rows {
				if clips[i].Speaker != s {
					tr = append(tr, i)
				}
			}
			if len(tr) == len(rows) {
				continue
			}
			m := fitOn(cfg, base, clips, tr, true, lam)
			for k, i := range rows {
				if clips[i].Speaker == s {
					pred[k] = direct(m, i)
				}
			}
		}
		u2, u3, _ := uars(ds, rows, pred)
		return u2 + u3
	}
	all := make([]int, len(clips))
	for i := range all {
		all[i] = i
	}
	pred := make([]int, len(clips))
	for _, s := range speakers {
		var tr, te []int
		for i, c := range clips {
			if c.Speaker == s {
				te = append(te, i)
			} else {
				tr = append(tr, i)
			}
		}
		best, bl := -1.0, 0.0
		var line []string
		for _, lam := range grid {
			sc := score(tr, lam)
			line = append(line, fmt.Sprintf("%.3f:%.3f", lam, sc/2))
			if sc > best+1e-9 {
				best, bl = sc, lam
			}
		}
		fmt.Printf("fold %s: inner (mean of two- and three-way UAR) %s -> lambda %.3f\n", s, strings.Join(line, " "), bl)
		m := fitOn(cfg, base, clips, tr, true, bl)
		for _, i := range te {
			pred[i] = direct(m, i)
		}
	}
	u2, u3, conf := uars(ds, all, pred)
	fmt.Printf("nested LOSO (direct whole-clip): two-way %.1f three-way %.1f %v\n", 100*u2, 100*u3, conf)
	for _, lam := range grid {
		fmt.Printf("plain LOSO lambda %.3f: %.3f\n", lam, score(all, lam)/2)
	}
}

// TestDiagPitchErrors breaks the gross pitch errors on the originals down by ratio (halving, doubling, other).
func TestDiagPitchErrors(t *testing.T) {
	dir := testenv.SharedAudio(t, "pitch")
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	cfg := DefaultConfig()
	for _, line := range []bool{false, true} {
		var half, dbl, other, low, n int
		for _, f := range files {
			ref := readF0Ref(t, f[:len(f)-4]+".f0ref")
			frames := analyseAll(cfg, lineAudio(t, f, line))
			for i, r := range ref {
				k := int((float64(i)*0.015+0.006)/HopSeconds+0.5) - 1
				if k < 0 || k >= len(frames) || r == 0 || !frames[k].Voiced {
					continue
				}
				n++
				q := frames[k].F0 / r
				switch {
				case q > 0.8 && q < 1.2:
				case q > 0.4 && q < 0.6:
					half++
				case q > 1.8 && q < 2.2:
					dbl++
				default:
					other++
					if r < 120 {
						low++
					}
				}
			}
		}
		fmt.Printf("line %v: %d both voiced, halving %d, doubling %d, other %d (ref < 120 Hz: %d)\n", line, n, half, dbl, other, low)
	}
}

// TestDiagPitchSweep tries a few values of the octave-down share on both conditions.
func TestDiagPitchSweep(t *testing.T) {
	dir := testenv.SharedAudio(t, "pitch")
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	cfg := DefaultConfig()
	defer func(a, b float64, c, d, e, g float32) {
		octaveDown, octaveUp, octaveBias, stickiness, maxDip, wideBias = a, b, c, d, e, g
	}(octaveDown, octaveUp, octaveBias, stickiness, maxDip, wideBias)
	type setting struct {
		name string
		set  func()
	}
	var ss []setting
	for _, wb := range []float32{0, 0.1} {
		for _, od := range []float64{0.6, 0.5} {
			ss = append(ss, setting{fmt.Sprintf("wideBias %.2f octaveDown %.1f", wb, od), func() { wideBias, octaveDown = wb, od }})
		}
	}
	for _, x := range ss {
		x.set()
		var line []string
		for _, ln := range []bool{true, false} {
			var s pitchScore
			var half int
			for _, f := range files {
				ref := readF0Ref(t, f[:len(f)-4]+".f0ref")
				frames := analyseAll(cfg, lineAudio(t, f, ln))
				s.add(scorePitch(frames, ref, 0.006))
				for i, r := range ref {
					k := int((float64(i)*0.015+0.006)/HopSeconds+0.5) - 1
					if k >= 0 && k < len(frames) && r > 0 && frames[k].Voiced && frames[k].F0/r < 0.6 {
						half++
					}
				}
			}
			line = append(line, fmt.Sprintf("line %v GPE %.2f VDE %.2f (halving %d)", ln, s.GPE(), s.VDE(), half))
		}
		fmt.Printf("%s: %s\n", x.name, strings.Join(line, " | "))
	}
}

func TestDiagLowShare(t *testing.T) {
	dir := testenv.SharedAudio(t, "pitch")
	files, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	cfg := DefaultConfig()
	for _, ln := range []bool{true, false} {
		var v []float64
		for _, f := range files {
			an := NewAnalyzer(cfg)
			x := lineAudio(t, f, ln)
			for i := 0; i < len(x); i += FrameSamples {
				an.ProcessFloat(x[i:min(i+FrameSamples, len(x))])
			}
			v = append(v, an.lowShare)
		}
		slices.Sort(v)
		fmt.Printf("line %v: low share min %.3f p10 %.3f median %.3f p90 %.3f max %.3f\n", ln, v[0], quantile(v, 0.1), quantile(v, 0.5), quantile(v, 0.9), v[len(v)-1])
	}
}

// TestDiagNestedLive chooses the L2 penalty by an inner leave-one-speaker-out through the live estimator inside
// each outer fold, so the outer figure does not peek at the scored speaker for that choice.
func TestDiagNestedLive(t *testing.T) {
	base, clips := diagLoad(t)
	cfg := DefaultConfig()
	var ds diagSet
	all := make([]int, len(clips))
	for i, c := range clips {
		ds.label = append(ds.label, c.Label)
		ds.speaker = append(ds.speaker, c.Speaker)
		all[i] = i
	}
	speakers := []string{"03", "08", "09", "10", "11"}
	grid := []float64{0.003, 0.01, 0.03, 0.05, 0.1, 0.3}
	live := func(rows []int, lam float64) []int {
		pred := make([]int, len(rows))
		for _, s := range speakers {
			var tr, te, at []int
			for k, i := range rows {
				if clips[i].Speaker == s {
					te = append(te, i)
					at = append(at, k)
				} else {
					tr = append(tr, i)
				}
			}
			if len(te) == 0 {
				continue
			}
			c := cfg
			c.Model = fitOn(cfg, base, clips, tr, true, lam)
			for j, p := range liveVerdicts(c, base, clips, te) {
				pred[at[j]] = p
			}
		}
		return pred
	}
	pred := make([]int, len(clips))
	for _, s := range speakers {
		var tr, te []int
		for i, c := range clips {
			if c.Speaker == s {
				te = append(te, i)
			} else {
				tr = append(tr, i)
			}
		}
		best, bl := -1.0, 0.0
		var line []string
		for _, lam := range grid {
			u2, u3, _ := uars(ds, tr, live(tr, lam))
			line = append(line, fmt.Sprintf("%.3f:%.3f", lam, (u2+u3)/2))
			if (u2+u3)/2 > best+1e-9 {
				best, bl = (u2+u3)/2, lam
			}
		}
		fmt.Printf("fold %s: inner %s -> lambda %.3f\n", s, strings.Join(line, " "), bl)
		c := cfg
		c.Model = fitOn(cfg, base, clips, tr, true, bl)
		for j, p := range liveVerdicts(c, base, clips, te) {
			pred[te[j]] = p
		}
	}
	u2, u3, conf := uars(ds, all, pred)
	fmt.Printf("nested LOSO through the live estimator: two-way %.1f three-way %.1f %v\n", 100*u2, 100*u3, conf)
}

func TestDiagAngerSubset(t *testing.T) {
	base, clips := diagLoad(t)
	defer func() { angerMask = nil }()
	var ds diagSet
	all := make([]int, len(clips))
	for i, c := range clips {
		ds.label = append(ds.label, c.Label)
		ds.speaker = append(ds.speaker, c.Speaker)
		all[i] = i
	}
	cfg := DefaultConfig()
	for _, m := range []struct {
		name string
		idx  []int
	}{
		{"all", nil},
		{"tiltloud", []int{devTiltLoud}},
		{"tiltloud,tilt", []int{devTiltLoud, devTilt}},
		{"tiltloud,tilt,tiltabs,hfabs", []int{devTiltLoud, devTilt, devTiltAbs, devHFAbs}},
		{"effort+pitch+attack", []int{devTiltLoud, devTilt, devTiltAbs, devHFAbs, devPitch, devAttack}},
		{"effort+pitch+attack+voiced+spread", []int{devTiltLoud, devTilt, devTiltAbs, devHFAbs, devPitch, devAttack, devVoiced, devSpread}},
	} {
		angerMask = m.idx
		for _, lam := range []float64{0.05} {
			pred := make([]int, len(clips))
			for _, s := range []string{"03", "08", "09", "10", "11"} {
				var tr, te []int
				for i, c := range clips {
					if c.Speaker == s {
						te = append(te, i)
					} else {
						tr = append(tr, i)
					}
				}
				c := cfg
				c.Model = fitOn(cfg, base, clips, tr, true, lam)
				for k, p := range liveVerdicts(c, base, clips, te) {
					pred[te[k]] = p
				}
			}
			u2, u3, conf := uars(ds, all, pred)
			fmt.Printf("anger on %-36s lam %.2f: live LOSO two %.1f three %.1f %v\n", m.name, lam, 100*u2, 100*u3, conf)
		}
	}
}

package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// The charts are drawn here as inline SVG. Every drawn data mark has class "datum" and its value in data-value,
// so tests (and curious readers of the source) can count them.

// Colours: outcomes keep the same colour on every chart.
const (
	colBot       = "#2e7d32"
	colTransfer  = "#1565c0"
	colAbandoned = "#ef6c00"
	colFailed    = "#c62828"
	colMuted     = "#90a4ae"
	colAccent    = "#6a1b9a"
)

type bar struct {
	Label string
	Value float64
	Color string
	Note  string // shown after the bar; the value when empty
}

// hbars draws labelled horizontal bars scaled to the largest value (or to max when > 0).
func hbars(id, title string, bars []bar, max float64) template.HTML {
	const w, labelW, rowH, pad = 560, 170, 26, 8
	h := pad*2 + rowH*len(bars)
	if len(bars) == 0 {
		return empty(id, title)
	}
	if max <= 0 {
		for _, b := range bars {
			max = math.Max(max, b.Value)
		}
	}
	var sb strings.Builder
	open(&sb, id, title, w, h)
	plotW := float64(w - labelW - 110)
	for i, b := range bars {
		y := pad + i*rowH
		bw := 0.0
		if max > 0 {
			bw = b.Value / max * plotW
		}
		note := b.Note
		if note == "" {
			note = trimNum(b.Value)
		}
		fmt.Fprintf(&sb, `<text x="%d" y="%d" class="lbl" text-anchor="end">%s</text>`, labelW-8, y+17, esc(b.Label))
		fmt.Fprintf(&sb, `<rect class="datum" data-value="%s" x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>`,
			trimNum(b.Value), labelW, y+4, bw, rowH-8, b.Color, esc(b.Label), esc(note))
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" class="val">%s</text>`, float64(labelW)+bw+6, y+17, esc(note))
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

type series struct {
	Name   string
	Color  string
	Values []float64
}

// vbars draws stacked vertical bars, one per category; labels every labelEvery categories. highlight, when set,
// draws the bars of the categories it marks in colAccent-red instead of their series colour.
func vbars(id, title string, cats []string, ss []series, labelEvery int, highlight func(i int) bool, w, h int) template.HTML {
	if len(cats) == 0 {
		return empty(id, title)
	}
	const left, bottom, top = 40, 34, 10
	maxV := 0.0
	for i := range cats {
		sum := 0.0
		for _, s := range ss {
			sum += s.Values[i]
		}
		maxV = math.Max(maxV, sum)
	}
	maxV = niceCeil(maxV)
	var sb strings.Builder
	open(&sb, id, title, w, h)
	plotH := float64(h - bottom - top)
	plotW := float64(w - left - 10)
	step := plotW / float64(len(cats))
	bw := math.Max(1, step*0.8)
	if step < 4 {
		bw = math.Max(1, step)
	}
	// Grid and axis labels.
	nt := ticks(maxV)
	for k := 0; k <= nt; k++ {
		v := maxV * float64(k) / float64(nt)
		y := float64(top) + plotH - v/maxV*plotH
		fmt.Fprintf(&sb, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>`, left, w-10, y, y)
		fmt.Fprintf(&sb, `<text x="%d" y="%.1f" class="ax" text-anchor="end">%s</text>`, left-4, y+4, trimNum(v))
	}
	for i, c := range cats {
		x := float64(left) + float64(i)*step + (step-bw)/2
		y := float64(top) + plotH
		for _, s := range ss {
			v := s.Values[i]
			if v <= 0 {
				continue
			}
			bh := v / maxV * plotH
			y -= bh
			col := s.Color
			if highlight != nil && highlight(i) {
				col = colFailed
			}
			fmt.Fprintf(&sb, `<rect class="datum" data-value="%s" x="%.2f" y="%.2f" width="%.2f" height="%.2f" fill="%s"><title>%s %s: %s</title></rect>`,
				trimNum(v), x, y, bw, bh, col, esc(c), esc(s.Name), trimNum(v))
		}
		if labelEvery > 0 && i%labelEvery == 0 {
			fmt.Fprintf(&sb, `<text x="%.1f" y="%d" class="ax" text-anchor="middle">%s</text>`, x+bw/2, h-bottom+16, esc(c))
		}
	}
	if len(ss) > 1 {
		lx := left
		for _, s := range ss {
			fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="ax">%s</text>`,
				lx, h-12, s.Color, lx+14, h-3, esc(s.Name))
			lx += 16 + 8*len(s.Name) + 12
		}
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// grouped draws side-by-side bars per category, one per series (emotion at start against end).
func grouped(id, title string, cats []string, ss []series, w, h int) template.HTML {
	const left, bottom, top = 40, 40, 10
	maxV := 0.0
	for _, s := range ss {
		for _, v := range s.Values {
			maxV = math.Max(maxV, v)
		}
	}
	if maxV == 0 {
		return empty(id, title)
	}
	maxV = niceCeil(maxV)
	var sb strings.Builder
	open(&sb, id, title, w, h)
	plotH := float64(h - bottom - top)
	step := float64(w-left-10) / float64(len(cats))
	bw := step * 0.8 / float64(len(ss))
	nt := ticks(maxV)
	for k := 0; k <= nt; k++ {
		v := maxV * float64(k) / float64(nt)
		y := float64(top) + plotH - v/maxV*plotH
		fmt.Fprintf(&sb, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>`, left, w-10, y, y)
		fmt.Fprintf(&sb, `<text x="%d" y="%.1f" class="ax" text-anchor="end">%s</text>`, left-4, y+4, trimNum(v))
	}
	for i, c := range cats {
		x0 := float64(left) + float64(i)*step + step*0.1
		for j, s := range ss {
			v := s.Values[i]
			bh := v / maxV * plotH
			x := x0 + float64(j)*bw
			if v > 0 {
				fmt.Fprintf(&sb, `<rect class="datum" data-value="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`,
					trimNum(v), x, float64(top)+plotH-bh, bw-2, bh, s.Color, esc(c), esc(s.Name), trimNum(v))
				fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" class="ax" text-anchor="middle">%s</text>`, x+bw/2-1, float64(top)+plotH-bh-3, trimNum(v))
			}
		}
		fmt.Fprintf(&sb, `<text x="%.1f" y="%d" class="lbl" text-anchor="middle">%s</text>`, x0+step*0.4, h-bottom+16, esc(c))
	}
	lx := left
	for _, s := range ss {
		fmt.Fprintf(&sb, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="ax">%s</text>`,
			lx, h-12, s.Color, lx+14, h-3, esc(s.Name))
		lx += 16 + 8*len(s.Name) + 12
	}
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

func open(sb *strings.Builder, id, title string, w, h int) {
	fmt.Fprintf(sb, `<svg data-chart="%s" role="img" aria-label="%s" viewBox="0 0 %d %d" width="%d" height="%d" xmlns="http://www.w3.org/2000/svg">`,
		esc(id), esc(title), w, h, w, h)
}

func empty(id, title string) template.HTML {
	return template.HTML(fmt.Sprintf(`<svg data-chart="%s" data-empty="true" role="img" aria-label="%s" viewBox="0 0 560 40" width="560" height="40"><text x="10" y="25" class="ax">no data in this range</text></svg>`,
		esc(id), esc(title)))
}

func esc(s string) string { return html.EscapeString(s) }

func trimNum(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// ticks is the number of grid intervals that gives round tick values for a niceCeil maximum.
func ticks(maxV float64) int {
	m := maxV / math.Pow(10, math.Floor(math.Log10(maxV)))
	if math.Abs(m-5) < 1e-9 {
		return 5
	}
	return 4
}

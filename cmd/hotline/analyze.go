package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/prosody"
)

func init() {
	register("analyze", "offline prosody and emotion of a recording", runAnalyze)
}

// runAnalyze is `hotline analyze [-json] [-baseline WAV] [-plot OUT.png] WAV`.
func runAnalyze(args []string) int {
	fs := newFlagSet("analyze", "[-json] [-baseline WAV] [-plot OUT.png] WAV")
	var common commonFlags
	common.register(fs)
	asJSON := fs.Bool("json", false, "print one JSON object per 10 ms frame, then a summary line")
	baselinePath := fs.String("baseline", "", "a calm recording (`WAV`) of the same speaker that sets the baseline")
	plotPath := fs.String("plot", "", "draw pitch, loudness and arousal over time into `OUT.png`")
	if st := parseFlags(fs, args); st >= 0 {
		return st
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "hotline analyze: want exactly one WAV file")
		fs.Usage()
		return 2
	}
	conf, err := common.load()
	if err != nil {
		return fail("analyze", err)
	}
	cfg := conf.Prosody
	path := fs.Arg(0)

	samples, err := media.ReadWAV(path, prosody.SampleRate)
	if err != nil {
		return fail("analyze", fmt.Errorf("%s: %w", path, err))
	}
	var baseline *prosody.Profile
	if *baselinePath != "" {
		b, err := media.ReadWAV(*baselinePath, prosody.SampleRate)
		if err != nil {
			return fail("analyze", fmt.Errorf("baseline %s: %w", *baselinePath, err))
		}
		p := prosody.ProfileSamples(cfg, b)
		if p.Voiced == 0 {
			return fail("analyze", fmt.Errorf("baseline %s: no voiced speech in it", *baselinePath))
		}
		baseline = &p
	}

	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	defer out.Flush()
	var frames []prosody.FrameResult
	keep := *plotPath != "" || !*asJSON
	var line []byte
	each := func(fr prosody.FrameResult) {
		if keep {
			frames = append(frames, fr)
		}
		if *asJSON {
			line = appendFrameJSON(line[:0], fr)
			out.Write(line)
		}
	}
	progress := newProgress(os.Stderr, path, len(samples))
	summary, err := prosody.Analyze(cfg, samples, baseline, each, progress)
	progress(2) // clear the bar
	if err != nil {
		return fail("analyze", err)
	}
	if *asJSON {
		b, err := json.Marshal(summaryJSON(summary))
		if err != nil {
			return fail("analyze", err)
		}
		out.Write(append(b, '\n'))
	} else {
		printHumanSummary(out, path, len(samples), frames, summary, baseline != nil)
	}
	if err := out.Flush(); err != nil {
		return fail("analyze", fmt.Errorf("writing output: %w", err))
	}
	if *plotPath != "" {
		if err := drawProsodyPlot(*plotPath, path, frames, summary.Timeline); err != nil {
			return fail("analyze", fmt.Errorf("plot %s: %w", *plotPath, err))
		}
	}
	return 0
}

// appendFrameJSON writes {"t":0.010,"f0":123.4,"voiced":true,"db":-23.1} and a newline.
func appendFrameJSON(b []byte, fr prosody.FrameResult) []byte {
	b = append(b, `{"t":`...)
	b = strconv.AppendFloat(b, finite(fr.T, 0), 'f', 3, 64)
	b = append(b, `,"f0":`...)
	f0 := finite(fr.F0, 0)
	if !fr.Voiced {
		f0 = 0
	}
	b = strconv.AppendFloat(b, f0, 'f', 1, 64)
	b = append(b, `,"voiced":`...)
	b = strconv.AppendBool(b, fr.Voiced)
	b = append(b, `,"db":`...)
	b = strconv.AppendFloat(b, math.Max(-100, finite(fr.DB, -100)), 'f', 1, 64)
	return append(b, "}\n"...)
}

func finite(x, or float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return or
	}
	return x
}

type analyzeSummary struct {
	Summary  bool              `json:"summary"`
	State    prosody.State     `json:"state"`
	Level    int               `json:"level"`
	Arousal  float64           `json:"arousal"`
	Valence  float64           `json:"valence"`
	Baseline prosody.Baseline  `json:"baseline"`
	Triggers []prosody.Trigger `json:"triggers"`
}

func summaryJSON(s prosody.Summary) analyzeSummary {
	tr := s.Triggers
	if tr == nil {
		tr = []prosody.Trigger{}
	}
	return analyzeSummary{Summary: true, State: s.State, Level: s.Level, Arousal: finite(s.Arousal, 0),
		Valence: finite(s.Valence, 0), Baseline: s.Baseline, Triggers: tr}
}

func printHumanSummary(w io.Writer, path string, n int, frames []prosody.FrameResult, s prosody.Summary, explicitBaseline bool) {
	p := prosody.ProfileOf(frames)
	dur := float64(n) / prosody.SampleRate
	fmt.Fprintf(w, "%s: %.2f s\n", path, dur)
	fmt.Fprintf(w, "  speech       %.2f s (%.0f %% of the file), voiced %.2f s\n", float64(p.Speech)*prosody.HopSeconds,
		100*float64(p.Speech)*prosody.HopSeconds/math.Max(dur, 1e-9), float64(p.Voiced)*prosody.HopSeconds)
	if p.Voiced > 0 {
		fmt.Fprintf(w, "  pitch        median %.0f Hz, range %.1f semitones (10th–90th percentile)\n", p.F0Hz(), p.F0Range)
		fmt.Fprintf(w, "  loudness     %.1f dBFS while voiced, spread %.1f dB\n", p.DB, p.DBSpread)
		fmt.Fprintf(w, "  rate         %.1f syllables per second of speech\n", p.RateSPS)
	} else {
		fmt.Fprintln(w, "  no voiced speech found")
	}
	src := "the first seconds of speech"
	if explicitBaseline {
		src = "-baseline"
	}
	if s.Baseline.Ready {
		fmt.Fprintf(w, "  baseline     %.0f Hz, %.1f dBFS, %.1f syl/s (from %s)\n", s.Baseline.F0Hz, s.Baseline.DB, s.Baseline.RateSPS, src)
	} else {
		fmt.Fprintln(w, "  baseline     not ready (too little speech; give -baseline WAV)")
	}
	fmt.Fprintf(w, "  emotion      %s, level %d, arousal %.2f, valence %+.2f\n", s.State, s.Level, s.Arousal, s.Valence)
	for _, t := range s.Triggers {
		fmt.Fprintf(w, "  trigger      %6.2f s  %-12s %s\n", t.At, t.Kind, t.Detail)
	}
}

// newProgress returns a progress callback drawing a bar on w when it is a terminal and the file is longer than
// 30 s; called with a value above 1 it clears the bar.
func newProgress(w *os.File, name string, samples int) func(float64) {
	st, err := w.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 || samples < 30*prosody.SampleRate {
		return func(float64) {}
	}
	last := -1
	return func(f float64) {
		if f > 1 {
			fmt.Fprint(w, "\r\033[K")
			return
		}
		pct := int(f * 100)
		if pct == last {
			return
		}
		last = pct
		const width = 40
		fill := pct * width / 100
		fmt.Fprintf(w, "\r%s [%s%s] %3d%%", name, strings.Repeat("=", fill), strings.Repeat(" ", width-fill), pct)
	}
}

// drawProsodyPlot draws pitch, loudness and arousal over time, stacked, into a PNG.
func drawProsodyPlot(out, title string, frames []prosody.FrameResult, timeline []prosody.TimelinePoint) error {
	if len(frames) == 0 {
		return errors.New("no audio to plot")
	}
	var f0, db plotter.XYs
	for _, fr := range frames {
		if fr.Voiced {
			f0 = append(f0, plotter.XY{X: fr.T, Y: fr.F0})
		}
		db = append(db, plotter.XY{X: fr.T, Y: fr.DB})
	}
	var ar plotter.XYs
	for _, p := range timeline {
		ar = append(ar, plotter.XY{X: p.T, Y: p.Arousal})
	}
	end := frames[len(frames)-1].T

	mk := func(name, unit string) *plot.Plot {
		p := plot.New()
		p.Title.Text = name
		p.Y.Label.Text = unit
		p.X.Min, p.X.Max = 0, end
		p.Add(plotter.NewGrid())
		return p
	}
	pPitch := mk("Pitch (F0) — "+title, "Hz")
	pPitch.X.Label.Text = ""
	if len(f0) > 0 {
		sc, err := plotter.NewScatter(f0)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Radius = vg.Points(1.5)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		sc.GlyphStyle.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
		pPitch.Add(sc)
		ys := make([]float64, len(f0))
		for i, v := range f0 {
			ys[i] = v.Y
		}
		slices.Sort(ys)
		pPitch.Y.Min, pPitch.Y.Max = math.Max(0, ys[0]*0.8), ys[len(ys)-1]*1.15
	}
	pDB := mk("Loudness", "dBFS")
	ln, err := plotter.NewLine(db)
	if err != nil {
		return err
	}
	ln.LineStyle.Color = color.RGBA{R: 44, G: 160, B: 44, A: 255}
	pDB.Add(ln)
	pDB.Y.Min, pDB.Y.Max = -80, 0
	pAr := mk("Arousal (0 calm … 1 agitated)", "arousal")
	pAr.X.Label.Text = "time (s)"
	pAr.Y.Min, pAr.Y.Max = 0, 1
	if len(ar) > 0 {
		la, err := plotter.NewLine(ar)
		if err != nil {
			return err
		}
		la.LineStyle.Color = color.RGBA{R: 214, G: 39, B: 40, A: 255}
		la.LineStyle.Width = vg.Points(2)
		pAr.Add(la)
	}

	img := vgimg.New(vg.Points(960), vg.Points(720))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 3, Cols: 1, PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6),
		PadRight: vg.Points(12), PadY: vg.Points(10)}
	plots := [][]*plot.Plot{{pPitch}, {pDB}, {pAr}}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

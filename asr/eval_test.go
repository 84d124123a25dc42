//go:build eval

package asr

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/internal/worderr"
	"github.com/hotline/hotline/media"
)

// werSet scores recordings in parallel (2 streams) and returns errors and reference words.
func werSet(t *testing.T, r Recognizer, ts []transcript, audio func(transcript) ([]int16, int), domain bool, verbose bool) (int, int) {
	t.Helper()
	type out struct{ e, n int }
	res := make([]out, len(ts))
	var wg sync.WaitGroup
	par := 2
	if os.Getenv("ASR_EVAL_PAR") == "1" {
		par = 1
	}
	sem := make(chan struct{}, par)
	for i, tr := range ts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			pcm, rate := audio(tr)
			hyp := recognise(t, r, pcm, rate, domain)
			ref := worderr.Words(tr.text)
			e := worderr.Count(ref, worderr.Words(hyp.Text))
			res[i] = out{e, len(ref)}
			if verbose {
				t.Logf("  %-20s %5.1f%%  %s", tr.name, 100*float64(e)/float64(len(ref)), hyp.Text)
			}
		}()
	}
	wg.Wait()
	var e, n int
	for _, o := range res {
		e += o.e
		n += o.n
	}
	return e, n
}

// TestEvalWER prints word error rates on the shared recordings, wideband and through the simulated phone line,
// with the general and the domain model. No recording here was seen by the telephone map or the domain model.
func TestEvalWER(t *testing.T) {
	asrDir := testenv.SharedAudio(t, "asr")
	pitchDir := testenv.SharedAudio(t, "pitch")
	r := testRecognizer(t)
	all := asrTranscripts(asrDir)
	pitch := pitchTranscripts(t, pitchDir)
	var bar []transcript
	for _, tr := range all {
		if strings.HasPrefix(tr.name, "arctic") || tr.name == "jfk" {
			bar = append(bar, tr)
		}
	}
	for _, tr := range pitch {
		switch tr.name[2:] {
		case "001", "003", "008", "015", "021":
			bar = append(bar, tr)
		}
	}
	wide := func(tr transcript) ([]int16, int) {
		if strings.HasSuffix(tr.name, "_8k") {
			f, err := media.ReadWAV(tr.path, 8000)
			if err != nil {
				t.Fatal(err)
			}
			return PCM16(f), 8000
		}
		return wideband(t, tr.path), 16000
	}
	phone := func(tr transcript) ([]int16, int) { return phoneLine(t, tr.path), 8000 }
	sets := []struct {
		name string
		ts   []transcript
	}{{"bar14 (the 14 files of issue 4)", bar}, {"asr/ (6 files)", all}, {"pitch/ (50 files)", pitch}}
	verbose := os.Getenv("ASR_EVAL_VERBOSE") != ""
	only := os.Getenv("ASR_EVAL_SETS") // e.g. "bar14" to run one set
	for _, s := range sets {
		if only != "" && !strings.HasPrefix(s.name, only) {
			continue
		}
		for _, m := range []struct {
			name   string
			audio  func(transcript) ([]int16, int)
			domain bool
		}{{"wideband, general", wide, false}, {"phone line, general", phone, false}, {"phone line, domain", phone, true}} {
			if mo := os.Getenv("ASR_EVAL_MODES"); mo != "" && !strings.Contains(mo, m.name) {
				continue
			}
			start := time.Now()
			e, n := werSet(t, r, s.ts, m.audio, m.domain, verbose)
			t.Logf("WER %-34s %-20s %5.1f%% (%d/%d words, %s)", s.name, m.name, 100*float64(e)/float64(n), e, n, time.Since(start).Round(time.Second))
		}
	}
}

// TestEvalSpeed prints decoder start-up time, memory per decoder, the real-time factor of one stream, and how
// many concurrent streams fed in real time the machine keeps up with (no dropped frames, finals within 1.5 s).
func TestEvalSpeed(t *testing.T) {
	pitchDir := testenv.SharedAudio(t, "pitch")
	cfg := DefaultConfig()
	cfg.WarmDecoders = 0
	cfg.MaxStreams = 16
	cfg.QueueFrames = 25 // 0.5 s: falling further behind than that drops frames
	if a := os.Getenv("ASR_DECODER_ARGS"); a != "" {
		cfg.DecoderArgs = strings.Fields(a)
	}
	m := NewMetrics(nil)
	e, err := NewEmbedded(cfg, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rss0 := rssBytes()
	var loads []time.Duration
	var decs []*decoder
	for i := 0; i < 4; i++ {
		start := time.Now()
		d, err := e.acquire(true)
		if err != nil {
			t.Fatal(err)
		}
		loads = append(loads, time.Since(start))
		decs = append(decs, d)
	}
	runtime.GC()
	rss1 := rssBytes()
	for len(decs) < 10 { // loaded ahead, so the concurrency figures below measure decoding, not model loads
		d, err := e.acquire(true)
		if err != nil {
			t.Fatal(err)
		}
		decs = append(decs, d)
	}
	for _, d := range decs {
		e.release(d)
	}
	t.Logf("SPEED decoder start-up %v (4 loads: %v); memory %.1f MB per decoder (RSS)", loads[0].Round(time.Millisecond), loads, float64(rss1-rss0)/4/1e6)

	// One long phone-line recording: all of rl's sentences joined.
	var pcm []int16
	for _, tr := range pitchTranscripts(t, pitchDir) {
		if strings.HasPrefix(tr.name, "rl") {
			pcm = append(pcm, phoneLine(t, tr.path)...)
			pcm = append(pcm, make([]int16, 4000)...)
		}
	}
	audioSec := float64(len(pcm)) / 8000
	start := time.Now()
	cpu0 := cpuSeconds()
	recognise(t, e, pcm, 8000, true)
	wall := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	t.Logf("SPEED real-time factor %.3f CPU (%.3f wall) (one stream, %.0f s of phone audio, %.1f CPU-s, domain model, load average %s): about %.0f streams per 2 idle cores",
		cpu/audioSec, wall/audioSec, audioSec, cpu, loadAvg(), 2/(cpu/audioSec))

	for _, n := range []int{2, 4, 6, 8, 10} {
		drops, worst := concurrentRealTime(t, e, pcm[:min(len(pcm), 8000*20)], n)
		t.Logf("SPEED %2d concurrent real-time streams: %d frames dropped, worst final latency %v (load average %s)", n, drops, worst.Round(10*time.Millisecond), loadAvg())
		if drops > 0 {
			break
		}
	}
}

// concurrentRealTime feeds n streams 20 ms frames on a 20 ms clock and reports dropped frames and the worst delay
// from the end of an utterance's trailing silence to its final result.
func concurrentRealTime(t *testing.T, e *Embedded, pcm []int16, n int) (int, time.Duration) {
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	drops := 0
	var worst time.Duration
	for i := 0; i < n; i++ {
		st, err := e.NewStream(ctx, StreamOptions{SampleRate: 8000, Domain: true})
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sent []time.Time // wall time each frame was written
			done := make(chan struct{})
			var lat time.Duration
			go func() {
				defer close(done)
				for r := range st.Results() {
					if r.Final && len(r.Words) > 0 {
						// The endpointer decides cfg.EndSilence after the last word at the latest.
						endFrame := int((r.Words[len(r.Words)-1].End + e.cfg.EndSilence.Seconds()) * 50)
						mu.Lock()
						if endFrame < len(sent) {
							if d := time.Since(sent[endFrame]); d > lat {
								lat = d
							}
						}
						mu.Unlock()
					}
				}
			}()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			before := droppedCount(e)
			for off := 0; off+160 <= len(pcm); off += 160 {
				<-tick.C
				mu.Lock()
				sent = append(sent, time.Now())
				mu.Unlock()
				st.Write(pcm[off : off+160])
			}
			_ = before
			st.Close()
			<-done
			mu.Lock()
			if lat > worst {
				worst = lat
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	drops = droppedCount(e)
	resetDropped(e)
	return drops, worst
}

// cpuSeconds is the process's user+system CPU time: unlike wall time it does not depend on other load.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func droppedCount(e *Embedded) int { return int(e.dropCount.Load()) }
func resetDropped(e *Embedded)     { e.dropCount.Store(0) }

var _ = fmt.Sprint

// pitchTranscripts are the FDA sentences of ../shared/audio/pitch (orthographic.index), both speakers.
func pitchTranscripts(t testing.TB, dir string) []transcript {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "orthographic.index"))
	if err != nil {
		t.Fatal(err)
	}
	var out []transcript
	for _, line := range strings.Split(string(data), "\n") {
		num, text, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		for _, sp := range []string{"rl", "sb"} {
			p := filepath.Join(dir, sp+num+".wav")
			if _, err := os.Stat(p); err == nil {
				out = append(out, transcript{sp + num, p, text})
			}
		}
	}
	return out
}

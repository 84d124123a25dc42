package dialog

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSplitSentences(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"Hello. How can I help?", []string{"Hello.", "How can I help?"}},
		{"It costs 2.50 a day! Anything else?", []string{"It costs 2.50 a day!", "Anything else?"}},
		{"No ending", []string{"No ending"}},
		{"  ", nil},
		{"你好。请问有什么可以帮您？", []string{"你好。", "请问有什么可以帮您？"}},
	}
	for _, c := range cases {
		got := SplitSentences(c.in)
		if len(got) != len(c.want) {
			t.Errorf("SplitSentences(%q) = %q, want %q", c.in, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("SplitSentences(%q) = %q, want %q", c.in, got, c.want)
			}
		}
	}
}

// speechStats are the properties of synthesised audio the tests check.
func speechStats(pcm []int16) (seconds, rmsDB, voicedShare float64) {
	seconds = float64(len(pcm)) / Rate
	rmsDB = levelDB(pcm)
	frames, voiced := 0, 0
	buf := make([]int16, 2*FrameSamples)
	for i := 0; i+FrameSamples <= len(pcm); i += FrameSamples {
		copy(buf, buf[FrameSamples:])
		copy(buf[FrameSamples:], pcm[i:i+FrameSamples])
		if levelDB(pcm[i:i+FrameSamples]) < -45 {
			continue
		}
		frames++
		if voicing(buf) > 0.5 {
			voiced++
		}
	}
	if frames > 0 {
		voicedShare = float64(voiced) / float64(frames)
	}
	return
}

func TestFliteSpeaksRealAudioAt8kHz(t *testing.T) {
	text := "Your bill is due twenty one days after the statement date."
	for _, voice := range Voices {
		t.Run(voice, func(t *testing.T) {
			f, err := NewFlite(voice)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			pcm, err := f.Synthesize(context.Background(), text)
			if err != nil {
				t.Fatal(err)
			}
			secs, db, voiced := speechStats(pcm)
			t.Logf("%s: %.2f s of audio, %.1f dBFS, %.0f%% voiced frames, synthesised in %v", voice, secs, db, 100*voiced, time.Since(start))
			// Eleven words at a normal speaking rate: 2–7 s. Speech level well above silence, below clipping.
			if secs < 2 || secs > 7 {
				t.Errorf("duration %.2f s is not within 2..7 s for %d words", secs, 11)
			}
			if db < -35 || db > -3 {
				t.Errorf("level %.1f dBFS is not within -35..-3", db)
			}
			if voiced < 0.3 {
				t.Errorf("only %.0f%% of loud frames are voiced: not speech-like", 100*voiced)
			}
			// An 8 kHz signal must carry no energy near its Nyquist frequency beyond what the resampler lets through.
			if hf := highBandShare(pcm); hf > 0.05 {
				t.Errorf("%.1f%% of the energy is above 3.8 kHz", 100*hf)
			}
		})
	}
}

// highBandShare is the share of energy above 3.8 kHz, by a DFT over 256-sample blocks (slow, fine for a test).
func highBandShare(pcm []int16) float64 {
	const n = 256
	var hi, all float64
	for off := 0; off+n <= len(pcm); off += n {
		for k := 1; k < n/2; k++ {
			var re, im float64
			for i := 0; i < n; i++ {
				a := 2 * math.Pi * float64(k*i) / n
				x := float64(pcm[off+i])
				re += x * math.Cos(a)
				im -= x * math.Sin(a)
			}
			p := re*re + im*im
			all += p
			if float64(k)*Rate/n >= 3800 {
				hi += p
			}
		}
		off += 7 * n // sample every 8th block
	}
	if all == 0 {
		return 0
	}
	return hi / all
}

func TestCacheServesRepeatsAndEvictsByCountAndBytes(t *testing.T) {
	f, err := NewFlite("kal")
	if err != nil {
		t.Fatal(err)
	}
	c := NewCache(f, 2, 1<<20, nil)
	ctx := context.Background()
	a1, _ := c.Synthesize(ctx, "Hello there.")
	a2, _ := c.Synthesize(ctx, "  Hello   there. ")
	if len(a1) == 0 || &a1[0] != &a2[0] {
		t.Fatal("the second request for the same sentence was not served from the cache")
	}
	c.Synthesize(ctx, "Second sentence.")
	c.Synthesize(ctx, "Third sentence.")
	if c.Len() != 2 {
		t.Fatalf("cache holds %d sentences, limit 2", c.Len())
	}
	st := c.Stats()
	if st.Hits != 1 || st.Misses != 3 {
		t.Fatalf("stats %+v, want 1 hit 3 misses", st)
	}
	small := NewCache(f, 100, 2*len(a1)+10, nil)
	small.Synthesize(ctx, "Hello there.")
	small.Synthesize(ctx, "Second sentence.")
	if small.Len() != 1 {
		t.Fatalf("byte-bounded cache holds %d sentences", small.Len())
	}
}

func TestConcurrentSynthesisIsSafe(t *testing.T) {
	f, err := NewFlite("kal")
	if err != nil {
		t.Fatal(err)
	}
	c := NewCache(f, 10, 1<<20, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			text := []string{"Please hold.", "Thank you for calling."}[i%2]
			pcm, err := c.Synthesize(context.Background(), text)
			if err == nil && len(pcm) < Rate/4 {
				err = context.DeadlineExceeded
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if st := c.Stats(); st.Misses != 2 {
		t.Fatalf("%d syntheses for 2 distinct sentences", st.Misses)
	}
}

func TestStreamSendsTheFirstSentenceBeforeTheRestIsMade(t *testing.T) {
	f, err := NewFlite("kal")
	if err != nil {
		t.Fatal(err)
	}
	text := "Hello. This second sentence is much longer than the first one and takes longer to make."
	var chunks [][]int16
	err = Stream(context.Background(), f, text, func(pcm []int16) error {
		chunks = append(chunks, pcm)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 2 || len(chunks[0]) >= len(chunks[1]) || len(chunks[0]) == 0 {
		t.Fatalf("got %d chunks, want the short first sentence then the long one", len(chunks))
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	err = Stream(ctx, f, text, func([]int16) error { n++; cancel(); return nil })
	if err == nil || n != 1 {
		t.Fatalf("a cancelled stream (barge-in) went on: %d chunks, err %v", n, err)
	}
}

func BenchmarkSynthesizeSentence(b *testing.B) {
	for _, voice := range []string{"kal", "slt"} {
		b.Run(voice, func(b *testing.B) {
			f, err := NewFlite(voice)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				if _, err := f.Synthesize(context.Background(), "Is there anything else I can help you with?"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestHoldMusicIsASoftLoopWithoutClicks(t *testing.T) {
	m := HoldMusic()
	if secs := float64(len(m)) / Rate; secs < 4 || secs > 20 {
		t.Fatalf("hold loop of %.1f s", secs)
	}
	if db := levelDB(m); db < -35 || db > -15 {
		t.Fatalf("hold music at %.1f dBFS, want a soft -35..-15", db)
	}
	// The loop joins cleanly: the last and first samples are near silence.
	for _, s := range []int16{m[0], m[len(m)-1]} {
		if s > 300 || s < -300 {
			t.Fatalf("loop edge sample %d would click", s)
		}
	}
}

func TestRunWarmsTheCacheWithEveryPhrase(t *testing.T) {
	f, err := NewFlite("kal")
	if err != nil {
		t.Fatal(err)
	}
	cache := NewCache(f, 4096, 64<<20, nil)
	store, _ := NewKBStore("", nil, nil)
	bot := New(DefaultConfig(), store, cache, nil)
	want := 0
	seen := map[string]bool{}
	for _, p := range bot.Phrases() {
		for _, s := range SplitSentences(p) {
			if k := strings.Join(strings.Fields(s), " "); !seen[k] {
				seen[k] = true
				want++
			}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { bot.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(60 * time.Second)
	for cache.Len() < want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if cache.Len() < want {
		t.Fatalf("cache holds %d of %d sentences after warming", cache.Len(), want)
	}
	// A caller's sentence now comes from the cache.
	before := cache.Stats().Misses
	bot.NewSpeechSource(ctx, DefaultConfig().Phrases.Greeting)
	time.Sleep(20 * time.Millisecond)
	if cache.Stats().Misses != before {
		t.Fatal("the greeting was synthesised again")
	}
}

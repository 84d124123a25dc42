package asr

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/internal/worderr"
)

func TestRealRecordingsThroughThePhoneLineAreRecognised(t *testing.T) {
	dir := testenv.SharedAudio(t, "asr")
	r := testRecognizer(t)
	for _, tc := range []struct {
		name   string
		maxWER float64
	}{
		{"arctic_aew_a0003", 0.6},
		{"osr_us_000_0034_8k", 0.6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ref string
			for _, tr := range asrTranscripts(dir) {
				if tr.name == tc.name {
					ref = tr.text
				}
			}
			res := recognise(t, r, phoneLine(t, filepath.Join(dir, tc.name+".wav")), 8000, false)
			refW := worderr.Words(ref)
			wer := float64(worderr.Count(refW, worderr.Words(res.Text))) / float64(len(refW))
			t.Logf("WER %.0f%%: %q", 100*wer, res.Text)
			if wer > tc.maxWER {
				t.Errorf("WER %.0f%% above the generous bound %.0f%%: %q", 100*wer, 100*tc.maxWER, res.Text)
			}
			for i, w := range res.Words {
				if w.End <= w.Start || w.Conf < 0 || w.Conf > 1 || (i > 0 && w.Start < res.Words[i-1].Start) {
					t.Errorf("word %d %+v: timings must increase and confidence lie in 0..1", i, w)
				}
			}
		})
	}
}

// feedRealTime writes pcm as 20 ms frames, paced at speed times real time, then silence.
func feedRealTime(t *testing.T, st Stream, pcm []int16, rate int, speed float64, silence time.Duration) {
	t.Helper()
	n := rate / 50
	tick := time.NewTicker(time.Duration(float64(20*time.Millisecond) / speed))
	defer tick.Stop()
	quiet := make([]int16, n)
	for i := 0; i < int(silence/(20*time.Millisecond)); i++ {
		pcm = append(pcm, quiet...)
	}
	for off := 0; off+n <= len(pcm); off += n {
		<-tick.C
		if err := st.Write(pcm[off : off+n]); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
}

func TestStreamGivesPartialsThenAnEndOfTurnFinalWithoutClose(t *testing.T) {
	dir := testenv.SharedAudio(t, "asr")
	r := testRecognizer(t)
	pcm := phoneLine(t, filepath.Join(dir, "arctic_aew_a0003.wav"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := r.NewStream(ctx, StreamOptions{CallID: "test-endpoint", SampleRate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := make(chan []Result, 1)
	go func() {
		var rs []Result
		for res := range st.Results() {
			rs = append(rs, res)
			if res.Final {
				break
			}
		}
		got <- rs
	}()
	// 4x real time keeps the test short; 1.5 s of trailing silence is more than the 700 ms end-of-turn.
	feedRealTime(t, st, pcm, 8000, 4, 1500*time.Millisecond)
	var rs []Result
	select {
	case rs = <-got:
	case <-ctx.Done():
		t.Fatal("no final result after the trailing silence (end-of-turn not detected)")
	}
	last := rs[len(rs)-1]
	if !last.Final || !last.EndOfTurn || last.Err != nil {
		t.Fatalf("last result %+v: want a final with end of turn", last)
	}
	partials := 0
	for _, res := range rs[:len(rs)-1] {
		if res.Final {
			t.Errorf("a final before the last: %+v", res)
		}
		if res.Text != "" {
			partials++
		}
	}
	if partials == 0 {
		t.Errorf("no partial result before the final %q", last.Text)
	}
	if !strings.Contains(last.Text, "hands") && !strings.Contains(last.Text, "time") {
		t.Errorf("final %q has none of the words expected", last.Text)
	}
}

func TestShortPauseEndsTurnOnlyWhenTheWordsReadComplete(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"", false},
		{"yes", true},
		{"no", true},
		{"thank you", true},
		{"i want to", false},
		{"how much is my bill", true},
		{"i would like to ask about the", false},
		{"my phone was stolen", true},
		{"can i", false},
		{"bill", false},
	} {
		if got := readsComplete(tc.text); got != tc.want {
			t.Errorf("readsComplete(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}

func TestEndOfTurnWaitsLongerWhenTheCallerSoundsUnfinished(t *testing.T) {
	// Through the real stream: a complete sentence followed by 500 ms of silence ends the turn (above the 300 ms
	// short pause); a 500 ms pause after an unfinished partial does not (below 700 ms). The second half is checked
	// with the decision function the stream uses, as synthesising an unfinished real utterance is not repeatable.
	dir := testenv.SharedAudio(t, "asr")
	r := testRecognizer(t)
	pcm := phoneLine(t, filepath.Join(dir, "arctic_aew_a0003.wav"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := r.NewStream(ctx, StreamOptions{SampleRate: 8000})
	if err != nil {
		t.Fatal(err)
	}
	final := make(chan Result, 1)
	go func() {
		for res := range st.Results() {
			if res.Final {
				final <- res
				return
			}
		}
		close(final)
	}()
	feedRealTime(t, st, pcm, 8000, 4, 500*time.Millisecond)
	select {
	case res := <-final:
		if !res.EndOfTurn {
			t.Errorf("final %+v: want end of turn after a complete sentence and 500 ms of silence", res)
		}
	case <-time.After(30 * time.Second): // audio time decides, not wall time: wait generously on a busy machine
		t.Errorf("no end of turn within 500 ms of (audio) silence after a complete sentence")
	}
	st.Close()
	if readsComplete("for the twentieth time that") {
		t.Errorf("a partial ending on 'that' must wait for the long pause")
	}
}

func TestFullPoolReturnsErrBusyAndFreesOnClose(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxStreams = 1
	cfg.WarmDecoders = 0
	cfg.Domain = false
	cfg.BusyWait = 300 * time.Millisecond
	e, err := NewEmbedded(cfg, NewMetrics(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	st, err := e.NewStream(ctx, StreamOptions{CallID: "first"})
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if _, err := e.NewStream(ctx, StreamOptions{CallID: "second"}); !errors.Is(err, ErrBusy) {
		t.Fatalf("second stream with max_streams 1: err %v, want ErrBusy", err)
	}
	if waited := time.Since(began); waited < 250*time.Millisecond || waited > 5*time.Second {
		t.Fatalf("ErrBusy came after %v, want after busy_wait (300ms)", waited)
	}
	// A stream asked for while the pool is full gets the decoder the moment another stream closes.
	got := make(chan error, 1)
	go func() {
		st2, err := e.NewStream(ctx, StreamOptions{CallID: "third"})
		if err == nil {
			err = st2.Close()
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("a stream waiting for a decoder did not get the one freed by Close: %v", err)
	}
}

func TestMissingModelNamesThePathAndTheDebianPackage(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ModelDir = filepath.Join(t.TempDir(), "nowhere")
	_, err := NewEmbedded(cfg, nil, nil)
	if err == nil {
		t.Fatal("no error for a missing model")
	}
	for _, want := range []string{cfg.ModelDir, "pocketsphinx-en-us"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestOddSampleRatesAreConvertedNotRefused(t *testing.T) {
	dir := testenv.SharedAudio(t, "asr")
	r := testRecognizer(t)
	wide := wideband(t, filepath.Join(dir, "arctic_aew_a0003.wav"))
	ref := worderr.Words("For the twentieth time that evening the two men shook hands.")
	for _, rate := range []int{11025, 22050, 44100} {
		t.Run(strings.TrimSpace(time.Duration(rate).String()), func(t *testing.T) {
			pcm := resampleForTest(wide, 16000, rate)
			res := recognise(t, r, pcm, rate, false)
			wer := float64(worderr.Count(ref, worderr.Words(res.Text))) / float64(len(ref))
			if wer > 0.6 {
				t.Errorf("at %d Hz: WER %.0f%%: %q", rate, 100*wer, res.Text)
			}
		})
	}
}

func TestRecogniserCloseEndsOpenStreams(t *testing.T) {
	cfg := DefaultConfig()
	cfg.WarmDecoders = 0
	cfg.Domain = false
	e, err := NewEmbedded(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.NewStream(context.Background(), StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-st.Results():
			if !ok {
				if err := st.Write(make([]int16, 160)); !errors.Is(err, ErrClosed) {
					t.Errorf("write after the recogniser closed: %v, want ErrClosed", err)
				}
				return
			}
		case <-timeout:
			t.Fatal("results still open 10 s after the recogniser closed")
		}
	}
}

// At start-up the spare decoder is still loading when the first calls come: a stream asked for then waits for it
// rather than failing (the pool is at its bound while the spare loads).
func TestStreamAskedWhileTheSpareLoadsGetsIt(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxStreams, cfg.WarmDecoders = 1, 1
	cfg.Domain = false
	e, err := NewEmbedded(cfg, NewMetrics(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	began := time.Now()
	st, err := e.NewStream(context.Background(), StreamOptions{CallID: "first"})
	if err != nil {
		t.Fatalf("the first stream, asked for while the spare loads: %v", err)
	}
	if waited := time.Since(began); waited >= cfg.BusyWait-200*time.Millisecond {
		t.Errorf("the stream waited %v: it should get the spare as soon as it has loaded, not at busy_wait", waited)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

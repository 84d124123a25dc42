package dialog

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/hotline/hotline/media"
)

func TestSpeechSourcePlaysSentencesAsTheyAreMade(t *testing.T) {
	f, err := NewFlite("kal")
	if err != nil {
		t.Fatal(err)
	}
	store, _ := NewKBStore("", nil, nil)
	bot := New(DefaultConfig(), store, NewCache(f, 16, 1<<20, nil), nil)
	src := bot.NewSpeechSource(context.Background(), "Hello. Thank you for calling Northwind.")
	select {
	case <-src.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("no audio after 5 s")
	}
	var fr media.Frame
	frames, loud := 0, 0
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		err := src.ReadFrame(&fr)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames++
		if levelDB(fr[:]) > -40 {
			loud++
		}
	}
	// Read as fast as possible, the source pads with silence while the second sentence is made, so count
	// only the frames that carry speech.
	if secs := float64(loud) * 0.02; secs < 1 || secs > 6 {
		t.Fatalf("%.2f s of speech (of %d frames read) for two short sentences", secs, frames)
	}
	if src.Err() != nil || src.FirstAudio <= 0 {
		t.Fatalf("err %v, first audio %v", src.Err(), src.FirstAudio)
	}
}

func TestSpeechSourceStopsWhenCancelled(t *testing.T) {
	f, _ := NewFlite("kal")
	store, _ := NewKBStore("", nil, nil)
	bot := New(DefaultConfig(), store, f, nil)
	ctx, cancel := context.WithCancel(context.Background())
	src := bot.NewSpeechSource(ctx, "One. Two. Three. Four. Five. Six. Seven. Eight.")
	<-src.Ready()
	cancel()
	var fr media.Frame
	for i := 0; i < 2000; i++ { // at most 40 s of audio could have been made
		if err := src.ReadFrame(&fr); errors.Is(err, io.EOF) {
			if !errors.Is(src.Err(), context.Canceled) && src.Err() != nil {
				t.Fatalf("err %v", src.Err())
			}
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("a cancelled source never ended")
}

// constSynth makes every sentence 100 ms of one sample value.
type constSynth int16

func (c constSynth) Synthesize(ctx context.Context, text string) ([]int16, error) {
	pcm := make([]int16, 800)
	for i := range pcm {
		pcm[i] = int16(c)
	}
	return pcm, nil
}

func TestSpeechSourceKeepsTheLastFrameForBargeInAndSaysWhenSynthesisIsDone(t *testing.T) {
	store, _ := NewKBStore("", nil, nil)
	bot := New(DefaultConfig(), store, constSynth(1234), nil)
	src := bot.NewSpeechSource(context.Background(), "One. Two.")
	select {
	case <-src.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("synthesis never reported done")
	}
	var fr, last, silence media.Frame
	src.LastFrame(&last)
	if last != silence {
		t.Fatal("a last frame before anything was played")
	}
	n := 0
	for ; src.ReadFrame(&fr) == nil; n++ {
		src.LastFrame(&last)
		if last != fr {
			t.Fatalf("frame %d: LastFrame differs from the frame just played", n)
		}
	}
	if n != 10 {
		t.Errorf("%d frames for 200 ms of speech, want 10", n)
	}
	src.LastFrame(&last)
	if last != silence {
		t.Error("the last frame is not silence after the end")
	}
	var none *SpeechSource
	last[0] = 1
	none.LastFrame(&last)
	if last != silence {
		t.Error("a nil source is not silent")
	}
}

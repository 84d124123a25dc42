package testbrowser

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/hotline/hotline/media"
)

func TestToneShareHearsTheToneAndNotSilenceOrAnotherTone(t *testing.T) {
	frame := func(hz, amp float64) []int16 {
		f := make([]int16, 160)
		for i := range f {
			f[i] = int16(amp * 32767 * math.Sin(2*math.Pi*hz*float64(i)/8000))
		}
		return f
	}
	if share, db := ToneShare(make([]int16, 160), MicToneHz); share != 0 || db != -100 {
		t.Errorf("silence: share %v at %v dBFS, want 0 at -100", share, db)
	}
	if share, db := ToneShare(frame(MicToneHz, 0.316), MicToneHz); share < 0.9 || math.Abs(db-(-13)) > 1 {
		t.Errorf("the mic tone at -10 dBFS peak: share %v at %v dBFS, want above 0.9 at about -13 dBFS", share, db)
	}
	if share, _ := ToneShare(frame(440, 0.316), MicToneHz); share > 0.1 {
		t.Errorf("a 440 Hz tone counts as %v of %d Hz", share, MicToneHz)
	}
}

func TestMicToneIsTheToneInBursts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mic.wav")
	WriteMicTone(t, path)
	pcm, err := media.ReadWAV8k(path) // resampled to 8 kHz, as the caller's side of a call hears it
	if err != nil {
		t.Fatal(err)
	}
	if len(pcm) < 15900 || len(pcm) > 16100 {
		t.Fatalf("%d samples at 8 kHz, want 2 s", len(pcm))
	}
	tone := 0
	for i := 0; i+160 <= len(pcm); i += 160 {
		if share, db := ToneShare(pcm[i:i+160], MicToneHz); share > 0.5 && db > -45 {
			tone++
		}
	}
	// 400 ms of tone in every 500 ms: about 80 of the 100 frames.
	if tone < 70 || tone > 85 {
		t.Errorf("%d of 100 frames are the tone, want about 80", tone)
	}
}

func TestTestIDSelectsTheDataTestidHook(t *testing.T) {
	if got := string(TestID("call-state")); got != `[data-testid="call-state"]` {
		t.Errorf("TestID = %s", got)
	}
}

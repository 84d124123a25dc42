package dialog

/*
#cgo LDFLAGS: -lflite_cmu_us_slt -lflite_cmu_us_kal -lflite_cmu_us_kal16 -lflite_cmu_us_rms -lflite_cmu_us_awb -lflite_usenglish -lflite_cmulex -lflite -lm
#include <stdlib.h>
#include <flite/flite.h>

cst_voice *register_cmu_us_slt(const char *voxdir);
cst_voice *register_cmu_us_kal(const char *voxdir);
cst_voice *register_cmu_us_kal16(const char *voxdir);
cst_voice *register_cmu_us_rms(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);

static cst_voice *hl_voice(int which) {
	switch (which) {
	case 0: return register_cmu_us_kal(NULL);
	case 1: return register_cmu_us_kal16(NULL);
	case 2: return register_cmu_us_slt(NULL);
	case 3: return register_cmu_us_rms(NULL);
	case 4: return register_cmu_us_awb(NULL);
	}
	return NULL;
}
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/hotline/hotline/media"
)

// Rate is the sample rate of all speech the dialogue produces: the telephone's 8 kHz.
const Rate = 8000

// fliteMu serialises every call into flite: its lexicon and utterance code keep process-wide state.
// foreground counts callers' syntheses waiting or running, so background work (cache warming) steps aside.
var (
	fliteMu    sync.Mutex
	fliteInit  sync.Once
	voices     = map[string]*C.cst_voice{}
	foreground atomic.Int32
)

type backgroundKey struct{}

// Background marks ctx as low-priority synthesis (cache warming): it waits while any call's synthesis is
// waiting or running, so warming never delays a caller by more than the sentence in progress.
func Background(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// Flite is a Synthesizer using the flite library (CMU, via cgo) with one of its built-in English voices. It
// produces 8 kHz mono samples; 16 kHz voices are resampled with media.Resample. Synthesis is serialised
// process-wide (flite is not thread-safe), so put a cache in front of it.
type Flite struct {
	voice *C.cst_voice
	name  string
	// LevelDB, when not 0, scales each synthesised text so its active speech has this RMS level in dBFS (voices
	// differ by over 10 dB; a steady level keeps prompts comfortable and their echo predictable).
	LevelDB float64
}

// NewFlite loads a flite voice by name: one of Voices (kal, kal16, slt, rms, awb).
func NewFlite(voice string) (*Flite, error) {
	idx := -1
	for i, v := range Voices {
		if v == voice {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("flite voice %q: not one of %s", voice, strings.Join(Voices, ", "))
	}
	fliteMu.Lock()
	defer fliteMu.Unlock()
	fliteInit.Do(func() { C.flite_init() })
	v, ok := voices[voice]
	if !ok {
		v = C.hl_voice(C.int(idx))
		if v == nil {
			return nil, fmt.Errorf("flite voice %q: registration failed", voice)
		}
		voices[voice] = v
	}
	return &Flite{voice: v, name: voice}, nil
}

// Voice is the voice's name.
func (f *Flite) Voice() string { return f.name }

// Synthesize speaks text into 8 kHz mono samples. ctx is checked before the (uninterruptible) synthesis starts.
func (f *Flite) Synthesize(ctx context.Context, text string) ([]int16, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	ctext := C.CString(text)
	defer C.free(unsafe.Pointer(ctext))
	if ctx.Value(backgroundKey{}) != nil {
		for foreground.Load() > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
		}
	} else {
		foreground.Add(1)
		defer foreground.Add(-1)
	}
	fliteMu.Lock()
	w := C.flite_text_to_wave(ctext, f.voice)
	if w == nil {
		fliteMu.Unlock()
		return nil, fmt.Errorf("flite %s: no audio for %q", f.name, text)
	}
	n := int(w.num_samples)
	rate := int(w.sample_rate)
	pcm := make([]int16, n)
	if n > 0 {
		copy(pcm, unsafe.Slice((*int16)(unsafe.Pointer(w.samples)), n))
	}
	C.delete_wave(w)
	fliteMu.Unlock()
	if rate != Rate && n > 0 {
		in := make([]float32, n)
		for i, s := range pcm {
			in[i] = float32(s) / 32768
		}
		out := media.Resample(in, rate, Rate)
		pcm = make([]int16, len(out))
		for i, v := range out {
			pcm[i] = int16(math.Max(-32768, math.Min(32767, math.Round(float64(v)*32768))))
		}
	}
	if f.LevelDB != 0 {
		normalizeLevel(pcm, f.LevelDB)
	}
	return pcm, nil
}

// normalizeLevel scales pcm in place so the RMS of its active frames (those within 35 dB of the loudest) is
// target dBFS, limiting peaks to full scale.
func normalizeLevel(pcm []int16, target float64) {
	const frame = 160
	peak := -100.0
	for i := 0; i+frame <= len(pcm); i += frame {
		peak = math.Max(peak, levelDB(pcm[i:i+frame]))
	}
	var e float64
	n := 0
	for i := 0; i+frame <= len(pcm); i += frame {
		if levelDB(pcm[i:i+frame]) > peak-35 {
			for _, s := range pcm[i : i+frame] {
				e += float64(s) * float64(s)
			}
			n += frame
		}
	}
	if n == 0 || e == 0 {
		return
	}
	level := 10 * math.Log10(e/float64(n)/(32768*32768))
	g := math.Pow(10, (target-level)/20)
	for i, s := range pcm {
		pcm[i] = int16(math.Max(-32767, math.Min(32767, math.Round(float64(s)*g))))
	}
}

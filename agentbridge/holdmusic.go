package agentbridge

import (
	"context"
	"math"
	"sync/atomic"
	"time"

	"github.com/zaf/g711"
)

// holdLoop is the generated hold music, encoded once per codec: [0] PCMU, [1] PCMA.
var holdLoop = func() [2][]byte {
	pcm := holdMusicPCM()
	var out [2][]byte
	out[0], out[1] = make([]byte, len(pcm)), make([]byte, len(pcm))
	for i, s := range pcm {
		out[0][i] = g711.EncodeUlawFrame(s)
		out[1][i] = g711.EncodeAlawFrame(s)
	}
	return out
}()

// holdMusicPCM synthesises 6.4 s of gentle music at 8 kHz: a slow pentatonic melody of soft bell tones over a
// quiet sustained fifth, all within the telephone band and well below full scale. No recording is used.
func holdMusicPCM() []int16 {
	const rate = 8000.0
	const noteLen = 0.4
	melody := []float64{523.25, 659.25, 783.99, 880.00, 783.99, 659.25, 587.33, 523.25,
		587.33, 659.25, 783.99, 659.25, 587.33, 523.25, 440.00, 392.00}
	n := int(float64(len(melody)) * noteLen * rate) // 51200 samples = 320 frames
	pcm := make([]int16, n)
	for i := range pcm {
		t := float64(i) / rate
		k := int(t / noteLen)
		nt := t - float64(k)*noteLen
		f := melody[k]
		attack := math.Min(nt/0.01, 1)
		env := attack * math.Exp(-nt*5)
		bell := math.Sin(2*math.Pi*f*t) + 0.25*math.Sin(2*math.Pi*2*f*t) + 0.08*math.Sin(2*math.Pi*3*f*t)
		// The pad swells with the loop so the joint is seamless (sin² is 0 at both ends).
		swell := 0.6 + 0.4*math.Pow(math.Sin(math.Pi*t/(float64(n)/rate)), 2)
		pad := swell * (math.Sin(2*math.Pi*261.63*t) + math.Sin(2*math.Pi*392.00*t))
		v := 4200*env*bell + 900*pad
		pcm[i] = int16(math.Max(-32767, math.Min(32767, v)))
	}
	return pcm
}

// holdPlayer sends the hold music to the caller in 20 ms packets while on is set and nothing is being said.
type holdPlayer struct {
	media  CallMedia
	loop   []byte
	pos    int
	on     atomic.Bool
	saying atomic.Bool
	play   bool
}

func newHoldPlayer(m CallMedia, pt uint8, play bool) *holdPlayer {
	_, i := codecOf(pt)
	return &holdPlayer{media: m, loop: holdLoop[i], play: play}
}

// run paces the packets until ctx ends.
func (h *holdPlayer) run(ctx context.Context) {
	if !h.play {
		return
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !h.on.Load() || h.saying.Load() {
				continue
			}
			frame := h.loop[h.pos : h.pos+160]
			h.pos = (h.pos + 160) % len(h.loop)
			_ = h.media.SendPayload(frame, 160)
		}
	}
}

package dialog

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/hotline/hotline/media"
)

// SpeechSource plays text as a media.FrameSource while it is still being synthesised: a goroutine (owned by the
// context given to NewSpeechSource) makes one sentence after another, and ReadFrame plays whatever exists. Wait
// for Ready before handing it to media.Session.Play, so the first packet is real speech (the call record's
// bot_audio_start_ms); if a later sentence is not ready in time, ReadFrame plays silence rather than blocking.
// Cancelling the context (barge-in, hang-up) stops the synthesis; ReadFrame then ends with io.EOF.
type SpeechSource struct {
	ready chan struct{}
	once  sync.Once

	mu     sync.Mutex
	chunks [][]int16
	chunk  int // chunk being played
	pos    int // sample within it
	done   bool
	err    error
	// FirstAudio is how long the first sentence took to synthesise (set before Ready is closed).
	FirstAudio time.Duration
}

// NewSpeechSource starts synthesising text with the bot's synthesiser.
func (b *Bot) NewSpeechSource(ctx context.Context, text string) *SpeechSource {
	s := &SpeechSource{ready: make(chan struct{})}
	if b.synth == nil {
		s.finish(nil)
		return s
	}
	start := time.Now()
	go func() {
		err := Stream(ctx, b.synth, text, func(pcm []int16) error {
			s.mu.Lock()
			s.chunks = append(s.chunks, pcm)
			s.mu.Unlock()
			s.once.Do(func() {
				s.FirstAudio = time.Since(start)
				close(s.ready)
			})
			return nil
		})
		s.finish(err)
	}()
	return s
}

func (s *SpeechSource) finish(err error) {
	s.mu.Lock()
	s.done, s.err = true, err
	s.mu.Unlock()
	s.once.Do(func() { close(s.ready) })
}

// Ready is closed when the first sentence's audio exists (or synthesis ended without any).
func (s *SpeechSource) Ready() <-chan struct{} { return s.ready }

// Err is the synthesis error, if any, once synthesis has ended (context cancellation included).
func (s *SpeechSource) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// ReadFrame fills f with the next 20 ms: speech, silence while the next sentence is being made, or io.EOF
// after the last sample. It never blocks on synthesis and allocates nothing.
func (s *SpeechSource) ReadFrame(f *media.Frame) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for n < len(f) && s.chunk < len(s.chunks) {
		c := s.chunks[s.chunk]
		k := copy(f[n:], c[s.pos:])
		n += k
		s.pos += k
		if s.pos >= len(c) {
			s.chunk++
			s.pos = 0
		}
	}
	if n == 0 && s.done {
		return io.EOF
	}
	for i := n; i < len(f); i++ {
		f[i] = 0
	}
	return nil
}

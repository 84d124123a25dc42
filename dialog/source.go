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
// Cancelling the context (barge-in, hang-up) stops the synthesis; ReadFrame then ends with io.EOF. It also keeps the
// frame it last gave the media sender: barge-in compares the caller's channel with it to ignore our own echo.
type SpeechSource struct {
	ready    chan struct{}
	once     sync.Once
	finished chan struct{} // closed when the synthesis goroutine has returned

	mu     sync.Mutex
	chunks [][]int16
	chunk  int // chunk being played
	pos    int // sample within it
	last   media.Frame
	done   bool
	err    error
	// FirstAudio is how long the first sentence took to synthesise (set before Ready is closed).
	FirstAudio time.Duration
}

// NewSpeechSource starts synthesising text with the bot's synthesiser.
func (b *Bot) NewSpeechSource(ctx context.Context, text string) *SpeechSource {
	s := &SpeechSource{ready: make(chan struct{}), finished: make(chan struct{})}
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
	close(s.finished)
}

// Done is closed when synthesis has ended (the last sentence made, an error, or the context cancelled and the
// sentence in progress finished: a synthesiser in C cannot be interrupted mid-sentence). Whoever owns the call's
// goroutines waits for it so that no synthesis outlives the call's owner.
func (s *SpeechSource) Done() <-chan struct{} { return s.finished }

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
		s.last = media.Frame{}
		return io.EOF
	}
	clear(f[n:])
	s.last = *f
	return nil
}

// LastFrame copies the frame most recently given to the sender into dst (silence before the first and after the
// last): the echo reference for barge-in. A nil source is silent.
func (s *SpeechSource) LastFrame(dst *media.Frame) {
	if s == nil {
		*dst = media.Frame{}
		return
	}
	s.mu.Lock()
	*dst = s.last
	s.mu.Unlock()
}

package main

import (
	"io"
	"sync"

	"github.com/hotline/hotline/media"
)

// speechSource is a media.FrameSource fed sentence by sentence while the synthesiser is still working, so the
// first audio of a reply goes out as soon as its first sentence exists. ReadFrame runs on the media clock and
// never blocks: when the next sentence is not ready yet it gives silence. It also keeps the frame last given to
// the media sender, the echo reference for barge-in.
type speechSource struct {
	mu      sync.Mutex
	pending []int16
	closed  bool
	last    media.Frame
}

// push appends synthesised audio (8 kHz).
func (s *speechSource) push(pcm []int16) error {
	s.mu.Lock()
	s.pending = append(s.pending, pcm...)
	s.mu.Unlock()
	return nil
}

// close says no more audio will come; ReadFrame gives io.EOF once the queue is empty.
func (s *speechSource) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

func (s *speechSource) ReadFrame(f *media.Frame) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		if s.closed {
			s.last = media.Frame{}
			return io.EOF
		}
		*f = media.Frame{}
		s.last = *f
		return nil
	}
	n := copy(f[:], s.pending)
	clear(f[n:])
	s.pending = s.pending[n:]
	s.last = *f
	return nil
}

// lastFrame copies the frame most recently sent into dst (silence when nothing plays).
func (s *speechSource) lastFrame(dst *media.Frame) {
	if s == nil {
		*dst = media.Frame{}
		return
	}
	s.mu.Lock()
	*dst = s.last
	s.mu.Unlock()
}

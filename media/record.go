package media

import (
	"errors"
	"sync"
	"sync/atomic"
)

// stereoFrame is 20 ms of a recording: the caller on the left, what we sent on the right.
type stereoFrame struct {
	left, right Frame
}

// recorder writes stereo frames to a WAV file on its own goroutine, fed through a bounded queue so the media
// clock never waits on the disk; frames that do not fit are dropped and counted.
type recorder struct {
	q       chan stereoFrame
	w       *WAVWriter
	dropped atomic.Uint64
	muted   atomic.Bool
}

// silentStereo is what a muted recording writes.
var silentStereo stereoFrame

// recordQueueFrames is the recorder's queue depth (5 s).
const recordQueueFrames = 250

// Record starts recording the call to path as a 16-bit stereo WAV at 8 kHz (caller left, our side right). The
// file is finished when the session ends. Only one recording per session.
func (s *Session) Record(path string) error {
	w, err := CreateWAV(path, SampleRate, 2)
	if err != nil {
		return err
	}
	r := &recorder{q: make(chan stereoFrame, recordQueueFrames), w: w}
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		w.Close()
		return ErrClosed
	}
	if s.rec.Load() != nil {
		s.mu.Unlock()
		w.Close()
		return errors.New("media: session already records")
	}
	s.rec.Store(r)
	s.wg.Add(1)
	s.mu.Unlock()
	go r.run(s, &s.wg)
	s.log.Info("recording call", "path", path)
	return nil
}

// SetRecordMuted silences the recording (both channels) while on is true, e.g. while the caller keys a card
// number; the call's audio itself is untouched. It is cheap enough to call every frame.
func (s *Session) SetRecordMuted(on bool) {
	if r := s.rec.Load(); r != nil {
		r.muted.Store(on)
	}
}

func (r *recorder) push(f *stereoFrame) {
	if r.muted.Load() {
		f = &silentStereo
	}
	select {
	case r.q <- *f:
	default:
		r.dropped.Add(1)
	}
}

func (r *recorder) run(s *Session, wg *sync.WaitGroup) {
	defer wg.Done()
	var buf [2 * FrameSamples]int16
	failed := false
	write := func(f *stereoFrame) {
		if failed {
			return
		}
		for i := 0; i < FrameSamples; i++ {
			buf[2*i] = f.left[i]
			buf[2*i+1] = f.right[i]
		}
		if err := r.w.Write(buf[:]); err != nil {
			failed = true
			s.log.Error("recording failed", "err", err)
		}
	}
	for {
		select {
		case f := <-r.q:
			write(&f)
		case <-s.ctx.Done():
			for {
				select {
				case f := <-r.q:
					write(&f)
				default:
					if err := r.w.Close(); err != nil {
						s.log.Error("closing recording", "err", err)
					}
					return
				}
			}
		}
	}
}

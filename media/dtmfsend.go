package media

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// dtmfJob is a digit string being sent as RFC 4733 events by the media clock.
type dtmfJob struct {
	events   []uint8
	samples  uint32 // event duration in timestamp units
	i        int    // current event
	elapsed  uint32 // duration sent so far for the current event (0: not started)
	startTS  uint32
	gap      int // ticks of silence before the next event
	canceled bool
	done     chan error
}

// dtmfGapTicks is the pause between digits (60 ms).
const dtmfGapTicks = 3

// SendDTMF sends digits (0-9 * # A-D) as RFC 4733 telephone-events, each held for dur (at least 40 ms, default
// 100 ms): a start packet with the marker bit, an update every 20 ms, and three end packets, all with the event's
// start timestamp, then 60 ms of pause. Audio is paused meanwhile. It returns when the last end packet is sent.
func (s *Session) SendDTMF(ctx context.Context, digits string, dur time.Duration) error {
	if dur <= 0 {
		dur = 100 * time.Millisecond
	}
	dur = max(dur, 40*time.Millisecond)
	dur = min(dur, 8*time.Second)
	job := &dtmfJob{samples: uint32(dur * SampleRate / time.Second), done: make(chan error, 1)}
	for _, r := range digits {
		ev, ok := DigitEvent(r)
		if !ok || r == '!' {
			return fmt.Errorf("media: DTMF digit %q in %q is not one of 0-9 * # A-D", r, digits)
		}
		job.events = append(job.events, ev)
	}
	if len(job.events) == 0 {
		return nil
	}
	s.mu.Lock()
	pt := s.remote.DTMFPayloadType
	s.mu.Unlock()
	if pt == 0 {
		return ErrNoDTMF
	}
	s.dtmfSendMu.Lock()
	defer s.dtmfSendMu.Unlock()
	s.sendMu.Lock()
	if s.ctx.Err() != nil {
		s.sendMu.Unlock()
		return ErrClosed
	}
	s.dtmfJob = job
	s.sendMu.Unlock()
	select {
	case err := <-job.done:
		return err
	case <-ctx.Done():
		s.sendMu.Lock()
		job.canceled = true
		s.sendMu.Unlock()
		select { // the clock ends the current event properly within a tick
		case <-job.done:
		case <-s.ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
		return ctx.Err()
	case <-s.ctx.Done():
		return ErrClosed
	}
}

// dtmfTick sends this tick's packets of job. Call with sendMu held.
func (s *Session) dtmfTick(j *dtmfJob, now time.Time, dst netip.AddrPort, pt uint8, canSend bool) {
	if !canSend || pt == 0 {
		s.dtmfJob = nil
		j.done <- fmt.Errorf("media: cannot send DTMF now (direction or remote address)")
		return
	}
	if j.canceled && j.elapsed == 0 {
		s.dtmfJob = nil
		j.done <- context.Canceled
		return
	}
	if j.elapsed == 0 {
		// A new event starts where the audio would have continued.
		s.outTS += uint32(s.npending)
		s.npending = 0
		j.startTS = s.outTS
		s.marker = true
	}
	j.elapsed += FrameSamples
	end := j.elapsed >= j.samples || j.canceled
	ev := TelephoneEvent{Event: j.events[j.i], End: end, Volume: 10, Duration: uint16(min(j.elapsed, 0xFFFF))}
	payload := ev.Marshal(s.encBuf[:0])
	copies := 1
	if end {
		copies = 3
	}
	for c := 0; c < copies; c++ {
		s.writeRTP(dst, pt, j.startTS, s.marker, payload, now)
		s.marker = false
	}
	var silence [FrameSamples]int16
	s.right.write(silence[:])
	if !end {
		return
	}
	s.outTS = j.startTS + j.elapsed
	j.elapsed = 0
	j.i++
	if j.i >= len(j.events) || j.canceled {
		s.dtmfJob = nil
		if j.canceled {
			j.done <- context.Canceled
		} else {
			j.done <- nil
		}
		return
	}
	j.gap = dtmfGapTicks
}

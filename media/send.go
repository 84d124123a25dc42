package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// While nothing plays we send silence (comfort silence) rather than nothing: PBXs and SBCs end calls that send no
// RTP (Asterisk rtptimeout, carrier media timers), NAT bindings and the peer's symmetric-RTP latching need our
// packets, and a continuous stream spares the peer's jitter buffer a restart at every prompt. The marker bit is
// still set on the first packet of each Play (the start of a talkspurt), after hold, and on pass-through start.

// PlayOption adjusts one Play call.
type PlayOption func(*playback)

// OnPlayStart registers fn to be called (on the media clock, so it must be quick) with the time the first packet
// of this playback was sent — the moment a call record's bot_audio_start_ms measures.
func OnPlayStart(fn func(at time.Time)) PlayOption { return func(p *playback) { p.onStart = fn } }

// PlayStartHook returns the function OnPlayStart registered among opts (nil when none), so that an in-memory
// stand-in for a Session in another package's tests can honour it.
func PlayStartHook(opts ...PlayOption) func(at time.Time) {
	var p playback
	for _, o := range opts {
		o(&p)
	}
	return p.onStart
}

type playback struct {
	ctx     context.Context
	src     FrameSource
	done    chan error // buffered: receives the result once
	onStart func(time.Time)
	fed     bool // a frame of this playback has been queued for sending
	sent    bool // its first packet went out
}

// Play sends src to the peer, 20 ms per frame, and blocks until src ends (nil), ctx is cancelled (ctx.Err(); the
// sound stops within one frame, for barge-in), a newer Play replaces it (ErrPlaybackReplaced), or the session ends
// (ErrClosed). src.ReadFrame is called on the media clock with the send state locked: it must not block and must
// not call the session's methods (a streaming source that has nothing yet fills silence). RTP timestamps and
// sequence numbers continue across prompts; the first packet carries the marker bit. While the direction does not
// let us send (hold) the prompt still runs at its pace but nothing goes out. Play before Start waits for Start.
func (s *Session) Play(ctx context.Context, src FrameSource, opts ...PlayOption) error {
	p := &playback{ctx: ctx, src: src, done: make(chan error, 1)}
	for _, o := range opts {
		o(p)
	}
	s.playMu.Lock()
	if s.ctx.Err() != nil {
		s.playMu.Unlock()
		return ErrClosed
	}
	if old := s.play; old != nil {
		old.done <- ErrPlaybackReplaced
	}
	s.play = p
	s.playMu.Unlock()
	remove := func() {
		s.playMu.Lock()
		if s.play == p {
			s.play = nil
		}
		s.playMu.Unlock()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		remove()
		return ctx.Err()
	case <-s.ctx.Done():
		remove()
		select {
		case err := <-p.done:
			return err
		default:
		}
		return ErrClosed
	}
}

// SendPayload sends one already-encoded payload in the session's codec (pass-through from the agent's WebRTC
// leg, no transcoding); samples is its duration in timestamp units. While payloads keep coming (within 60 ms, or
// three packet durations) they replace Play and comfort silence.
func (s *Session) SendPayload(payload []byte, samples uint32) error {
	if s.ctx.Err() != nil {
		return ErrClosed
	}
	if len(payload) > len(s.sendBuf)-12 {
		return fmt.Errorf("media: payload of %d bytes too large", len(payload))
	}
	s.mu.Lock()
	dst, codec, dir := s.sendTarget(), s.remote.Codec, s.dir
	s.mu.Unlock()
	if !dst.IsValid() {
		return ErrNoRemote
	}
	now := time.Now()
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if !s.forwarding {
		s.forwarding = true
		s.marker = true
		s.outTS += uint32(s.npending)
		s.npending = 0
	}
	hold := max(60*time.Millisecond, 3*time.Duration(samples)*time.Second/SampleRate)
	s.forwardUntil = now.Add(hold)
	ts := s.outTS
	s.outTS += samples
	if !dir.sends() {
		s.marker = true
		return nil
	}
	s.writeRTP(dst, codec.PayloadType, ts, s.marker, payload, now)
	s.marker = false
	var tmp [480]int16
	n := DecodeSamples(codec, payload, tmp[:])
	s.right.write(tmp[:n])
	return nil
}

// sendTarget is where RTP goes: the latched source of the peer's packets, else the SDP address. Call with mu held.
func (s *Session) sendTarget() netip.AddrPort {
	if s.latched.IsValid() {
		return s.latched
	}
	return s.remote.Addr
}

// writeRTP sends one packet. Call with sendMu held.
func (s *Session) writeRTP(dst netip.AddrPort, pt uint8, ts uint32, marker bool, payload []byte, now time.Time) {
	s.hdr.Version = 2
	s.hdr.PayloadType = pt
	s.hdr.SequenceNumber = s.seq
	s.hdr.Timestamp = ts
	s.hdr.Marker = marker
	s.hdr.SSRC = s.ssrc
	n, err := s.hdr.MarshalTo(s.sendBuf[:])
	if err != nil {
		return
	}
	n += copy(s.sendBuf[n:], payload)
	if _, err := s.rtpConn.WriteToUDPAddrPort(s.sendBuf[:n], dst); err != nil {
		return
	}
	s.seq++
	s.sentPackets++
	s.sentOctets += uint64(len(payload))
	s.lastSentTS = ts
	s.lastSentAt = now
	s.m.incOut()
}

// clock is the session's 20 ms heartbeat: playout to subscribers, one frame of sending, recording, RTCP, DTMF
// flush and timeouts.
func (s *Session) clock() {
	defer s.wg.Done()
	t := time.NewTicker(FrameDuration)
	defer t.Stop()
	epoch := time.Now()
	var ticks int64
	nextRTCP := epoch.Add(s.cfg.RTCPInterval)
	var st clockState
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		due := int64(now.Sub(epoch) / FrameDuration)
		if due-ticks > 10 { // the process stalled: do not burst out stale audio
			ticks = due - 1
		}
		for ticks < due {
			ticks++
			s.tick(now, &st)
		}
		s.housekeeping(now)
		if !now.Before(nextRTCP) {
			nextRTCP = now.Add(s.cfg.RTCPInterval)
			s.sendRTCP(now)
		}
	}
}

// clockState is the clock goroutine's scratch space, kept off the heap per tick.
type clockState struct {
	in, out Frame
	left    [8]Frame // caller frames waiting to be recorded
	nleft   int
	rec     stereoFrame
}

func (s *Session) tick(now time.Time, st *clockState) {
	// Caller audio out of the jitter buffer.
	for n := 0; n < 25; n++ {
		s.mu.Lock()
		ok := s.jb.pull(now.UnixNano(), &st.in)
		s.mu.Unlock()
		if !ok {
			break
		}
		s.deliver(&st.in)
		if st.nleft < len(st.left) {
			st.left[st.nleft] = st.in
			st.nleft++
		}
	}
	// Our audio.
	started := s.produce(now, &st.out)
	if started != nil {
		started(now)
	}
	// What we sent this tick, to its subscribers and the recording.
	s.sendMu.Lock()
	s.right.read(st.rec.right[:])
	s.sendMu.Unlock()
	s.deliverTo(&s.sentSubs, &st.rec.right)
	// Recording: one stereo frame per tick.
	if r := s.rec.Load(); r != nil {
		if st.nleft > 0 {
			st.rec.left = st.left[0]
			copy(st.left[:], st.left[1:st.nleft])
			st.nleft--
		} else {
			st.rec.left = Frame{}
		}
		r.push(&st.rec)
	} else {
		st.nleft = 0
	}
}

// produce makes and sends one 20 ms frame (DTMF events, playback or comfort silence). It returns the onStart
// callback of a playback whose first packet just went out, to be called without locks held.
func (s *Session) produce(now time.Time, f *Frame) func(time.Time) {
	s.mu.Lock()
	dst, codec, dtmfPT, ptime, dir := s.sendTarget(), s.remote.Codec, s.remote.DTMFPayloadType, s.remote.PtimeMs, s.dir
	s.mu.Unlock()
	canSend := dir.sends() && dst.IsValid()

	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if s.forwarding {
		if now.Before(s.forwardUntil) {
			return nil // pass-through owns the stream
		}
		s.forwarding = false
		s.marker = true
	}
	if j := s.dtmfJob; j != nil && (j.gap == 0 || j.canceled) {
		s.dtmfTick(j, now, dst, dtmfPT, canSend)
		return nil
	}
	if j := s.dtmfJob; j != nil {
		j.gap--
	}

	// Audio: the current playback, else silence.
	*f = Frame{}
	var p *playback
	s.playMu.Lock()
	if p = s.play; p != nil {
		if err := p.ctx.Err(); err != nil {
			s.finishPlay(p, err)
			p = nil
		} else if err := p.src.ReadFrame(f); err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			s.finishPlay(p, err)
			p = nil
			*f = Frame{}
		} else if !p.fed {
			p.fed = true
			s.marker = true // on the packet that carries the prompt's first frame
		}
	}
	s.playMu.Unlock()

	copy(s.pending[s.npending:], f[:])
	s.npending += FrameSamples
	s.right.write(f[:])
	if !canSend {
		s.outTS += uint32(s.npending)
		s.npending = 0
		s.marker = true
		return nil
	}
	per := ptime * SampleRate / 1000
	var cb func(time.Time)
	for s.npending >= per {
		payload := EncodeSamples(codec, s.pending[:per], s.encBuf[:0])
		s.writeRTP(dst, codec.PayloadType, s.outTS, s.marker, payload, now)
		s.marker = false
		s.outTS += uint32(per)
		copy(s.pending[:], s.pending[per:s.npending])
		s.npending -= per
		if p != nil && !p.sent {
			p.sent = true
			s.lastPlayStart.Store(now.UnixNano())
			cb = p.onStart
		}
	}
	return cb
}

// finishPlay ends playback p with err. Call with playMu held.
func (s *Session) finishPlay(p *playback, err error) {
	if s.play == p {
		s.play = nil
		p.done <- err
	}
}

// housekeeping runs after each clock step: DTMF whose end never came, and the RTP timeouts.
func (s *Session) housekeeping(now time.Time) {
	s.mu.Lock()
	d, ok := s.dtmfDet.flush(now)
	dir, base := s.dir, s.timerBase
	s.mu.Unlock()
	if ok {
		s.emitDTMF(d)
	}
	if dir != SendRecv {
		return // on hold: no timeouts
	}
	last := s.lastPacket.Load()
	if last == 0 || time.Unix(0, last).Before(base) {
		if last == 0 && s.cfg.FirstPacketTimeout > 0 && now.Sub(base) > s.cfg.FirstPacketTimeout {
			s.log.Warn("no rtp received: ending session", "waited", now.Sub(base).Round(time.Millisecond).String())
			s.end(EndRTPTimeout)
			return
		}
		if last != 0 && s.cfg.InactivityTimeout > 0 && now.Sub(base) > s.cfg.InactivityTimeout {
			s.log.Warn("rtp stopped: ending session", "silent_for", now.Sub(base).Round(time.Millisecond).String())
			s.end(EndRTPTimeout)
		}
		return
	}
	if s.cfg.InactivityTimeout > 0 && now.Sub(time.Unix(0, last)) > s.cfg.InactivityTimeout {
		s.log.Warn("rtp stopped: ending session", "silent_for", now.Sub(time.Unix(0, last)).Round(time.Millisecond).String())
		s.end(EndRTPTimeout)
	}
}

// sampleRing is a small FIFO of samples (what we sent, waiting for the recorder); it drops the oldest on overflow.
type sampleRing struct {
	buf  [2048]int16
	r, n int
}

func (q *sampleRing) write(p []int16) {
	for _, v := range p {
		if q.n == len(q.buf) {
			q.r = (q.r + 1) % len(q.buf)
			q.n--
		}
		q.buf[(q.r+q.n)%len(q.buf)] = v
		q.n++
	}
}

// read fills p, with silence where the ring runs short.
func (q *sampleRing) read(p []int16) {
	for i := range p {
		if q.n == 0 {
			p[i] = 0
			continue
		}
		p[i] = q.buf[q.r]
		q.r = (q.r + 1) % len(q.buf)
		q.n--
	}
}

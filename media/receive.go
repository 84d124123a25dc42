package media

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// readRTP is the packet reader: it never blocks on anything but the socket.
func (s *Session) readRTP() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, src, err := s.rtpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			if errors.Is(err, net.ErrClosed) {
				s.log.Error("rtp socket closed under the session", "err", err)
				s.end(EndSocketError)
				return
			}
			continue // transient (e.g. an ICMP error surfaced on the socket)
		}
		// A socket bound to the unspecified address is dual-stack: compare IPv4 peers in their plain form.
		s.handleRTP(buf[:n], netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), time.Now())
	}
}

// handleRTP processes one datagram from the RTP socket. It allocates nothing for valid audio packets.
func (s *Session) handleRTP(b []byte, src netip.AddrPort, now time.Time) {
	if len(b) < 12 || b[0]>>6 != 2 {
		s.countGarbage()
		return
	}
	if pt := b[1] & 0x7f; pt >= 64 && pt <= 95 {
		// RTCP multiplexed on the RTP port (RFC 5761): reports are not needed from here, so just skip them.
		return
	}
	if err := s.pkt.Unmarshal(b); err != nil {
		s.countGarbage()
		return
	}
	p := &s.pkt
	nowNs := now.UnixNano()

	s.mu.Lock()
	// Symmetric RTP: follow the source of the peer's packets; ignore strangers while it is talking.
	if !s.latched.IsValid() {
		s.latched = src
		s.lastLatched = now
		s.mu.Unlock()
		s.log.Info("rtp source latched", "source", src.String())
		s.mu.Lock()
	} else if src != s.latched {
		// Another source takes over when it is the signalled address (packets still in flight from before a
		// re-INVITE must not hold the latch) or when the latched one has gone quiet.
		if src != s.remote.Addr && now.Sub(s.lastLatched) < relatchAfter {
			s.garbage++
			s.mu.Unlock()
			if s.m != nil {
				s.m.garbage.Inc()
			}
			return
		}
		old := s.latched
		s.latched = src
		s.mu.Unlock()
		s.log.Info("rtp source changed", "from", old.String(), "to", src.String())
		s.mu.Lock()
	}
	s.lastLatched = now
	s.received++
	s.lastPacket.Store(nowNs)

	// Audio is decoded by its static payload type (0 PCMU, 8 PCMA, whatever was negotiated); telephone-events
	// become key presses; comfort noise (13) and anything else count as activity and in the sequence accounting,
	// and the jitter buffer conceals, then fades to silence, where they replace audio.
	pt := p.PayloadType
	var codec Codec
	audio := false
	switch {
	case pt == PCMU.PayloadType:
		codec, audio = PCMU, true
	case pt == PCMA.PayloadType:
		codec, audio = PCMA, true
	}
	isDTMF := !audio && s.remote.DTMFPayloadType != 0 && pt == s.remote.DTMFPayloadType
	lateBefore, dupBefore := s.jb.late, s.jb.duplicates
	res := s.jb.push(p.SequenceNumber, p.Timestamp, p.SSRC, audio, p.Payload, codec, nowNs)
	var fwd func([]byte, uint8, uint32, bool)
	if audio && res == pushInOrder {
		fwd = s.forward
	}
	var digit DTMF
	var haveDigit bool
	if isDTMF && res != pushDuplicate {
		if ev, err := ParseTelephoneEvent(p.Payload); err == nil {
			digit, haveDigit = s.dtmfDet.packet(p.Timestamp, ev, now)
		}
	}
	late, dup := s.jb.late-lateBefore, s.jb.duplicates-dupBefore
	s.mu.Unlock()

	if s.m != nil {
		s.m.packetsIn.Inc()
		if late > 0 {
			s.m.late.Inc()
		}
		if dup > 0 {
			s.m.duplicates.Inc()
		}
	}
	if fwd != nil {
		fwd(p.Payload, pt, p.Timestamp, p.Marker)
	}
	if haveDigit {
		s.emitDTMF(digit)
	}
}

func (s *Session) countGarbage() {
	s.mu.Lock()
	s.garbage++
	s.mu.Unlock()
	if s.m != nil {
		s.m.garbage.Inc()
	}
}

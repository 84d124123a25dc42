package media

import (
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/pion/rtcp"
)

// readRTCP reads the peer's reports: sender reports give the LSR/DLSR fields of ours. RTCP does not count as
// activity for the RTP timeouts: a peer's RTCP stack often keeps reporting after its media source has gone, and
// the timers exist to find calls without media.
func (s *Session) readRTCP() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, src, err := s.rtcpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.handleRTCP(buf[:n], netip.AddrPortFrom(src.Addr().Unmap(), src.Port()), time.Now())
	}
}

func (s *Session) handleRTCP(b []byte, src netip.AddrPort, now time.Time) {
	pkts, err := rtcp.Unmarshal(b)
	if err != nil {
		s.countGarbage()
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latched.IsValid() && src.Addr() != s.latched.Addr() {
		s.garbage++
		return
	}
	s.rtcpLatched = src
	for _, p := range pkts {
		if sr, ok := p.(*rtcp.SenderReport); ok {
			s.lsr = uint32(sr.NTPTime >> 16)
			s.lsrAt = now
		}
	}
}

// sendRTCP sends a compound report: a sender report when we have sent RTP (else a receiver report) with a
// reception report block for the peer's stream, and an SDES CNAME.
func (s *Session) sendRTCP(now time.Time) {
	s.mu.Lock()
	dst := s.rtcpLatched
	if !dst.IsValid() {
		if t := s.sendTarget(); t.IsValid() {
			dst = netip.AddrPortFrom(t.Addr(), t.Port()+1)
		}
	}
	var reports []rtcp.ReceptionReport
	if s.jb.started && s.received > 0 {
		rr := rtcp.ReceptionReport{
			SSRC:               s.jb.ssrc,
			FractionLost:       s.jb.fractionLost(),
			TotalLost:          uint32(min(s.jb.lost(), 0x7FFFFF)),
			LastSequenceNumber: uint32(s.jb.maxSeq),
			Jitter:             uint32(s.jb.jitterNs / float64(nsPerSample)),
			LastSenderReport:   s.lsr,
		}
		if s.lsr != 0 {
			rr.Delay = uint32(now.Sub(s.lsrAt).Seconds() * 65536)
		}
		reports = append(reports, rr)
		s.m.observeJitter(s.jb.jitterNs / 1e9)
	}
	s.mu.Unlock()
	if !dst.IsValid() {
		return
	}
	s.sendMu.Lock()
	ssrc, sent, octets, lastTS, lastAt := s.ssrc, s.sentPackets, s.sentOctets, s.lastSentTS, s.lastSentAt
	s.sendMu.Unlock()
	var first rtcp.Packet
	if sent > 0 {
		rtpNow := lastTS + uint32(now.Sub(lastAt)*SampleRate/time.Second)
		first = &rtcp.SenderReport{SSRC: ssrc, NTPTime: ntpTime(now), RTPTime: rtpNow,
			PacketCount: uint32(sent), OctetCount: uint32(octets), Reports: reports}
	} else {
		first = &rtcp.ReceiverReport{SSRC: ssrc, Reports: reports}
	}
	sdes := &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{
		Source: ssrc,
		Items:  []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "hotline-" + s.callID}},
	}}}
	b, err := rtcp.Marshal([]rtcp.Packet{first, sdes})
	if err != nil {
		s.log.Debug("rtcp marshal", "err", err)
		return
	}
	s.rtcpConn.WriteToUDPAddrPort(b, dst)
}

// ntpTime converts t to the 64-bit NTP timestamp format.
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800 // seconds from 1900 to 1970
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

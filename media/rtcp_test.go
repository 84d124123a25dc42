package media

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// listenPair binds two UDP sockets on consecutive loopback ports (RTP on the even one), like a real peer.
func listenPair(t *testing.T) (rtpConn, rtcpConn *net.UDPConn) {
	t.Helper()
	for port := 43000; port < 44000; port += 2 {
		a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			continue
		}
		b, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port + 1})
		if err != nil {
			a.Close()
			continue
		}
		t.Cleanup(func() { a.Close(); b.Close() })
		return a, b
	}
	t.Fatal("no free port pair")
	return nil, nil
}

func TestRTCPReportsDescribeBothDirections(t *testing.T) {
	pool := newPool(t, testConfig()) // reports every 200 ms
	s := open(t, pool, "rtcp")
	peerRTP, peerRTCP := listenPair(t)
	s.SetRemote(Remote{Addr: peerRTP.LocalAddr().(*net.UDPAddr).AddrPort(), Codec: PCMU})
	s.Start(context.Background())

	// The peer sends 20 packets, losing seq 105.
	const peerSSRC = 0xCAFE
	for i := 0; i < 20; i++ {
		if i == 5 {
			continue
		}
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(100 + i), Timestamp: uint32(i * 160), SSRC: peerSSRC},
			Payload: make([]byte, 160)}).Marshal()
		peerRTP.WriteToUDPAddrPort(b, s.LocalAddr())
		time.Sleep(20 * time.Millisecond)
	}
	// And a sender report of its own, whose NTP time must come back as LSR.
	sr, _ := rtcp.Marshal([]rtcp.Packet{&rtcp.SenderReport{SSRC: peerSSRC, NTPTime: 0x1122334455667788}})
	peerRTCP.WriteToUDPAddrPort(sr, netipPlus1(s))

	buf := make([]byte, 1500)
	var last rtcp.ReceptionReport
	peerRTCP.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		n, err := peerRTCP.Read(buf)
		if err != nil {
			t.Fatalf("no report covering the whole stream and our sender report arrived (last %+v): %v", last, err)
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			t.Fatalf("session sent RTCP pion cannot parse: %v", err)
		}
		report, ok := pkts[0].(*rtcp.SenderReport)
		if !ok {
			t.Fatalf("first packet %T, want a sender report (we send RTP)", pkts[0])
		}
		if len(pkts) < 2 {
			t.Fatal("compound packet without SDES")
		}
		if _, ok := pkts[1].(*rtcp.SourceDescription); !ok {
			t.Fatalf("second packet %T, want SDES", pkts[1])
		}
		if report.PacketCount == 0 || len(report.Reports) != 1 {
			t.Fatalf("sender report %+v", report)
		}
		rr := report.Reports[0]
		if rr.SSRC != peerSSRC {
			t.Fatalf("reception report about SSRC %x, want %x", rr.SSRC, peerSSRC)
		}
		last = rr
		if rr.LastSequenceNumber != 119 || rr.LastSenderReport == 0 {
			continue // an earlier report, sent while the peer was still sending
		}
		if rr.TotalLost != 1 || rr.LastSenderReport != 0x33445566 || rr.Delay == 0 || rr.Delay > 65536 {
			t.Errorf("reception report %+v, want 1 lost, LSR 0x33445566 and a DLSR under a second", rr)
		}
		return
	}
}

func netipPlus1(s *Session) netip.AddrPort {
	l := s.LocalAddr()
	return netip.AddrPortFrom(l.Addr(), l.Port()+1)
}

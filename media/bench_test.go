package media

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// BenchmarkReceiveToFrame measures the receive path per packet: RTP parse, latching, sequence accounting, jitter
// buffer with G.711 decoding, playout of the 20 ms frame with concealment state, and delivery to a subscriber.
func BenchmarkReceiveToFrame(b *testing.B) {
	pool := newPool(b, testConfig())
	s := open(b, pool, "bench")
	s.SetRemote(Remote{Addr: netip.MustParseAddrPort("127.0.0.1:9"), Codec: PCMU})
	frames := s.Subscribe("bench")
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 42},
		Payload: EncodeSamples(PCMU, tone(300, FrameDuration), nil)}).Marshal()
	src := netip.MustParseAddrPort("127.0.0.1:5004")
	now := time.Now()
	var f Frame
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint16(pkt[2:], uint16(i))
		binary.BigEndian.PutUint32(pkt[4:], uint32(i*FrameSamples))
		now = now.Add(FrameDuration)
		s.handleRTP(pkt, src, now)
		s.mu.Lock()
		ok := s.jb.pull(now.UnixNano(), &f)
		s.mu.Unlock()
		if ok {
			s.deliver(&f)
			<-frames
		}
	}
}

// BenchmarkReceiveLoopbackUDP is the same path with the packet going through a real loopback UDP socket.
func BenchmarkReceiveLoopbackUDP(b *testing.B) {
	pool := newPool(b, testConfig())
	s := open(b, pool, "bench-udp")
	s.SetRemote(Remote{Addr: netip.MustParseAddrPort("127.0.0.1:9"), Codec: PCMU})
	sender, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer sender.Close()
	pkt, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SSRC: 42},
		Payload: EncodeSamples(PCMU, tone(300, FrameDuration), nil)}).Marshal()
	buf := make([]byte, 1500)
	dst := s.LocalAddr()
	now := time.Now()
	var f Frame
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint16(pkt[2:], uint16(i))
		binary.BigEndian.PutUint32(pkt[4:], uint32(i*FrameSamples))
		if _, err := sender.WriteToUDPAddrPort(pkt, dst); err != nil {
			b.Fatal(err)
		}
		n, from, err := s.rtpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			b.Fatal(err)
		}
		now = now.Add(FrameDuration)
		s.handleRTP(buf[:n], from, now)
		s.mu.Lock()
		s.jb.pull(now.UnixNano(), &f)
		s.mu.Unlock()
	}
}

// BenchmarkSendFrame measures one 20 ms tick of the send path: playback read, G.711 encoding, RTP marshal, UDP send.
func BenchmarkSendFrame(b *testing.B) {
	pool := newPool(b, testConfig())
	s := open(b, pool, "bench-send")
	sink := newRawPeer(b)
	s.SetRemote(Remote{Addr: sink.addr(), Codec: PCMU})
	var f Frame
	now := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(FrameDuration)
		s.produce(now, &f)
	}
}

// BenchmarkActiveSessionMemory opens pairs of sessions exchanging audio and reports heap bytes and goroutines per
// active session.
func BenchmarkActiveSessionMemory(b *testing.B) {
	const pairs = 50
	for i := 0; i < b.N; i++ {
		pool := newPool(b, testConfig())
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		var all []*Session
		for j := 0; j < pairs; j++ {
			x, _ := pool.Open("mem-a")
			y, _ := pool.Open("mem-b")
			x.SetRemote(Remote{Addr: y.LocalAddr(), Codec: PCMU})
			y.SetRemote(Remote{Addr: x.LocalAddr(), Codec: PCMU})
			x.Start(ctx)
			y.Start(ctx)
			y.Subscribe("asr")
			all = append(all, x, y)
		}
		time.Sleep(300 * time.Millisecond)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/float64(2*pairs), "heap-bytes/session")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0)/float64(2*pairs), "goroutines/session")
		// CPU: both directions carry 50 packets/s of audio; one subscriber per call drains nothing (drops).
		cpu0, wall0 := cpuTime(), time.Now()
		time.Sleep(2 * time.Second)
		b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Since(wall0))*100/float64(2*pairs), "cpu%/session")
		cancel()
		for _, s := range all {
			s.Close()
		}
	}
}

// BenchmarkResample44k1To8k resamples one second of 44.1 kHz audio to 8 kHz per operation.
func BenchmarkResample44k1To8k(b *testing.B) {
	in := sine(1000, 44100, 44100, 0.5)
	b.SetBytes(int64(len(in) * 4))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Resample(in, 44100, 8000)
	}
}

// BenchmarkResample8kTo16k resamples one second of 8 kHz audio to 16 kHz per operation.
func BenchmarkResample8kTo16k(b *testing.B) {
	in := sine(1000, 8000, 8000, 0.5)
	b.SetBytes(int64(len(in) * 4))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Resample(in, 8000, 16000)
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkResamplerFrame8kTo16k converts one 20 ms frame per operation with the streaming Resampler (the shape
// of feeding a 16 kHz recogniser from the call).
func BenchmarkResamplerFrame8kTo16k(b *testing.B) {
	r, _ := NewResampler(8000, 16000)
	in := sine(1000, 8000, FrameSamples, 0.5)
	out := make([]float32, 0, 2*FrameSamples+8)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		out = r.Process(in, out[:0])
	}
}

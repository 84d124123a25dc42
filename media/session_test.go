package media

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// testConfig uses its own port range (away from the default one other packages' tests use) and short timers.
func testConfig() Config {
	c := DefaultConfig()
	c.PortMin, c.PortMax = 41000, 41999
	c.Drain = 50 * time.Millisecond
	c.RTCPInterval = 200 * time.Millisecond
	return c
}

func newPool(t testing.TB, cfg Config) *PortPool {
	t.Helper()
	p, err := NewPortPool(cfg, NewMetrics(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func open(t testing.TB, p *PortPool, id string) *Session {
	t.Helper()
	s, err := p.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pair opens two started sessions sending PCMU to each other, with telephone-event on payload type 101.
func pair(t testing.TB, p *PortPool) (a, b *Session) {
	t.Helper()
	a, b = open(t, p, "call-a"), open(t, p, "call-b")
	a.SetRemote(Remote{Addr: b.LocalAddr(), Codec: PCMU, DTMFPayloadType: 101})
	b.SetRemote(Remote{Addr: a.LocalAddr(), Codec: PCMU, DTMFPayloadType: 101})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func tone(freq float64, d time.Duration) []int16 {
	n := int(d * SampleRate / time.Second)
	return FloatToPCM(sine(freq, SampleRate, n, 0.3))
}

func frameLevel(f *Frame) float64 {
	var e float64
	for _, v := range f {
		e += float64(v) * float64(v)
	}
	return math.Sqrt(e / FrameSamples)
}

// collect reads frames from ch until d has passed.
func collect(ch <-chan Frame, d time.Duration) []Frame {
	var out []Frame
	deadline := time.After(d)
	for {
		select {
		case f, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, f)
		case <-deadline:
			return out
		}
	}
}

func TestPlaybackArrivesAtThePeerAsFrames(t *testing.T) {
	pool := newPool(t, testConfig())
	a, b := pair(t, pool)
	frames := b.Subscribe("test")
	var startedAt time.Time
	var mu sync.Mutex
	began := time.Now()
	err := a.Play(context.Background(), NewPCMSource(tone(440, time.Second)), OnPlayStart(func(at time.Time) {
		mu.Lock()
		startedAt = at
		mu.Unlock()
	}))
	if err != nil {
		t.Fatalf("Play: %v", err)
	}
	if el := time.Since(began); el < 900*time.Millisecond || el > 3*time.Second {
		t.Errorf("Play of 1 s took %v", el)
	}
	mu.Lock()
	if startedAt.IsZero() || !a.LastPlayStart().Equal(startedAt) || startedAt.Sub(began) > 500*time.Millisecond {
		t.Errorf("play start %v (LastPlayStart %v), want soon after %v", startedAt, a.LastPlayStart(), began)
	}
	mu.Unlock()
	got := collect(frames, 300*time.Millisecond)
	var pcm []float32
	loud := 0
	for i := range got {
		if frameLevel(&got[i]) > 3000 {
			loud++
		}
		for _, v := range got[i] {
			pcm = append(pcm, float32(v)/32768)
		}
	}
	if loud < 45 || loud > 52 {
		t.Errorf("%d loud frames, want about 50 (1 s of tone)", loud)
	}
	if l := level(pcm, 440, SampleRate); l < 0.1 {
		t.Errorf("440 Hz level %.3f in the received audio, want about 0.3*(50/%d)", l, len(got))
	}
	st := b.Stats()
	if st.RTPReceived < 50 || st.Lost != 0 || st.Late > 3 || st.JitterMs > 20 { // a busy machine may delay a packet past the 20 ms start delay
		t.Errorf("receiver stats %+v", st)
	}
}

// rawPeer is a plain UDP socket standing in for a far end whose packets we want to inspect.
type rawPeer struct {
	conn *net.UDPConn
}

func newRawPeer(t testing.TB) *rawPeer {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawPeer{conn: c}
}

func (r *rawPeer) addr() netip.AddrPort { return r.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// read returns the RTP packets received within d.
func (r *rawPeer) read(t testing.TB, d time.Duration) []rtp.Packet {
	var out []rtp.Packet
	buf := make([]byte, 1500)
	r.conn.SetReadDeadline(time.Now().Add(d))
	for {
		n, err := r.conn.Read(buf)
		if err != nil {
			return out
		}
		var p rtp.Packet
		if err := p.Unmarshal(append([]byte(nil), buf[:n]...)); err != nil {
			t.Errorf("session sent a packet pion cannot parse: %v", err)
			continue
		}
		out = append(out, p)
	}
}

func isSilence(payload []byte) bool {
	for _, b := range payload {
		if b != 0xFF && b != 0x7F {
			return false
		}
	}
	return true
}

func TestPlaybackTimestampsSequenceAndMarker(t *testing.T) {
	for _, ptime := range []int{20, 40, 10} {
		t.Run("ptime "+time.Duration(ptime*int(time.Millisecond)).String(), func(t *testing.T) {
			pool := newPool(t, testConfig())
			s := open(t, pool, "ts")
			peer := newRawPeer(t)
			s.SetRemote(Remote{Addr: peer.addr(), Codec: PCMU, PtimeMs: ptime})
			if err := s.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			go func() {
				time.Sleep(100 * time.Millisecond)
				s.Play(context.Background(), NewPCMSource(tone(500, 200*time.Millisecond)))
				time.Sleep(100 * time.Millisecond)
				s.Play(context.Background(), NewPCMSource(tone(700, 200*time.Millisecond)))
			}()
			pkts := peer.read(t, 900*time.Millisecond)
			if len(pkts) < 600/ptime {
				t.Fatalf("%d packets in 0.9 s, want about %d", len(pkts), 900/ptime)
			}
			per := uint32(ptime * 8)
			prompts, markers := 0, 0
			for i, p := range pkts {
				if len(p.Payload) != int(per) || p.PayloadType != 0 {
					t.Fatalf("packet %d: %d bytes of PT %d, want %d of PCMU", i, len(p.Payload), p.PayloadType, per)
				}
				if p.Marker {
					markers++
				}
				if i == 0 {
					if !p.Marker {
						t.Error("first packet without marker bit")
					}
					continue
				}
				prev := pkts[i-1]
				if p.SequenceNumber != prev.SequenceNumber+1 || p.Timestamp != prev.Timestamp+per || p.SSRC != prev.SSRC {
					t.Errorf("packet %d: seq %d ts %d after seq %d ts %d: want consecutive, +%d", i, p.SequenceNumber, p.Timestamp, prev.SequenceNumber, prev.Timestamp, per)
				}
				if isSilence(prev.Payload) && !isSilence(p.Payload) {
					prompts++
					if !p.Marker {
						t.Errorf("packet %d starts a prompt without the marker bit", i)
					}
				}
			}
			if prompts != 2 || markers != 3 {
				t.Errorf("%d prompts, %d markers: want 2 prompts and 3 markers (stream start and each prompt)", prompts, markers)
			}
		})
	}
}

func TestCancellingPlayStopsTheSoundWithinAFrame(t *testing.T) {
	pool := newPool(t, testConfig())
	s := open(t, pool, "barge")
	peer := newRawPeer(t)
	s.SetRemote(Remote{Addr: peer.addr(), Codec: PCMA})
	s.Start(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Play(ctx, NewPCMSource(tone(440, 10*time.Second))) }()
	peer.read(t, 300*time.Millisecond)
	cancel()
	cancelled := time.Now()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Play returned %v, want context.Canceled", err)
		}
		if d := time.Since(cancelled); d > 50*time.Millisecond {
			t.Errorf("Play returned %v after cancel", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Play did not return after cancel")
	}
	pkts := peer.read(t, 200*time.Millisecond)
	loud := 0
	for i, p := range pkts {
		if p.PayloadType != 8 {
			t.Fatalf("PT %d, want 8 (PCMA)", p.PayloadType)
		}
		silent := true
		for _, b := range p.Payload {
			if b != 0xD5 && b != 0x55 {
				silent = false
			}
		}
		if !silent {
			loud++
			if i > 2 {
				t.Errorf("packet %d after cancel still carries the prompt", i)
			}
		}
	}
}

func TestDTMFTravelsAsRFC4733EventsAndFromInjection(t *testing.T) {
	pool := newPool(t, testConfig())
	a, b := pair(t, pool)
	if err := a.SendDTMF(context.Background(), "1234#*", 80*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var got []DTMF
	timeout := time.After(2 * time.Second)
	for len(got) < 7 {
		if len(got) == 6 {
			b.InjectDTMF(DTMF{Digit: '9'})
		}
		select {
		case d := <-b.DTMF():
			got = append(got, d)
		case <-timeout:
			t.Fatalf("got %d key presses, want 7: %+v", len(got), got)
		}
	}
	s := ""
	for i, d := range got {
		s += string(d.Digit)
		if i < 6 && (d.Source != DTMFSourceRFC4733 || d.Duration < 80*time.Millisecond || d.Duration > 100*time.Millisecond) {
			t.Errorf("key %c: source %s duration %v, want rfc4733 of 80ms", d.Digit, d.Source, d.Duration)
		}
	}
	if s != "1234#*9" || got[6].Source != DTMFSourceInfo {
		t.Errorf("keys %q (last from %s), want 1234#*9 (last from info)", s, got[6].Source)
	}
	select {
	case d := <-b.DTMF():
		t.Errorf("extra key press %+v (end retransmissions must not repeat a key)", d)
	case <-time.After(200 * time.Millisecond):
	}
	b.SetRemote(Remote{Addr: a.LocalAddr(), Codec: PCMU})
	if err := b.SendDTMF(context.Background(), "1", 0); !errors.Is(err, ErrNoDTMF) {
		t.Errorf("SendDTMF without telephone-event: %v, want ErrNoDTMF", err)
	}
	if err := a.SendDTMF(context.Background(), "1x", 0); err == nil {
		t.Error("SendDTMF accepted digit x")
	}
}

func TestSymmetricRTPFollowsTheSourceOfThePeersPackets(t *testing.T) {
	pool := newPool(t, testConfig())
	a, b := open(t, pool, "nat-a"), open(t, pool, "nat-b")
	decoy := newRawPeer(t) // where b's SDP says to send (the peer's private address behind NAT)
	a.SetRemote(Remote{Addr: b.LocalAddr(), Codec: PCMU})
	b.SetRemote(Remote{Addr: decoy.addr(), Codec: PCMU})
	b.Start(context.Background())
	time.Sleep(100 * time.Millisecond) // b sends a few packets to the decoy first
	a.Start(context.Background())
	frames := a.Subscribe("nat")
	decoyPkts := len(decoy.read(t, 500*time.Millisecond))
	if decoyPkts == 0 {
		t.Error("b never sent to its SDP address")
	}
	late := len(decoy.read(t, 300*time.Millisecond))
	if late != 0 {
		t.Errorf("b still sends to the SDP address after latching (%d packets)", late)
	}
	if got := collect(frames, 300*time.Millisecond); len(got) < 5 {
		t.Errorf("a received %d frames from b, want b to answer to a's source", len(got))
	}
}

func TestHoldStopsSendingAndPausesTheTimeouts(t *testing.T) {
	cfg := testConfig()
	cfg.InactivityTimeout = 300 * time.Millisecond
	cfg.FirstPacketTimeout = 300 * time.Millisecond
	pool := newPool(t, cfg)
	a, b := pair(t, pool)
	time.Sleep(100 * time.Millisecond)
	a.SetDirection(Inactive)
	b.SetDirection(RecvOnly)
	time.Sleep(50 * time.Millisecond)
	sentA := a.Stats().RTPSent
	time.Sleep(700 * time.Millisecond)
	if got := a.Stats().RTPSent; got != sentA {
		t.Errorf("a sent %d packets while inactive", got-sentA)
	}
	if a.EndCause() != "" || b.EndCause() != "" {
		t.Fatalf("sessions ended on hold: %q %q", a.EndCause(), b.EndCause())
	}
	a.SetDirection(SendRecv)
	b.SetDirection(SendRecv)
	time.Sleep(700 * time.Millisecond)
	if a.EndCause() != "" || b.EndCause() != "" {
		t.Fatalf("sessions ended after resume: %q %q", a.EndCause(), b.EndCause())
	}
	if a.Stats().RTPSent < sentA+20 {
		t.Error("a did not resume sending")
	}
	a.Close()
	select {
	case <-b.Done():
		if b.EndCause() != EndRTPTimeout {
			t.Errorf("b ended with %q, want %q", b.EndCause(), EndRTPTimeout)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("b did not time out after a went away")
	}
}

func TestNoRTPAtAllEndsTheSessionWithRTPTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.FirstPacketTimeout = 200 * time.Millisecond
	pool := newPool(t, cfg)
	s := open(t, pool, "silent")
	s.SetRemote(Remote{Addr: newRawPeer(t).addr(), Codec: PCMU})
	frames := s.Subscribe("x")
	dtmf := s.DTMF()
	start := time.Now()
	s.Start(context.Background())
	select {
	case <-s.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("session did not end")
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("ended after %v, before the 200ms timeout", d)
	}
	if s.EndCause() != EndRTPTimeout {
		t.Errorf("cause %q, want %q", s.EndCause(), EndRTPTimeout)
	}
	if _, ok := <-frames; ok {
		t.Error("subscriber channel not closed")
	}
	if _, ok := <-dtmf; ok {
		t.Error("DTMF channel not closed")
	}
	if err := s.Play(context.Background(), NewPCMSource(tone(300, time.Second))); !errors.Is(err, ErrClosed) {
		t.Errorf("Play after the end: %v, want ErrClosed", err)
	}
}

func TestCancellingTheStartContextEndsTheSession(t *testing.T) {
	pool := newPool(t, testConfig())
	s := open(t, pool, "ctx")
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	cancel()
	select {
	case <-s.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("session did not end on cancel")
	}
	if s.EndCause() != EndCanceled {
		t.Errorf("cause %q", s.EndCause())
	}
	s.Close() // idempotent
}

func TestGarbageDatagramsAreCountedAndIgnored(t *testing.T) {
	pool := newPool(t, testConfig())
	a, b := open(t, pool, "g-a"), open(t, pool, "g-b")
	a.SetRemote(Remote{Addr: b.LocalAddr(), Codec: PCMU})
	b.SetRemote(Remote{Addr: a.LocalAddr(), Codec: PCMU})
	b.Start(context.Background())
	junk := newRawPeer(t)
	valid := make([]byte, 12)
	valid[0] = 0x80
	badPadding := append([]byte{0xA0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}, 0) // padding bit, padding length 0
	garbage := [][]byte{
		{},
		{0x80, 0},
		[]byte("INVITE sip:bot@example.com SIP/2.0\r\n\r\n"),
		append([]byte{0x40}, valid[1:]...), // version 1
		badPadding,
		append([]byte{0x8F}, valid[1:]...), // 15 CSRCs announced, none present
		append([]byte{0x90}, valid[1:]...), // extension announced, none present
	}
	for i := 0; i < 50; i++ {
		for _, g := range garbage {
			junk.conn.WriteToUDPAddrPort(g, b.LocalAddr())
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if g := b.Stats().Garbage; g < 250 {
		t.Errorf("garbage count %d, want nearly all of the 300 non-empty invalid datagrams sent", g)
	}
	if r := b.Stats().RTPReceived; r != 0 {
		t.Errorf("%d garbage datagrams taken for RTP", r)
	}
	frames := b.Subscribe("after")
	a.Start(context.Background())
	go a.Play(context.Background(), NewPCMSource(tone(440, 500*time.Millisecond)))
	got := collect(frames, 600*time.Millisecond)
	loud := 0
	for i := range got {
		if frameLevel(&got[i]) > 3000 {
			loud++
		}
	}
	if loud < 15 {
		t.Errorf("%d loud frames after the garbage, want the audio to flow", loud)
	}
}

func TestPassThroughForwardsPayloadsBothWays(t *testing.T) {
	pool := newPool(t, testConfig())
	a, b := pair(t, pool)
	type fwd struct {
		payload []byte
		ts      uint32
	}
	ch := make(chan fwd, 200)
	b.SetForward(func(payload []byte, pt uint8, ts uint32, marker bool) {
		if pt != 0 {
			t.Errorf("forwarded PT %d", pt)
		}
		select {
		case ch <- fwd{append([]byte(nil), payload...), ts}:
		default:
		}
	})
	go a.Play(context.Background(), NewPCMSource(tone(440, 400*time.Millisecond)))
	back := a.Subscribe("back")
	// Echo what b receives straight back to a, as the WebRTC bridge does with the agent's audio.
	deadline := time.After(800 * time.Millisecond)
	n := 0
	var lastTS uint32
loop:
	for {
		select {
		case f := <-ch:
			if n > 0 && f.ts != lastTS+160 {
				t.Errorf("forwarded ts %d after %d", f.ts, lastTS)
			}
			lastTS = f.ts
			n++
			if err := b.SendPayload(f.payload, 160); err != nil {
				t.Fatal(err)
			}
		case <-deadline:
			break loop
		}
	}
	b.SetForward(nil)
	if n < 35 {
		t.Errorf("%d packets forwarded in 0.8 s, want about 40", n)
	}
	loud := 0
	for _, f := range collect(back, 300*time.Millisecond) {
		if frameLevel(&f) > 3000 {
			loud++
		}
	}
	if loud < 15 {
		t.Errorf("a heard %d loud frames of its own tone echoed through b's pass-through, want about 20", loud)
	}
}

func TestRecordingIsStereoWithTheCallerOnTheLeft(t *testing.T) {
	pool := newPool(t, testConfig())
	a, b := pair(t, pool)
	path := filepath.Join(t.TempDir(), "call.wav")
	if err := b.Record(path); err != nil {
		t.Fatal(err)
	}
	sentByB := b.SubscribeSent("qa")
	a.Play(context.Background(), NewPCMSource(tone(440, 600*time.Millisecond)))
	b.Play(context.Background(), NewPCMSource(tone(1000, 300*time.Millisecond)))
	time.Sleep(100 * time.Millisecond)
	b.Close()
	var sent []float32
	for f := range sentByB {
		for _, v := range f {
			sent = append(sent, float32(v)/32768)
		}
	}
	if l := level(sent, 1000, SampleRate); l < 0.05 || len(sent) < 40*FrameSamples {
		t.Errorf("SubscribeSent gave %d samples with 1 kHz at %.3f, want b's prompt", len(sent), l)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 44 || binary.LittleEndian.Uint16(data[22:]) != 2 || binary.LittleEndian.Uint32(data[24:]) != 8000 ||
		int(binary.LittleEndian.Uint32(data[40:])) != len(data)-44 {
		t.Fatalf("not a finished 8 kHz stereo WAV (%d bytes)", len(data))
	}
	var left, right []float32
	for i := 44; i+4 <= len(data); i += 4 {
		left = append(left, float32(int16(binary.LittleEndian.Uint16(data[i:])))/32768)
		right = append(right, float32(int16(binary.LittleEndian.Uint16(data[i+2:])))/32768)
	}
	if d := float64(len(left)) / SampleRate; d < 0.9 || d > 1.5 {
		t.Errorf("recording lasts %.2f s, want about 1.0", d)
	}
	l440, l1k := level(left, 440, SampleRate), level(left, 1000, SampleRate)
	r440, r1k := level(right, 440, SampleRate), level(right, 1000, SampleRate)
	if l440 < 5*l1k || r1k < 5*r440 || l440 < 0.05 || r1k < 0.05 {
		t.Errorf("left 440 Hz %.3f / 1 kHz %.3f, right 440 Hz %.3f / 1 kHz %.3f: want the caller's 440 Hz left, ours 1 kHz right", l440, l1k, r440, r1k)
	}
}

func TestNewRemoteAddressIsFollowed(t *testing.T) {
	pool := newPool(t, testConfig())
	a, b := pair(t, pool)
	c := open(t, pool, "call-c")
	c.SetRemote(Remote{Addr: b.LocalAddr(), Codec: PCMA})
	c.Start(context.Background())
	frames := c.Subscribe("c")
	time.Sleep(100 * time.Millisecond)
	a.Close()
	b.SetRemote(Remote{Addr: c.LocalAddr(), Codec: PCMA}) // re-INVITE: the call moved to c, with another codec
	go b.Play(context.Background(), NewPCMSource(tone(440, 400*time.Millisecond)))
	loud := 0
	for _, f := range collect(frames, 600*time.Millisecond) {
		if frameLevel(&f) > 3000 {
			loud++
		}
	}
	if loud < 15 {
		t.Errorf("c heard %d loud frames, want b's prompt after the re-INVITE\nb: %+v\nc: %+v", loud, b.Stats(), c.Stats())
	}
}

func openFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(ents)
}

func TestClosingSessionsLeavesNoGoroutineSocketOrPort(t *testing.T) {
	cfg := testConfig()
	cfg.Drain = 100 * time.Millisecond
	pool := newPool(t, cfg)
	time.Sleep(50 * time.Millisecond)
	baseG, baseFD := runtime.NumGoroutine(), openFDs(t)
	var sessions []*Session
	for i := 0; i < 20; i++ {
		a, err := pool.Open("leak-a")
		if err != nil {
			t.Fatal(err)
		}
		b, err := pool.Open("leak-b")
		if err != nil {
			t.Fatal(err)
		}
		a.SetRemote(Remote{Addr: b.LocalAddr(), DTMFPayloadType: 101})
		b.SetRemote(Remote{Addr: a.LocalAddr(), DTMFPayloadType: 101})
		a.Start(context.Background())
		b.Start(context.Background())
		b.Subscribe("x")
		b.Record(filepath.Join(t.TempDir(), "r.wav"))
		go a.Play(context.Background(), NewPCMSource(tone(300, 5*time.Second)))
		sessions = append(sessions, a, b)
	}
	time.Sleep(300 * time.Millisecond)
	if got := pool.InUse(); got != 40 {
		t.Errorf("%d ports in use, want 40", got)
	}
	for _, s := range sessions {
		s.Close()
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		g, fd, ports := runtime.NumGoroutine(), openFDs(t), pool.InUse()
		if g <= baseG && fd <= baseFD && ports == 0 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("after close and drain: %d goroutines (baseline %d), %d fds (baseline %d), %d ports in use\n%s", g, baseG, fd, baseFD, ports, buf[:n])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestReleasedPortDrainsBeforeReuse(t *testing.T) {
	cfg := testConfig()
	cfg.PortMin, cfg.PortMax = 41900, 41903 // two port pairs
	cfg.Drain = 300 * time.Millisecond
	pool := newPool(t, cfg)
	a, err := pool.Open("first")
	if err != nil {
		t.Fatal(err)
	}
	first := a.LocalAddr()
	a.Close()
	b, err := pool.Open("second")
	if err != nil {
		t.Fatal(err)
	}
	if b.LocalAddr() == first {
		t.Fatal("a draining port was reused at once")
	}
	if _, err := pool.Open("third"); !errors.Is(err, ErrNoPorts) {
		t.Errorf("third Open with one port draining and one in use: %v, want ErrNoPorts", err)
	}
	// Stale packets to the draining port are swallowed.
	stale := newRawPeer(t)
	for i := 0; i < 10; i++ {
		stale.conn.WriteToUDPAddrPort([]byte{0x80, 0, 0, byte(i), 0, 0, 0, 0, 0, 0, 0, 1}, first)
	}
	time.Sleep(400 * time.Millisecond)
	c, err := pool.Open("fourth")
	if err != nil {
		t.Fatalf("after the drain: %v", err)
	}
	if c.LocalAddr() != first {
		t.Errorf("got port %v, want the drained %v back", c.LocalAddr(), first)
	}
	c.Close()
	b.Close()
}

func TestConfigValidateNamesTheKey(t *testing.T) {
	cases := []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.BindIP = "localhost" }, "media.bind_ip"},
		{func(c *Config) { c.PortMin = 30000; c.PortMax = 20000 }, "media.port_min"},
		{func(c *Config) { c.JitterMin = time.Second; c.JitterMax = 100 * time.Millisecond }, "media.jitter_min"},
		{func(c *Config) { c.QueueFrames = 0 }, "media.queue_frames"},
		{func(c *Config) { c.Drain = -time.Second }, "media.drain"},
		{func(c *Config) { c.PortMin, c.PortMax = 30001, 30002 }, "no even RTP port"},
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	for _, tc := range cases {
		c := DefaultConfig()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("error %v, want it to name %s", err, tc.want)
		}
	}
}

func contains(s, sub string) bool {
	return len(s) >= len(sub) && (s == sub || len(sub) == 0 || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestSessionsWorkOnEveryKindOfBindAddress(t *testing.T) {
	cases := []struct{ bind, public string }{
		{"127.0.0.1", ""},
		{"::1", ""},
	}
	for _, tc := range cases {
		t.Run(tc.bind, func(t *testing.T) {
			cfg := testConfig()
			cfg.BindIP, cfg.PublicIP = tc.bind, tc.public
			pool, err := NewPortPool(cfg, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			a, err := pool.Open("bind-a")
			if err != nil {
				t.Skipf("cannot bind %s: %v", tc.bind, err)
			}
			defer a.Close()
			b, err := pool.Open("bind-b")
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			a.SetRemote(Remote{Addr: b.SDPAddr(), DTMFPayloadType: 101})
			b.SetRemote(Remote{Addr: a.SDPAddr(), DTMFPayloadType: 101})
			frames := b.Subscribe("x")
			a.Start(context.Background())
			b.Start(context.Background())
			go a.Play(context.Background(), NewPCMSource(tone(440, 300*time.Millisecond)))
			loud := 0
			for _, f := range collect(frames, 500*time.Millisecond) {
				if frameLevel(&f) > 3000 {
					loud++
				}
			}
			if loud < 10 {
				t.Errorf("%d loud frames, want the prompt", loud)
			}
			if g := b.Stats().Garbage + a.Stats().Garbage; g != 0 {
				t.Errorf("%d packets taken for strangers", g)
			}
		})
	}
}

func TestConcurrentUseThenCloseNeitherPanicsNorHangs(t *testing.T) {
	pool := newPool(t, testConfig())
	a, b := pair(t, pool)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	run := func(f func(i int)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				f(i)
			}
		}()
	}
	run(func(i int) {
		pctx, c := context.WithTimeout(ctx, time.Duration(i%5)*15*time.Millisecond)
		a.Play(pctx, NewPCMSource(tone(300, 100*time.Millisecond)))
		c()
	})
	run(func(i int) { a.SendPayload(make([]byte, 160), 160); time.Sleep(7 * time.Millisecond) })
	run(func(i int) {
		dctx, c := context.WithTimeout(ctx, 50*time.Millisecond)
		a.SendDTMF(dctx, "12", 40*time.Millisecond)
		c()
	})
	run(func(i int) {
		a.SetDirection([]Direction{SendRecv, SendOnly, RecvOnly, Inactive}[i%4])
		b.SetRemote(Remote{Addr: a.LocalAddr(), Codec: []Codec{PCMU, PCMA}[i%2], DTMFPayloadType: 101, PtimeMs: 10 * (1 + i%4)})
		time.Sleep(5 * time.Millisecond)
	})
	run(func(i int) {
		ch := b.Subscribe("churn")
		time.Sleep(3 * time.Millisecond)
		b.Unsubscribe(ch)
		_ = a.Stats()
		_ = b.Stats()
		b.InjectDTMF(DTMF{Digit: '5'})
	})
	run(func(i int) {
		select {
		case <-b.DTMF():
		case <-time.After(10 * time.Millisecond):
		}
	})
	b.SetForward(func([]byte, uint8, uint32, bool) {})
	time.Sleep(500 * time.Millisecond)
	closed := make(chan struct{})
	go func() { a.Close(); b.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close hung under concurrent use")
	}
	wg.Wait()
}

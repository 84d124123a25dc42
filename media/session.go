package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// Direction is the media direction of the session as we put it in our SDP.
type Direction int

// Media directions (RFC 4566 / 3264 attributes, from our side).
const (
	SendRecv Direction = iota // normal call
	SendOnly                  // we send, the peer does not (we hold the peer, or it offered recvonly)
	RecvOnly                  // we receive only (the peer holds us: it offered sendonly)
	Inactive                  // neither side sends
)

func (d Direction) String() string {
	switch d {
	case SendRecv:
		return "sendrecv"
	case SendOnly:
		return "sendonly"
	case RecvOnly:
		return "recvonly"
	case Inactive:
		return "inactive"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// ParseDirection parses an SDP direction attribute name.
func ParseDirection(s string) (Direction, error) {
	for _, d := range []Direction{SendRecv, SendOnly, RecvOnly, Inactive} {
		if d.String() == s {
			return d, nil
		}
	}
	return SendRecv, fmt.Errorf("unknown media direction %q", s)
}

// sends reports whether we transmit in this direction.
func (d Direction) sends() bool { return d == SendRecv || d == SendOnly }

// Remote is what SDP negotiation tells us about the peer.
type Remote struct {
	Addr            netip.AddrPort // where to send RTP (RTCP goes to Addr's port + 1)
	Codec           Codec          // codec we send with (PCMU or PCMA); zero means PCMU
	DTMFPayloadType uint8          // telephone-event payload type; 0 = none
	PtimeMs         int            // packet duration 10..40 ms (rounded to 10); 0 = 20
}

// Stats are the session's counters so far.
type Stats struct {
	RTPSent       uint64            // packets sent (audio and DTMF)
	RTPReceived   uint64            // valid RTP packets received from the peer (duplicates and late ones included)
	BytesSent     uint64            // payload octets sent
	Lost          uint64            // packets expected from the sequence numbers but never received
	Late          uint64            // packets that arrived after their playout time
	Duplicates    uint64            // duplicate packets dropped
	Garbage       uint64            // datagrams that were not RTP, or came from an unexpected source
	Concealed     uint64            // 20 ms frames (partly) made up by loss concealment
	Restarts      uint64            // jitter buffer restarts (SSRC change, timestamp or sequence jumps)
	JitterMs      float64           // RFC 3550 interarrival jitter
	DelayMs       float64           // current jitter buffer delay
	DroppedFrames map[string]uint64 // frames dropped per subscriber name (slow consumer)
	RecordDropped uint64            // stereo frames the recorder could not keep up with
	DTMFDropped   uint64            // DTMF events dropped because nobody read DTMF()
}

// Session end causes returned by EndCause.
const (
	EndRTPTimeout  = "rtp_timeout"  // no RTP within first_packet_timeout, or for inactivity_timeout
	EndClosed      = "closed"       // Close was called
	EndCanceled    = "canceled"     // the context given to Start was cancelled
	EndSocketError = "socket_error" // the RTP socket failed
)

// Errors returned by session methods.
var (
	ErrClosed           = errors.New("media: session closed")
	ErrNoRemote         = errors.New("media: remote address not known yet")
	ErrPlaybackReplaced = errors.New("media: playback replaced by a newer one")
)

// relatchAfter is how long the latched source must be silent before packets from another source take over.
const relatchAfter = time.Second

// Session is the media of one call: an RTP/RTCP socket pair, the receive path (jitter buffer, concealment, DTMF,
// subscribers), the send path (playback, pass-through, DTMF) and optional recording. Its methods are safe for
// concurrent use.
type Session struct {
	pool     *PortPool
	cfg      Config
	m        *Metrics
	log      *slog.Logger
	callID   string
	port     int
	rtpConn  *net.UDPConn
	rtcpConn *net.UDPConn
	local    netip.AddrPort

	ctx    context.Context // ends with the session
	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup

	// Receive side and shared call state.
	mu          sync.Mutex
	started     bool
	stopAfter   func() bool // stops the context.AfterFunc of Start
	cause       string
	remote      Remote
	dir         Direction
	latched     netip.AddrPort
	lastLatched time.Time
	rtcpLatched netip.AddrPort
	jb          *jitterBuffer
	dtmfDet     dtmfDetector
	forward     func(payload []byte, pt uint8, ts uint32, marker bool)
	timerBase   time.Time // start of the current timeout period (Start, resume from hold, new remote)
	lsr         uint32    // middle 32 bits of the NTP time of the last sender report received
	lsrAt       time.Time
	received    uint64
	garbage     uint64
	lastPacket  atomic.Int64 // unix ns of the last RTP packet from the peer, 0 before the first

	pkt rtp.Packet // reader goroutine only

	// Send side.
	sendMu       sync.Mutex
	ssrc         uint32
	seq          uint16
	outTS        uint32 // timestamp of the first pending sample
	pending      [2 * FrameSamples * 2]int16
	npending     int
	marker       bool
	hdr          rtp.Header
	sendBuf      [1500]byte
	encBuf       [480]byte
	sentPackets  uint64
	sentOctets   uint64
	lastSentTS   uint32
	lastSentAt   time.Time
	forwarding   bool
	forwardUntil time.Time
	dtmfJob      *dtmfJob
	right        sampleRing // what we sent, for the recording

	playMu        sync.Mutex
	play          *playback
	lastPlayStart atomic.Int64

	dtmfSendMu sync.Mutex // serialises SendDTMF calls

	subsMu     sync.Mutex
	subs       []*subscriber // caller audio
	sentSubs   []*subscriber // our audio
	subsClosed bool

	dtmfMu      sync.Mutex
	dtmfCh      chan DTMF
	dtmfClosed  bool
	dtmfDropped uint64

	rec atomic.Pointer[recorder]
}

type subscriber struct {
	name    string
	ch      chan Frame
	dropped atomic.Uint64
}

func newSession(p *PortPool, callID string, port int, rtpConn, rtcpConn *net.UDPConn) *Session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Session{
		pool: p, cfg: p.cfg, m: p.m, callID: callID, port: port, rtpConn: rtpConn, rtcpConn: rtcpConn,
		log:   p.log.With("call_id", callID, "rtp_port", port),
		local: netip.AddrPortFrom(p.bind, uint16(port)),
		ctx:   ctx, cancel: cancel, done: make(chan struct{}),
		jb:     newJitterBuffer(p.cfg.JitterMin, p.cfg.JitterMax),
		dtmfCh: make(chan DTMF, 16),
		remote: Remote{Codec: PCMU, PtimeMs: 20},
		ssrc:   rand.Uint32(),
		seq:    uint16(rand.Uint32()),
		outTS:  rand.Uint32(),
		marker: true,
	}
	s.m.sessionDelta(1)
	go s.supervise()
	return s
}

// LocalAddr is the address and port the RTP socket is bound to.
func (s *Session) LocalAddr() netip.AddrPort { return s.local }

// SDPAddr is the address and port to advertise in SDP (public_ip when configured).
func (s *Session) SDPAddr() netip.AddrPort {
	return netip.AddrPortFrom(s.cfg.SDPAddr(), uint16(s.port))
}

// CallID is the call ID the session was opened for.
func (s *Session) CallID() string { return s.callID }

// SetRemote sets (or, on re-INVITE, changes) the peer's address and codecs. The peer's packets are latched
// afresh: until they arrive, RTP goes to r.Addr; afterwards to the source they come from (symmetric RTP).
func (s *Session) SetRemote(r Remote) {
	if r.Codec.Name == "" && r.Codec.PayloadType == 0 {
		r.Codec = PCMU
	}
	r.Addr = netip.AddrPortFrom(r.Addr.Addr().Unmap(), r.Addr.Port())
	switch {
	case r.PtimeMs <= 0:
		r.PtimeMs = 20
	case r.PtimeMs < 10:
		r.PtimeMs = 10
	case r.PtimeMs > 40:
		r.PtimeMs = 40
	}
	r.PtimeMs = (r.PtimeMs + 5) / 10 * 10
	s.mu.Lock()
	changed := r.Addr != s.remote.Addr
	s.remote = r
	if changed {
		s.latched = netip.AddrPort{}
		s.rtcpLatched = netip.AddrPort{}
		s.timerBase = time.Now()
	}
	s.mu.Unlock()
	if changed {
		s.log.Info("rtp remote set", "remote", r.Addr.String(), "codec", r.Codec.Name, "dtmf_pt", r.DTMFPayloadType, "ptime_ms", r.PtimeMs)
	}
}

// Remote returns the current remote description.
func (s *Session) Remote() Remote {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote
}

// SetDirection changes the media direction (hold and resume). While it is not SendRecv the inactivity timers
// are paused; we send only in SendRecv and SendOnly.
func (s *Session) SetDirection(d Direction) {
	s.mu.Lock()
	old := s.dir
	s.dir = d
	if old != SendRecv && d == SendRecv {
		s.timerBase = time.Now()
	}
	s.mu.Unlock()
	if old != d {
		s.log.Info("media direction changed", "from", old.String(), "to", d.String())
	}
}

// Direction returns the current media direction.
func (s *Session) Direction() Direction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir
}

// Start runs the session: the RTP and RTCP readers and the 20 ms media clock (playout, sending, reports,
// timeouts). Everything stops when ctx is cancelled or Close is called.
func (s *Session) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.started {
		s.mu.Unlock()
		return errors.New("media: session already started")
	}
	s.started = true
	s.timerBase = time.Now()
	s.stopAfter = context.AfterFunc(ctx, func() { s.end(EndCanceled) })
	s.wg.Add(3)
	s.mu.Unlock()
	go s.readRTP()
	go s.readRTCP()
	go s.clock()
	return nil
}

// Close ends the session (idempotent): goroutines stop, subscriber and DTMF channels close, the recording is
// finished and the port goes back to the pool to drain. It returns once all of that is done, so it must not be
// called from the session's own callbacks (SetForward, OnPlayStart); cancel the Start context there instead.
func (s *Session) Close() error {
	s.end(EndClosed)
	<-s.done
	return nil
}

// Done is closed when the session has ended and released its resources.
func (s *Session) Done() <-chan struct{} { return s.done }

// EndCause says why the session ended ("" while it runs): EndRTPTimeout, EndClosed, EndCanceled, EndSocketError.
func (s *Session) EndCause() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cause
}

// end records the first cause and stops the session; the supervisor cleans up.
func (s *Session) end(cause string) {
	s.mu.Lock()
	if s.cause == "" {
		s.cause = cause
	}
	s.mu.Unlock()
	s.cancel()
}

// supervise waits for the end of the session, then stops its goroutines and releases everything.
func (s *Session) supervise() {
	<-s.ctx.Done()
	s.mu.Lock() // Start and Record add to wg under mu: after this, no more Adds
	cause := s.cause
	stopAfter := s.stopAfter
	s.mu.Unlock()
	if stopAfter != nil {
		stopAfter()
	}
	now := time.Now()
	s.rtpConn.SetReadDeadline(now)
	s.rtcpConn.SetReadDeadline(now)
	s.wg.Wait()

	s.subsMu.Lock()
	s.subsClosed = true
	for _, sub := range s.subs {
		close(sub.ch)
	}
	for _, sub := range s.sentSubs {
		close(sub.ch)
	}
	s.subsMu.Unlock()
	s.dtmfMu.Lock()
	s.dtmfClosed = true
	close(s.dtmfCh)
	s.dtmfMu.Unlock()

	st := s.Stats()
	if s.m != nil {
		s.m.lost.Add(float64(st.Lost))
		if st.RTPReceived > 0 {
			s.m.observeJitter(st.JitterMs / 1000)
		}
		if cause == EndRTPTimeout {
			s.m.timeouts.Inc()
		}
	}
	s.m.sessionDelta(-1)
	s.log.Info("rtp session ended", "cause", cause, "rtp_sent", st.RTPSent, "rtp_received", st.RTPReceived,
		"lost", st.Lost, "late", st.Late, "duplicates", st.Duplicates, "jitter_ms", st.JitterMs, "garbage", st.Garbage)
	s.rtpConn.SetReadDeadline(time.Time{})
	s.pool.release(s.port, s.rtpConn, s.rtcpConn)
	close(s.done)
}

// Subscribe returns a channel of the caller's audio: decoded, jitter-buffered, concealed 20 ms frames in order,
// one per 20 ms. It holds Config.QueueFrames frames; when full, new frames are dropped and counted under name.
// The channel is closed when the session ends.
func (s *Session) Subscribe(name string) <-chan Frame { return s.subscribe(&s.subs, name) }

// SubscribeSent is like Subscribe for our side of the call: what we send (prompts, pass-through audio decoded,
// silence), one frame per 20 ms, e.g. for quality inspection of the agent's speech or as an echo reference.
func (s *Session) SubscribeSent(name string) <-chan Frame { return s.subscribe(&s.sentSubs, name) }

func (s *Session) subscribe(list *[]*subscriber, name string) <-chan Frame {
	sub := &subscriber{name: name, ch: make(chan Frame, s.cfg.QueueFrames)}
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	if s.subsClosed {
		close(sub.ch)
		return sub.ch
	}
	*list = append(*list, sub)
	return sub.ch
}

// Unsubscribe stops delivery to a channel returned by Subscribe or SubscribeSent and closes it.
func (s *Session) Unsubscribe(ch <-chan Frame) {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	for _, list := range []*[]*subscriber{&s.subs, &s.sentSubs} {
		for i, sub := range *list {
			if (<-chan Frame)(sub.ch) == ch {
				if !s.subsClosed {
					close(sub.ch)
				}
				*list = append((*list)[:i], (*list)[i+1:]...)
				return
			}
		}
	}
}

// deliver hands a frame of caller audio to every subscriber without blocking.
func (s *Session) deliver(f *Frame) { s.deliverTo(&s.subs, f) }

// deliverTo hands a frame to the subscribers of list without blocking.
func (s *Session) deliverTo(list *[]*subscriber, f *Frame) {
	s.subsMu.Lock()
	for _, sub := range *list {
		select {
		case sub.ch <- *f:
		default:
			sub.dropped.Add(1)
			if s.m != nil {
				s.m.droppedFrames.Inc()
			}
		}
	}
	s.subsMu.Unlock()
}

// DTMF returns the channel of key presses, from RFC 4733 packets and InjectDTMF; it is closed when the session
// ends. Events are dropped (and counted) when 16 are waiting unread.
func (s *Session) DTMF() <-chan DTMF { return s.dtmfCh }

// InjectDTMF delivers a key press that arrived by signalling (SIP INFO) on the DTMF channel.
func (s *Session) InjectDTMF(d DTMF) {
	if d.Source == "" {
		d.Source = DTMFSourceInfo
	}
	if d.At.IsZero() {
		d.At = time.Now()
	}
	s.emitDTMF(d)
}

func (s *Session) emitDTMF(d DTMF) {
	s.dtmfMu.Lock()
	defer s.dtmfMu.Unlock()
	if s.dtmfClosed {
		return
	}
	select {
	case s.dtmfCh <- d:
		// Digits may be PINs or card numbers: they are not logged.
		s.log.Debug("dtmf received", "source", d.Source, "duration_ms", d.Duration.Milliseconds())
	default:
		s.dtmfDropped++
	}
}

// SetForward sets a function called on the packet reader for every in-order audio packet received (payload as
// sent by the peer, no transcoding). It must return quickly, must not keep payload, and must not call Close (which
// waits for the reader). nil stops forwarding.
func (s *Session) SetForward(f func(payload []byte, pt uint8, ts uint32, marker bool)) {
	s.mu.Lock()
	s.forward = f
	s.mu.Unlock()
}

// LastPlayStart is when the first packet of the most recent Play was sent (zero before any).
func (s *Session) LastPlayStart() time.Time {
	ns := s.lastPlayStart.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Stats returns the counters so far.
func (s *Session) Stats() Stats {
	var st Stats
	s.mu.Lock()
	st.RTPReceived = s.received
	st.Garbage = s.garbage
	st.Lost = uint64(s.jb.lost())
	st.Late = uint64(s.jb.late)
	st.Duplicates = uint64(s.jb.duplicates)
	st.Concealed = s.jb.plc.concealedFrames
	st.Restarts = uint64(s.jb.restarts)
	st.JitterMs = s.jb.jitterNs / 1e6
	st.DelayMs = float64(s.jb.delay) / 1e6
	s.mu.Unlock()
	s.sendMu.Lock()
	st.RTPSent = s.sentPackets
	st.BytesSent = s.sentOctets
	s.sendMu.Unlock()
	s.subsMu.Lock()
	st.DroppedFrames = make(map[string]uint64, len(s.subs))
	for _, sub := range s.subs {
		st.DroppedFrames[sub.name] += sub.dropped.Load()
	}
	for _, sub := range s.sentSubs {
		st.DroppedFrames[sub.name] += sub.dropped.Load()
	}
	s.subsMu.Unlock()
	if r := s.rec.Load(); r != nil {
		st.RecordDropped = r.dropped.Load()
	}
	s.dtmfMu.Lock()
	st.DTMFDropped = s.dtmfDropped
	s.dtmfMu.Unlock()
	return st
}

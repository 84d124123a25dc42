package media

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// ErrNoPorts is returned by Open when every RTP port of the range is in use or draining.
var ErrNoPorts = errors.New("media: no free RTP port")

// PortPool hands out RTP/RTCP port pairs from the configured range and keeps released ports draining (reading
// and discarding stale packets) for Config.Drain before they can be used again.
type PortPool struct {
	cfg  Config
	m    *Metrics
	log  *slog.Logger
	bind netip.Addr

	mu       sync.Mutex
	busy     map[int]bool // ports in use or draining
	draining map[int][2]*net.UDPConn
	next     int
	closed   bool
	wg       sync.WaitGroup
}

// NewPortPool checks cfg and returns a pool; m and log may be nil.
func NewPortPool(cfg Config, m *Metrics, log *slog.Logger) (*PortPool, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bind, _ := netip.ParseAddr(cfg.BindIP)
	first := cfg.PortMin + cfg.PortMin%2
	return &PortPool{cfg: cfg, m: m, log: log, bind: bind, busy: map[int]bool{},
		draining: map[int][2]*net.UDPConn{}, next: first}, nil
}

// Config returns the configuration the pool was made with.
func (p *PortPool) Config() Config { return p.cfg }

// Open binds the RTP and RTCP sockets of a new session on a free even port (RTCP on the next port).
func (p *PortPool) Open(callID string) (*Session, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.New("media: port pool closed")
	}
	first := p.cfg.PortMin + p.cfg.PortMin%2
	last := p.cfg.PortMax - 1 // the RTCP port must fit too
	if last < first {
		return nil, ErrNoPorts
	}
	n := (last-first)/2 + 1
	for i := 0; i < n; i++ {
		port := p.next
		p.next += 2
		if p.next > last {
			p.next = first
		}
		if p.busy[port] {
			continue
		}
		rtpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.bind, uint16(port))))
		if err != nil {
			continue
		}
		rtcpConn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p.bind, uint16(port+1))))
		if err != nil {
			rtpConn.Close()
			continue
		}
		p.busy[port] = true
		return newSession(p, callID, port, rtpConn, rtcpConn), nil
	}
	if p.m != nil {
		p.m.portsExhausted.Inc()
	}
	return nil, fmt.Errorf("%w in %d-%d (call %s)", ErrNoPorts, p.cfg.PortMin, p.cfg.PortMax, callID)
}

// InUse returns how many ports are held by sessions or draining.
func (p *PortPool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.busy)
}

// Close stops draining released ports (closing their sockets now) and refuses new sessions. Open sessions are
// not affected; their ports are closed without draining when they end.
func (p *PortPool) Close() error {
	p.mu.Lock()
	p.closed = true
	for _, c := range p.draining {
		c[0].SetReadDeadline(time.Now())
	}
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

// release takes back a session's sockets: they drain for cfg.Drain, then close and the port is free again.
func (p *PortPool) release(port int, rtpConn, rtcpConn *net.UDPConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.cfg.Drain <= 0 {
		rtpConn.Close()
		rtcpConn.Close()
		delete(p.busy, port)
		return
	}
	p.draining[port] = [2]*net.UDPConn{rtpConn, rtcpConn}
	rtpConn.SetReadDeadline(time.Now().Add(p.cfg.Drain))
	p.wg.Add(1)
	go p.drain(port, rtpConn, rtcpConn)
}

// drain reads and discards datagrams on a released RTP port until its deadline (the RTCP socket stays bound, so
// the kernel discards what reaches it), then frees the port.
func (p *PortPool) drain(port int, rtpConn, rtcpConn *net.UDPConn) {
	defer p.wg.Done()
	buf := make([]byte, 1500)
	n := 0
	for {
		if _, _, err := rtpConn.ReadFromUDPAddrPort(buf); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			if errors.Is(err, net.ErrClosed) {
				break
			}
			continue // e.g. ICMP port unreachable surfaced as a read error
		}
		n++
		if p.m != nil {
			p.m.drained.Inc()
		}
	}
	rtpConn.Close()
	rtcpConn.Close()
	p.mu.Lock()
	delete(p.draining, port)
	delete(p.busy, port)
	p.mu.Unlock()
	if n > 0 {
		p.log.Debug("rtp port drained", "port", port, "stale_datagrams", n)
	}
}

package agentbridge

import (
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/zaf/g711"
)

// rtcEngine holds one pion API per G.711 codec: each registers only that codec, so the browser's answer can only
// pick the call's own codec and audio passes through untranscoded.
type rtcEngine struct {
	apis [2]*webrtc.API // [0] PCMU, [1] PCMA
	conf webrtc.Configuration
}

func codecOf(pt uint8) (webrtc.RTPCodecCapability, int) {
	if pt == 8 {
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000}, 1
	}
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, 0
}

func newRTCEngine(cfg ICEConfig) (*rtcEngine, error) {
	e := &rtcEngine{}
	for _, pt := range []uint8{0, 8} {
		capab, i := codecOf(pt)
		m := &webrtc.MediaEngine{}
		if err := m.RegisterCodec(webrtc.RTPCodecParameters{RTPCodecCapability: capab, PayloadType: webrtc.PayloadType(pt)},
			webrtc.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("webrtc codec %s: %w", capab.MimeType, err)
		}
		ir := &interceptor.Registry{}
		if err := webrtc.ConfigureRTCPReports(ir); err != nil {
			return nil, fmt.Errorf("webrtc rtcp reports: %w", err)
		}
		se := webrtc.SettingEngine{}
		se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
		se.SetIncludeLoopbackCandidate(cfg.Loopback)
		se.SetICETimeouts(3*time.Second, 8*time.Second, time.Second)
		if cfg.UDPPortMin != 0 {
			if err := se.SetEphemeralUDPPortRange(cfg.UDPPortMin, cfg.UDPPortMax); err != nil {
				return nil, fmt.Errorf("agents.ice.udp_port_min/max %d-%d: %w", cfg.UDPPortMin, cfg.UDPPortMax, err)
			}
		}
		if len(cfg.Interfaces) > 0 {
			ifs := append([]string(nil), cfg.Interfaces...)
			se.SetInterfaceFilter(func(name string) bool { return contains(ifs, name) })
		}
		if len(cfg.IPs) > 0 {
			var ips []net.IP
			for _, s := range cfg.IPs {
				ips = append(ips, net.ParseIP(s))
			}
			se.SetIPFilter(func(ip net.IP) bool {
				for _, k := range ips {
					if k.Equal(ip) {
						return true
					}
				}
				return false
			})
		}
		if len(cfg.NAT1To1IPs) > 0 {
			if err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
				External: cfg.NAT1To1IPs, AsCandidateType: webrtc.ICECandidateTypeHost}); err != nil {
				return nil, fmt.Errorf("agents.ice.nat_1to1_ips %v: %w", cfg.NAT1To1IPs, err)
			}
		}
		e.apis[i] = webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	}
	if len(cfg.STUNURLs) > 0 {
		e.conf.ICEServers = append(e.conf.ICEServers, webrtc.ICEServer{URLs: cfg.STUNURLs})
	}
	if len(cfg.TURNURLs) > 0 {
		e.conf.ICEServers = append(e.conf.ICEServers, webrtc.ICEServer{URLs: cfg.TURNURLs,
			Username: cfg.TURNUsername, Credential: cfg.TURNPassword})
	}
	return e, nil
}

// peer is one WebRTC PeerConnection to an agent's page for one call.
type peer struct {
	id     int
	offer  string // the ring offer it was prepared for ("" when made after the answer)
	call   *call
	conn   *wsConn
	log    *slog.Logger
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticRTP
	pt     uint8
	active atomic.Bool // caller audio goes to the agent (not held)

	// forward path state, touched only on the media's RTP reader goroutine
	rw       rewriter
	pkt      rtp.Packet
	toAgent  prometheus.Counter
	toCaller prometheus.Counter

	mu        sync.Mutex
	closed    bool
	remoteSet bool
	pending   []webrtc.ICECandidateInit

	connectedOnce sync.Once
	started       time.Time
	wg            sync.WaitGroup
	metrics       *Metrics
}

// newPeer opens a PeerConnection for c, sends the offer to the page on conn and trickles candidates after it.
func (b *Bridge) newPeer(c *call, conn *wsConn, id int) (*peer, error) {
	capab, i := codecOf(c.q.PayloadType)
	pc, err := b.rtc.apis[i].NewPeerConnection(b.rtc.conf)
	if err != nil {
		return nil, fmt.Errorf("peer connection: %w", err)
	}
	p := &peer{id: id, call: c, conn: conn, log: c.log.With("pc", id), pc: pc, pt: c.q.PayloadType,
		started: time.Now(), metrics: b.metrics}
	p.toAgent, p.toCaller = b.metrics.counters()
	p.track, err = webrtc.NewTrackLocalStaticRTP(capab, "caller", "hotline-"+c.q.ID)
	if err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("caller track: %w", err)
	}
	sender, err := pc.AddTrack(p.track)
	if err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("adding caller track: %w", err)
	}
	b.metrics.rtc(1)
	p.wg.Add(1)
	go func() { // RTCP from the page must be read for the interceptors; ends when the connection closes
		defer p.wg.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed {
			return
		}
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.readAgent(tr) }()
	})
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand != nil {
			conn.send(msgICE{CallID: c.q.ID, PC: id, Candidate: cand.ToJSON()})
		}
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		p.log.Debug("webrtc state", "state", s.String())
		switch s {
		case webrtc.PeerConnectionStateConnected:
			p.connectedOnce.Do(func() {
				p.log.Info("webrtc leg connected", "setup_ms", time.Since(p.started).Milliseconds())
			})
		case webrtc.PeerConnectionStateFailed:
			c.post(event{kind: evMediaFailed, pc: id})
		}
	})
	offer, err := pc.CreateOffer(nil)
	if err == nil {
		err = pc.SetLocalDescription(offer)
	}
	if err != nil {
		p.close()
		return nil, fmt.Errorf("webrtc offer: %w", err)
	}
	conn.send(msgRTCOffer{CallID: c.q.ID, PC: id, SDP: offer.SDP})
	return p, nil
}

func (p *peer) setAnswer(sdp string) error {
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("remote description: %w", err)
	}
	p.mu.Lock()
	p.remoteSet = true
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, c := range pending {
		p.addCandidate(c)
	}
	return nil
}

func (p *peer) addCandidate(c webrtc.ICECandidateInit) {
	p.mu.Lock()
	if !p.remoteSet {
		p.pending = append(p.pending, c)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	if err := p.pc.AddICECandidate(c); err != nil {
		p.log.Debug("remote candidate refused", "candidate", c.Candidate, "err", err)
	}
}

// forward sends one caller payload to the agent: new sequence number and continuous timestamps, the payload
// itself untouched. It runs on the media's RTP reader goroutine and allocates nothing.
func (p *peer) forward(payload []byte, pt uint8, ts uint32, marker bool) {
	if pt != p.pt || !p.active.Load() {
		return
	}
	p.pkt.Header.Version = 2
	p.pkt.Header.SequenceNumber, p.pkt.Header.Timestamp, p.pkt.Header.Marker =
		p.rw.next(ts, uint32(len(payload)), marker, time.Now().UnixNano())
	p.pkt.Payload = payload
	if err := p.track.WriteRTP(&p.pkt); err == nil && p.toAgent != nil {
		p.toAgent.Inc()
	}
}

// readAgent takes the agent's microphone packets and sends their payload to the caller; it ends when the
// connection closes.
func (p *peer) readAgent(tr *webrtc.TrackRemote) {
	p.log.Info("agent audio track", "codec", tr.Codec().MimeType)
	buf := make([]byte, 1500)
	pcm := make([]int16, 1500)
	var pkt rtp.Packet
	media := p.call.q.Media
	hook := p.call.q.AgentAudio
	alaw := p.pt == 8
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil || pkt.PayloadType != p.pt || len(pkt.Payload) == 0 {
			continue
		}
		if !p.call.toCaller.Load() {
			continue
		}
		if err := media.SendPayload(pkt.Payload, uint32(len(pkt.Payload))); err != nil {
			continue
		}
		if p.toCaller != nil {
			p.toCaller.Inc()
		}
		if hook != nil {
			out := pcm[:len(pkt.Payload)]
			for i, v := range pkt.Payload {
				if alaw {
					out[i] = g711.DecodeAlawFrame(v)
				} else {
					out[i] = g711.DecodeUlawFrame(v)
				}
			}
			hook(out)
		}
	}
}

func (p *peer) close() {
	p.active.Store(false)
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	if err := p.pc.Close(); err != nil {
		p.log.Debug("closing peer connection", "err", err)
	}
	p.wg.Wait()
	p.metrics.rtc(-1)
}

// rewriter gives the packets sent to the browser their own sequence numbers and a timestamp line that stays
// continuous when the caller's stream jumps (hold and resume, SSRC change, a timestamp reset): the browser's
// jitter buffer then never sees time run backwards or leap ahead of the wall clock.
type rewriter struct {
	started bool
	inTS    uint32
	outTS   uint32
	seq     uint16
	lastNS  int64
}

// maxLead is how far the caller's timestamps may run ahead of the wall clock between two packets (bursts after
// network stalls) before the step counts as a discontinuity: half a second at 8 kHz.
const maxLead = 4000

// next returns the sequence number, timestamp and marker for a packet with input timestamp ts and samples
// samples, arriving at nowNS.
func (w *rewriter) next(ts, samples uint32, marker bool, nowNS int64) (uint16, uint32, bool) {
	if !w.started {
		w.started = true
		w.seq = uint16(nowNS) ^ 0x5a5a
		w.outTS = uint32(nowNS>>10) ^ 0x1234567
		w.inTS, w.lastNS = ts, nowNS
		return w.seq, w.outTS, true
	}
	w.seq++
	d := ts - w.inTS
	elapsedNS := nowNS - w.lastNS
	if elapsedNS < 0 {
		elapsedNS = 0
	}
	elapsed := uint32(min(elapsedNS/125000, 1<<30)) // samples at 8 kHz
	if int32(d) > 0 && d <= elapsed+maxLead {
		w.outTS += d
	} else {
		// A jump: advance by the wall-clock time, whole packets, at least one packet.
		step := samples
		if samples > 0 && elapsed > samples {
			step = (elapsed + samples/2) / samples * samples
		}
		w.outTS += step
		marker = true
	}
	w.inTS, w.lastNS = ts, nowNS
	return w.seq, w.outTS, marker
}

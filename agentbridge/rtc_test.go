package agentbridge

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/hotline/hotline/prosody"
)

func TestRewriterKeepsTimestampsContinuous(t *testing.T) {
	const ms = int64(time.Millisecond)
	type pkt struct {
		ts     uint32
		atMS   int64
		wantDT uint32 // expected output timestamp step from the previous packet
		mark   bool
	}
	for _, tc := range []struct {
		name string
		pkts []pkt
	}{
		{"steady 20 ms packets", []pkt{{1000, 0, 0, true}, {1160, 20, 160, false}, {1320, 40, 160, false}}},
		{"a lost packet keeps its gap", []pkt{{1000, 0, 0, true}, {1160, 20, 160, false}, {1480, 60, 320, false}}},
		{"timestamp wrap-around", []pkt{{0xffffff00, 0, 0, true}, {0xffffffa0, 20, 160, false}, {0x40, 40, 160, false}}},
		{"hold with the caller's clock running: the gap is kept", []pkt{{1000, 0, 0, true}, {1160, 20, 160, false}, {1160 + 8000*3, 3020, 24000, false}}},
		{"SSRC change with a random timestamp: wall clock, marker", []pkt{{1000, 0, 0, true}, {1160, 20, 160, false}, {987654321, 40, 160, true}, {987654481, 60, 160, false}}},
		{"new stream after a 2 s silence: wall clock rounded to packets", []pkt{{1000, 0, 0, true}, {5, 2010, 16160, true}}},
		{"timestamp going backwards", []pkt{{50000, 0, 0, true}, {40000, 20, 160, true}}},
		{"burst after a network stall is not a jump", []pkt{{1000, 0, 0, true}, {1160, 300, 160, false}, {1320, 300, 160, false}, {1480, 301, 160, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w rewriter
			var lastSeq uint16
			var lastTS uint32
			for i, p := range tc.pkts {
				seq, ts, mark := w.next(p.ts, 160, false, 1_000_000*ms+p.atMS*ms)
				if i > 0 {
					if seq != lastSeq+1 {
						t.Errorf("packet %d: seq %d after %d, want +1", i, seq, lastSeq)
					}
					if ts-lastTS != p.wantDT {
						t.Errorf("packet %d: timestamp step %d, want %d", i, ts-lastTS, p.wantDT)
					}
				}
				if mark != p.mark {
					t.Errorf("packet %d: marker %v, want %v", i, mark, p.mark)
				}
				lastSeq, lastTS = seq, ts
			}
		})
	}
}

// pionAgent is a Go WebRTC endpoint standing in for the browser in tests and benchmarks: it answers the bridge's
// offer over the same WebSocket protocol, sends PCMU from its "microphone" and collects what it receives.
type pionAgent struct {
	pc    *webrtc.PeerConnection
	mic   *webrtc.TrackLocalStaticRTP
	recv  chan rtp.Packet
	ready chan struct{}
}

func newPionAgent(t testing.TB, p *page, callID string) *pionAgent {
	t.Helper()
	var off msgRTCOffer
	p.expect("rtc_offer", 5*time.Second, &off)
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	a := &pionAgent{pc: pc, recv: make(chan rtp.Packet, 4096), ready: make(chan struct{})}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		go func() {
			for {
				pk, _, err := tr.ReadRTP()
				if err != nil {
					return
				}
				select {
				case a.recv <- *pk:
				default:
				}
			}
		}()
	})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(a.ready) })
		}
	})
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			p.send(map[string]any{"type": "ice", "call_id": callID, "pc": off.PC, "candidate": c.ToJSON()})
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: off.SDP}); err != nil {
		t.Fatal(err)
	}
	a.mic, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, "mic", "agent")
	if _, err := pc.AddTrack(a.mic); err != nil { // takes the offered transceiver: sendrecv
		t.Fatal(err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(ans); err != nil {
		t.Fatal(err)
	}
	p.send(map[string]any{"type": "rtc_answer", "call_id": callID, "pc": off.PC, "sdp": ans.SDP})
	deadline := time.After(10 * time.Second)
	for {
		select {
		case <-a.ready:
			return a
		case m := <-p.in:
			if m.Type == "ice" {
				var c msgICE
				json.Unmarshal(m.Data, &c)
				pc.AddICECandidate(c.Candidate)
			}
		case <-deadline:
			t.Fatalf("the pion agent did not connect within 10 s")
		}
	}
}

// payloadMedia records the payloads sent to the caller.
type payloadMedia struct {
	recMedia
	mu2      sync.Mutex
	payloads [][]byte
}

func (m *payloadMedia) SendPayload(p []byte, n uint32) error {
	m.sent.Add(1)
	m.mu2.Lock()
	m.payloads = append(m.payloads, append([]byte(nil), p...))
	m.mu2.Unlock()
	return nil
}

func (m *payloadMedia) has(want []byte) bool {
	m.mu2.Lock()
	defer m.mu2.Unlock()
	for _, p := range m.payloads {
		if bytes.Equal(p, want) {
			return true
		}
	}
	return false
}

// talkingCall answers a call on a fresh harness with a Go WebRTC agent.
func talkingCall(t testing.TB, m CallMedia, hook func([]int16)) (*harness, *page, *pionAgent, <-chan result) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	p := h.openPage("ann", "password1")
	ch := make(chan result, 1)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		out, err := h.b.Enqueue(ctx, QueuedCall{ID: "c1", Caller: "sip:1@x", Media: m, AgentAudio: hook,
			Report: prosody.Report{Seq: 1}})
		ch <- result{out, err}
	}()
	var r ringData
	p.expect("ring", 5*time.Second, &r)
	p.send(map[string]any{"type": "answer", "call_id": "c1", "offer_id": r.OfferID})
	return h, p, newPionAgent(t, p, "c1"), ch
}

func TestAudioPassesBothWaysUntranscoded(t *testing.T) {
	m := &payloadMedia{}
	var hookMu sync.Mutex
	hooked := 0
	h, p, ag, done := talkingCall(t, m, func(pcm []int16) { hookMu.Lock(); hooked += len(pcm); hookMu.Unlock() })
	_ = h

	// Caller → agent: payloads arrive byte for byte, numbered and timed continuously.
	fwd := m.fwd()
	payload := make([]byte, 160)
	var got []rtp.Packet
	for i := 0; i < 25; i++ {
		for j := range payload {
			payload[j] = byte(i + j)
		}
		fwd(payload, 0, 5000+uint32(i)*160, i == 0)
		time.Sleep(20 * time.Millisecond)
	}
	timeout := time.After(3 * time.Second)
	for len(got) < 20 {
		select {
		case pk := <-ag.recv:
			got = append(got, pk)
		case <-timeout:
			t.Fatalf("the agent received %d of 25 packets", len(got))
		}
	}
	for i := 1; i < len(got); i++ {
		if got[i].SequenceNumber != got[i-1].SequenceNumber+1 || got[i].Timestamp-got[i-1].Timestamp != 160 {
			t.Errorf("packet %d: seq %d ts %d after seq %d ts %d", i, got[i].SequenceNumber, got[i].Timestamp,
				got[i-1].SequenceNumber, got[i-1].Timestamp)
		}
		first := int(got[i].Payload[0]) // payload[j] = i + j
		for j, v := range got[i].Payload {
			if v != byte(first+j) {
				t.Fatalf("packet %d payload changed on the way", i)
			}
		}
		if got[i].PayloadType != 0 {
			t.Errorf("payload type %d, want PCMU 0", got[i].PayloadType)
		}
	}

	// Agent → caller: the microphone's payloads reach the caller's media unchanged, and the analysis hook.
	mic := bytes.Repeat([]byte{0x42, 0x17}, 80)
	for i := 0; i < 25; i++ {
		ag.mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(i), Timestamp: uint32(i * 160)}, Payload: mic})
		time.Sleep(20 * time.Millisecond)
	}
	if !m.has(mic) {
		t.Error("the agent's payload never reached the caller")
	}
	hookMu.Lock()
	if hooked < 160 {
		t.Errorf("the agent-audio hook got %d samples", hooked)
	}
	hookMu.Unlock()

	// Hold: the agent stops hearing the caller, the caller hears music; resume keeps the timeline.
	p.send(map[string]any{"type": "hold", "call_id": "c1", "on": true})
	p.expect("call", 2*time.Second)
	before := m.sent.Load()
	drain(ag.recv)
	for i := 0; i < 10; i++ {
		fwd(payload, 0, 9000+uint32(i)*160, false)
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(drain(ag.recv)); n > 0 {
		t.Errorf("the agent received %d packets while on hold", n)
	}
	if m.sent.Load()-before < 5 {
		t.Errorf("hold music: %d packets in 200 ms", m.sent.Load()-before)
	}
	p.send(map[string]any{"type": "hold", "call_id": "c1", "on": false})
	p.expect("call", 2*time.Second)
	p.send(map[string]any{"type": "hangup", "call_id": "c1"})
	if r := wait(t, done, 5*time.Second); r.out.Result != ResultCompleted {
		t.Errorf("outcome %+v", r.out)
	}
}

func drain(ch chan rtp.Packet) []rtp.Packet {
	var out []rtp.Packet
	for {
		select {
		case p := <-ch:
			out = append(out, p)
		default:
			return out
		}
	}
}

func TestLegPreparedWhileRingingCarriesNoAudioUntilAnswered(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	p := h.openPage("ann", "password1")
	m := &payloadMedia{}
	ch := make(chan result, 1)
	go func() {
		out, err := h.b.Enqueue(context.Background(), QueuedCall{ID: "c1", Media: m, Report: prosody.Report{Seq: 1}})
		ch <- result{out, err}
	}()
	var r ringData
	p.expect("ring", 5*time.Second, &r)
	p.send(map[string]any{"type": "prepare", "call_id": "c1", "offer_id": r.OfferID})
	ag := newPionAgent(t, p, "c1") // connects while ringing
	mic := bytes.Repeat([]byte{0x33}, 160)
	seq := 0 // continuous numbering: SRTP drops replayed sequence numbers
	send := func(n int) {
		for i := 0; i < n; i++ {
			if f := m.fwd(); f != nil {
				f(make([]byte, 160), 0, uint32(seq)*160, false)
			}
			ag.mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(seq), Timestamp: uint32(seq * 160)}, Payload: mic})
			seq++
			time.Sleep(20 * time.Millisecond)
		}
	}
	send(10)
	if n := len(drain(ag.recv)); n > 0 || m.has(mic) {
		t.Errorf("before the answer: %d caller packets reached the agent, agent audio reached caller: %v", n, m.has(mic))
	}
	p.send(map[string]any{"type": "answer", "call_id": "c1", "offer_id": r.OfferID})
	p.expect("call", 2*time.Second)
	send(10)
	if n := len(drain(ag.recv)); n == 0 || !m.has(mic) {
		t.Errorf("after the answer: %d caller packets at the agent, agent audio at the caller: %v", n, m.has(mic))
	}
	p.none("rtc_offer", 300*time.Millisecond) // the prepared leg is used, no second negotiation
	p.send(map[string]any{"type": "hangup", "call_id": "c1"})
	if res := wait(t, ch, 5*time.Second); res.out.Result != ResultCompleted {
		t.Errorf("outcome %+v", res.out)
	}
}

// FuzzRewriter feeds arbitrary timestamp sequences: the output must never run backwards, never leap further than
// the wall clock allows, and number packets one by one.
func FuzzRewriter(f *testing.F) {
	f.Add([]byte{0, 0, 0, 160, 20, 0, 0, 1, 64, 20, 255, 255, 255, 0, 20})
	f.Fuzz(func(t *testing.T, data []byte) {
		var w rewriter
		now := int64(1e12)
		var lastSeq uint16
		var lastTS uint32
		for i := 0; i+5 <= len(data); i += 5 {
			ts := uint32(data[i])<<24 | uint32(data[i+1])<<16 | uint32(data[i+2])<<8 | uint32(data[i+3])
			stepMS := int64(data[i+4])
			now += stepMS * int64(time.Millisecond)
			seq, out, _ := w.next(ts, 160, false, now)
			if i > 0 {
				if seq != lastSeq+1 {
					t.Fatalf("seq %d after %d", seq, lastSeq)
				}
				d := out - lastTS
				if int32(d) <= 0 {
					t.Fatalf("timestamp went from %d to %d", lastTS, out)
				}
				if limit := uint32(stepMS*8) + maxLead + 160; d > limit {
					t.Fatalf("timestamp leapt %d samples in %d ms", d, stepMS)
				}
			}
			lastSeq, lastTS = seq, out
		}
	})
}

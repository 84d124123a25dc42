package media

import (
	"bytes"
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func FuzzDecodeWAV(f *testing.F) {
	pcm := make([]byte, 64)
	f.Add(wavBytes(fmtChunk(1, 1, 8000, 16), chunk("data", pcm)))
	f.Add(wavBytes(fmtChunk(3, 2, 44100, 32), chunk("data", pcm)))
	f.Add(wavBytes(fmtChunk(7, 1, 8000, 8), chunk("LIST", []byte("xyz")), chunk("data", pcm)))
	f.Add(wavBytes(fmtChunk(1, 3, 22050, 24), chunk("data", pcm[:63])))
	ext := make([]byte, 40)
	copy(ext, fmtChunk(0xFFFE, 2, 16000, 16)[8:])
	ext[16], ext[24] = 22, 1
	f.Add(wavBytes(chunk("fmt ", ext), chunk("data", pcm)))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := DecodeWAV(bytes.NewReader(data), 8000)
		if err != nil {
			if out != nil {
				t.Errorf("samples with an error")
			}
			return
		}
		if len(out) == 0 {
			t.Errorf("no samples and no error")
		}
		for _, v := range out {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) || v > 2 || v < -2 {
				t.Fatalf("sample %v out of range", v)
			}
		}
	})
}

// FuzzReceiveRTP feeds arbitrary datagrams (and valid packets with fuzzed fields) to a session's receive path
// and playout: nothing may panic, and the counters must stay consistent.
func FuzzReceiveRTP(f *testing.F) {
	good := func(pt uint8, seq uint16, ts uint32, payload []byte) []byte {
		b, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, SSRC: 5}, Payload: payload}).Marshal()
		return b
	}
	f.Add(good(0, 1, 160, make([]byte, 160)))
	f.Add(good(8, 65535, math.MaxUint32, make([]byte, 80)))
	f.Add(good(101, 7, 1000, []byte{5, 0x8a, 3, 0x20}))
	f.Add(good(13, 9, 99, []byte{40}))
	f.Add([]byte{0x80})
	f.Add([]byte{0xBF, 0xC8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1})
	cfg := testConfig()
	cfg.PortMin, cfg.PortMax = 42000, 42999
	pool, err := NewPortPool(cfg, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	s, err := pool.Open("fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close(); pool.Close() })
	s.SetRemote(Remote{Addr: netip.MustParseAddrPort("127.0.0.1:9"), Codec: PCMU, DTMFPayloadType: 101})
	src := netip.MustParseAddrPort("127.0.0.1:4000")
	now := time.Unix(1_800_000_000, 0)
	var fr Frame
	f.Fuzz(func(t *testing.T, data []byte) {
		now = now.Add(7 * time.Millisecond)
		s.handleRTP(data, src, now)
		s.mu.Lock()
		for i := 0; i < 30 && s.jb.pull(now.UnixNano(), &fr); i++ {
		}
		lost := s.jb.lost()
		s.mu.Unlock()
		if lost < 0 {
			t.Fatalf("negative loss %d", lost)
		}
		if st := s.Stats(); st.RTPReceived+st.Garbage == 0 {
			t.Fatal("datagram neither received nor counted as garbage")
		}
	})
}

func FuzzTelephoneEvents(f *testing.F) {
	f.Add([]byte{1, 0x0a, 0, 160, 1, 0x8a, 3, 32, 1, 0x8a, 3, 32})
	f.Add([]byte{11, 0x80, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var d dtmfDetector
		now := time.Unix(0, 0)
		reported := 0
		for i := 0; i+4 <= len(data); i += 4 {
			ev, err := ParseTelephoneEvent(data[i : i+4])
			if err != nil {
				t.Fatal(err)
			}
			if got := ev.Marshal(nil); !bytes.Equal(got[:1], data[i:i+1]) || got[2] != data[i+2] || got[3] != data[i+3] {
				t.Fatalf("marshal %x of %x", got, data[i:i+4])
			}
			now = now.Add(20 * time.Millisecond)
			ts := uint32(data[i]&3) * 1000 // a few distinct events
			if k, ok := d.packet(ts, ev, now); ok {
				reported++
				if _, valid := DigitEvent(k.Digit); !valid && k.Digit != '!' {
					t.Fatalf("reported invalid digit %q", k.Digit)
				}
			}
		}
		if _, ok := d.flush(now.Add(time.Hour)); ok {
			reported++
		}
		if reported > len(data)/4 {
			t.Fatalf("%d key presses from %d packets", reported, len(data)/4)
		}
	})
}

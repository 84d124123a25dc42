package media

import (
	"io"
	"time"

	"github.com/zaf/g711"
)

// The media clock of every call: 8 kHz mono, moved in 20 ms frames.
const (
	// SampleRate is the sample rate of all audio inside a call (G.711 narrowband).
	SampleRate = 8000
	// FrameSamples is the number of samples in one Frame (20 ms at 8 kHz).
	FrameSamples = 160
	// FrameDuration is the duration of one Frame.
	FrameDuration = 20 * time.Millisecond
)

// Frame is 20 ms of 8 kHz mono 16-bit linear PCM.
type Frame [FrameSamples]int16

// Codec is an RTP audio payload format.
type Codec struct {
	Name        string // SDP encoding name, "PCMU" or "PCMA"
	PayloadType uint8  // static RTP payload type
	ClockRate   uint32 // RTP clock rate in Hz
}

// The G.711 codecs (RFC 3551 static payload types).
var (
	PCMU = Codec{Name: "PCMU", PayloadType: 0, ClockRate: SampleRate}
	PCMA = Codec{Name: "PCMA", PayloadType: 8, ClockRate: SampleRate}
)

// CodecByPayloadType returns the codec for a static payload type (0 PCMU, 8 PCMA).
func CodecByPayloadType(pt uint8) (Codec, bool) {
	switch pt {
	case PCMU.PayloadType:
		return PCMU, true
	case PCMA.PayloadType:
		return PCMA, true
	}
	return Codec{}, false
}

// isALaw reports whether c encodes A-law; anything else is treated as μ-law.
func (c Codec) isALaw() bool { return c.PayloadType == PCMA.PayloadType || c.Name == "PCMA" }

// EncodeFrame appends the G.711 encoding of f to dst[:0] and returns it (160 bytes). It allocates only when dst
// has less capacity than FrameSamples.
func EncodeFrame(c Codec, f *Frame, dst []byte) []byte {
	return EncodeSamples(c, f[:], dst)
}

// EncodeSamples appends the G.711 encoding of pcm to dst[:0] and returns it.
func EncodeSamples(c Codec, pcm []int16, dst []byte) []byte {
	dst = dst[:0]
	if c.isALaw() {
		for _, s := range pcm {
			dst = append(dst, g711.EncodeAlawFrame(s))
		}
		return dst
	}
	for _, s := range pcm {
		dst = append(dst, g711.EncodeUlawFrame(s))
	}
	return dst
}

// DecodePayload decodes up to FrameSamples G.711 bytes of payload into f; samples past the payload are zeroed.
// It returns the number of samples decoded.
func DecodePayload(c Codec, payload []byte, f *Frame) int {
	n := DecodeSamples(c, payload, f[:])
	for i := n; i < FrameSamples; i++ {
		f[i] = 0
	}
	return n
}

// DecodeSamples decodes G.711 bytes into dst and returns the number of samples written (min of both lengths).
func DecodeSamples(c Codec, payload []byte, dst []int16) int {
	n := min(len(payload), len(dst))
	if c.isALaw() {
		for i := 0; i < n; i++ {
			dst[i] = g711.DecodeAlawFrame(payload[i])
		}
		return n
	}
	for i := 0; i < n; i++ {
		dst[i] = g711.DecodeUlawFrame(payload[i])
	}
	return n
}

// FrameSource is audio to play: ReadFrame fills f with the next 20 ms and returns io.EOF after the last frame.
type FrameSource interface {
	ReadFrame(f *Frame) error
}

// NewPCMSource plays 8 kHz mono samples; the last frame is padded with silence.
func NewPCMSource(samples []int16) FrameSource { return &pcmSource{pcm: samples} }

type pcmSource struct {
	pcm []int16
	pos int
}

func (s *pcmSource) ReadFrame(f *Frame) error {
	if s.pos >= len(s.pcm) {
		return io.EOF
	}
	n := copy(f[:], s.pcm[s.pos:])
	for i := n; i < FrameSamples; i++ {
		f[i] = 0
	}
	s.pos += n
	return nil
}

// FloatToPCM converts samples in [-1, 1] to 16-bit PCM, rounding and clipping.
func FloatToPCM(in []float32) []int16 {
	out := make([]int16, len(in))
	for i, v := range in {
		x := float64(v) * 32768
		if x >= 32767 {
			out[i] = 32767
		} else if x <= -32768 {
			out[i] = -32768
		} else if x >= 0 {
			out[i] = int16(x + 0.5)
		} else {
			out[i] = int16(x - 0.5)
		}
	}
	return out
}

func ulawDecode(b byte) int16 { return g711.DecodeUlawFrame(b) }
func alawDecode(b byte) int16 { return g711.DecodeAlawFrame(b) }

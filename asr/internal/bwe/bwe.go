// Package bwe maps cepstra of telephone-band speech (G.711, 300–3400 Hz, upsampled to 16 kHz) towards the cepstra
// the wideband acoustic model expects: a learned linear regression from a window of phone-line frames to one
// wideband frame (bandwidth extension in the feature domain). The map is trained offline on stereo data (wideband
// speech and the same speech passed through a simulated phone line) by Train, and applied per stream by a Mapper
// that allocates nothing per frame. It must not know about decoders, files or calls.
package bwe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Map is a trained feature map: out = W · [frames t-Ctx … t+Ctx, 1].
type Map struct {
	NCep int       // coefficients per frame (13)
	Ctx  int       // frames of context on each side
	W    []float32 // NCep rows of In() weights, row-major
}

// In is the input dimension (context window plus bias).
func (m *Map) In() int { return m.NCep*(2*m.Ctx+1) + 1 }

const magic = "HLBWE1\x00\x00"

// WriteTo stores the map in a small little-endian binary form.
func (m *Map) WriteTo(w io.Writer) (int64, error) {
	hdr := []int32{int32(m.NCep), int32(m.Ctx)}
	if _, err := w.Write([]byte(magic)); err != nil {
		return 0, err
	}
	if err := binary.Write(w, binary.LittleEndian, hdr); err != nil {
		return 0, err
	}
	if err := binary.Write(w, binary.LittleEndian, m.W); err != nil {
		return 0, err
	}
	return int64(len(magic) + 8 + 4*len(m.W)), nil
}

// Read loads a map written by WriteTo.
func Read(data []byte) (*Map, error) {
	if len(data) < len(magic)+8 || string(data[:len(magic)]) != magic {
		return nil, errors.New("bwe: not a feature map (bad header)")
	}
	ncep := int(int32(binary.LittleEndian.Uint32(data[8:])))
	ctx := int(int32(binary.LittleEndian.Uint32(data[12:])))
	m := &Map{NCep: ncep, Ctx: ctx}
	n := ncep * m.In()
	if ncep <= 0 || ctx < 0 || ctx > 10 || len(data) != 16+4*n {
		return nil, fmt.Errorf("bwe: feature map has %d bytes, want %d for %d×%d", len(data), 16+4*n, ncep, m.In())
	}
	m.W = make([]float32, n)
	for i := range m.W {
		m.W[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[16+4*i:]))
	}
	return m, nil
}

// Mapper applies a Map to a stream of frames with Ctx frames of look-ahead. Before the first frame and after the
// last, the window is padded with copies of those frames.
type Mapper struct {
	m    *Map
	ring []float32 // 2*Ctx+1 frames, frame i at slot i mod (2*Ctx+1)
	n    int       // frames pushed (real and padding)
	real int       // real frames pushed
	x    []float32
	last []float32
}

// NewMapper returns a mapper for one stream.
func NewMapper(m *Map) *Mapper {
	return &Mapper{m: m, ring: make([]float32, (2*m.Ctx+1)*m.NCep), x: make([]float32, m.In()), last: make([]float32, m.NCep)}
}

// Reset starts a new utterance.
func (p *Mapper) Reset() { p.n, p.real = 0, 0 }

// Push appends the mapped frames that became ready after the frames in cep (NCep values each) to dst.
func (p *Mapper) Push(cep []float32, dst []float32) []float32 {
	c := p.m.NCep
	for i := 0; i+c <= len(cep); i += c {
		p.real++
		dst = p.push(cep[i:i+c], dst)
	}
	return dst
}

// Flush appends the frames still held back for look-ahead to dst and resets the mapper.
func (p *Mapper) Flush(dst []float32) []float32 {
	if p.real > 0 {
		copy(p.last, p.ring[((p.n-1)%p.w())*p.m.NCep:])
		for i := 0; i < p.m.Ctx; i++ {
			dst = p.push(p.last, dst)
		}
	}
	p.Reset()
	return dst
}

func (p *Mapper) w() int { return 2*p.m.Ctx + 1 }

func (p *Mapper) push(f []float32, dst []float32) []float32 {
	c, ctx, w := p.m.NCep, p.m.Ctx, p.w()
	if p.n == 0 {
		for k := 1; k <= ctx; k++ { // indices -k hold copies of the first frame
			copy(p.ring[(w-k)*c:(w-k+1)*c], f)
		}
	}
	copy(p.ring[(p.n%w)*c:(p.n%w+1)*c], f)
	p.n++
	t := p.n - 1 - ctx // the frame whose window is now complete
	if t < 0 || t >= p.real {
		return dst
	}
	x := p.x
	for k := 0; k < w; k++ {
		i := ((t-ctx+k)%w + w) % w
		copy(x[k*c:(k+1)*c], p.ring[i*c:(i+1)*c])
	}
	x[len(x)-1] = 1
	in := p.m.In()
	for o := 0; o < c; o++ {
		row := p.m.W[o*in : (o+1)*in]
		var s float32
		for j, v := range x {
			s += row[j] * v
		}
		dst = append(dst, s)
	}
	return dst
}

package bwe

import (
	"bytes"
	"math"
	"testing"
)

func TestMapperKeepsOneOutputFramePerInputFrame(t *testing.T) {
	m := &Map{NCep: 2, Ctx: 2}
	m.W = make([]float32, m.NCep*m.In())
	// Identity on the centre frame: out[d] = x[centre][d].
	for d := 0; d < m.NCep; d++ {
		m.W[d*m.In()+m.Ctx*m.NCep+d] = 1
	}
	for _, n := range []int{1, 2, 3, 5, 17} {
		p := NewMapper(m)
		var in []float32
		for i := 0; i < n; i++ {
			in = append(in, float32(i), float32(-i))
		}
		var out []float32
		for i := 0; i < len(in); i += 2 { // one frame at a time, as a stream feeds it
			out = p.Push(in[i:i+2], out)
		}
		out = p.Flush(out)
		if len(out) != len(in) {
			t.Fatalf("%d frames in, %d out", n, len(out)/2)
		}
		for i := range in {
			if out[i] != in[i] {
				t.Fatalf("%d frames: identity map gave %v for %v", n, out, in)
			}
		}
	}
}

func TestTrainerRecoversALinearChannel(t *testing.T) {
	// target = 2*x - 1 on each coefficient: the least-squares map must find it.
	tr := NewTrainer(3, 1)
	var x, y []float32
	for i := 0; i < 500; i++ {
		for d := 0; d < 3; d++ {
			v := float32(math.Sin(float64(i*(d+1)) * 0.37))
			x = append(x, v)
			y = append(y, 2*v-1)
		}
	}
	tr.Add(x, y)
	m, err := tr.Solve(1e-9)
	if err != nil {
		t.Fatal(err)
	}
	p := NewMapper(m)
	out := p.Flush(p.Push(x, nil))
	for i := range y {
		if math.Abs(float64(out[i]-y[i])) > 1e-3 {
			t.Fatalf("frame %d coefficient %d: %v, want %v", i/3, i%3, out[i], y[i])
		}
	}
}

func TestMapRoundTripsAndRejectsGarbage(t *testing.T) {
	m := &Map{NCep: 2, Ctx: 1, W: make([]float32, 2*7)}
	m.W[3] = 1.5
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := Read(buf.Bytes())
	if err != nil || got.W[3] != 1.5 || got.Ctx != 1 {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, []byte("HLBWE1\x00\x00"), buf.Bytes()[:len(buf.Bytes())-1]} {
		if _, err := Read(bad); err == nil {
			t.Errorf("Read(%q) accepted garbage", bad)
		}
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	(&Map{NCep: 1, Ctx: 0, W: []float32{1, 0}}).WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Read(b)
		if err == nil && len(m.W) != m.NCep*m.In() {
			t.Fatalf("accepted a map with %d weights for %d×%d", len(m.W), m.NCep, m.In())
		}
	})
}

package bwe

import (
	"errors"
	"fmt"
	"math"
)

// Trainer accumulates stereo frame pairs (phone-line input, wideband target) for a least-squares Map.
type Trainer struct {
	ncep, ctx int
	xtx       []float64 // In×In
	xty       []float64 // In×NCep
	frames    int
}

// NewTrainer returns a trainer for ncep coefficients and ctx frames of context each side.
func NewTrainer(ncep, ctx int) *Trainer {
	in := ncep*(2*ctx+1) + 1
	return &Trainer{ncep: ncep, ctx: ctx, xtx: make([]float64, in*in), xty: make([]float64, in*ncep)}
}

// Frames is the number of frame pairs added.
func (t *Trainer) Frames() int { return t.frames }

// Add accumulates one utterance: phone and wide hold the same number of frames (extra frames at the end of the
// longer one are ignored).
func (t *Trainer) Add(phone, wide []float32) {
	c := t.ncep
	n := min(len(phone), len(wide)) / c
	in := c*(2*t.ctx+1) + 1
	x := make([]float64, in)
	for i := 0; i < n; i++ {
		for k := -t.ctx; k <= t.ctx; k++ {
			j := min(max(i+k, 0), n-1)
			for d := 0; d < c; d++ {
				x[(k+t.ctx)*c+d] = float64(phone[j*c+d])
			}
		}
		x[in-1] = 1
		for a := 0; a < in; a++ {
			xa := x[a]
			row := t.xtx[a*in : (a+1)*in]
			for b := a; b < in; b++ {
				row[b] += xa * x[b]
			}
			for d := 0; d < c; d++ {
				t.xty[a*c+d] += xa * float64(wide[i*c+d])
			}
		}
		t.frames++
	}
}

// Solve returns the ridge-regularised least-squares map (lambda scales the identity added to XᵀX, relative to its
// mean diagonal).
func (t *Trainer) Solve(lambda float64) (*Map, error) {
	c := t.ncep
	in := c*(2*t.ctx+1) + 1
	if t.frames < in*4 {
		return nil, fmt.Errorf("bwe: %d frames are too few to fit %d weights", t.frames, in)
	}
	a := make([]float64, in*in)
	var tr float64
	for i := 0; i < in; i++ {
		for j := i; j < in; j++ {
			a[i*in+j] = t.xtx[i*in+j]
			a[j*in+i] = t.xtx[i*in+j]
		}
		tr += a[i*in+i]
	}
	for i := 0; i < in-1; i++ { // not the bias
		a[i*in+i] += lambda * tr / float64(in)
	}
	// Cholesky a = L Lᵀ.
	l := make([]float64, in*in)
	for i := 0; i < in; i++ {
		for j := 0; j <= i; j++ {
			s := a[i*in+j]
			for k := 0; k < j; k++ {
				s -= l[i*in+k] * l[j*in+k]
			}
			if i == j {
				if s <= 0 {
					return nil, errors.New("bwe: normal equations are not positive definite (raise lambda)")
				}
				l[i*in+i] = math.Sqrt(s)
			} else {
				l[i*in+j] = s / l[j*in+j]
			}
		}
	}
	m := &Map{NCep: c, Ctx: t.ctx, W: make([]float32, c*in)}
	y := make([]float64, in)
	for d := 0; d < c; d++ {
		for i := 0; i < in; i++ { // forward
			s := t.xty[i*c+d]
			for k := 0; k < i; k++ {
				s -= l[i*in+k] * y[k]
			}
			y[i] = s / l[i*in+i]
		}
		for i := in - 1; i >= 0; i-- { // backward
			s := y[i]
			for k := i + 1; k < in; k++ {
				s -= l[k*in+i] * y[k]
			}
			y[i] = s / l[i*in+i]
		}
		for i := 0; i < in; i++ {
			m.W[d*in+i] = float32(y[i])
		}
	}
	return m, nil
}

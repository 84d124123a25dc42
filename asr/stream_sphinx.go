package asr

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/hotline/hotline/asr/internal/bwe"
	"github.com/hotline/hotline/asr/internal/dsp"
	"github.com/hotline/hotline/asr/internal/sphinx"
)

// minFirstFrames: PocketSphinx 5prealpha's ps_process_cep corrupts memory when the first block of an utterance
// is shorter than the feature window (acmod_process_cep subtracts the window from the frame count), so the first
// frames are gathered until there are this many.
const minFirstFrames = 12

// cmnFirstFrames of the stream's first utterance (pre-roll included) are gathered before decoding starts, to
// refine the initial cepstral mean; cmnBlend is their weight against the initial value.
var (
	cmnFirstFrames         = 100
	cmnBlend       float32 = 0.7
)

// prerollChunks of 20 ms are kept while nobody speaks and fed to the decoder when speech starts (300 ms).
const prerollChunks = 15

// sphinxStream is one embedded-engine stream: a goroutine owning a pooled decoder, fed through a frameQueue.
// Close flushes the queued audio, finalises speech in progress and returns the decoder to the pool.
type sphinxStream struct {
	*frameQueue
	e      *Embedded
	d      *decoder
	opts   StreamOptions
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	// Owned by the goroutine.
	workRate int            // 8000 (telephone path) or 16000 (wideband)
	rs       *dsp.Resampler // input rate → workRate, nil when equal
	up       *dsp.Resampler // 8 → 16 kHz on the telephone path
	mapper   *bwe.Mapper    // telephone → wideband cepstra, nil on the wideband path
	vad      vad
	chunkLen int       // samples of 20 ms at workRate
	chunk    []int16   // partial chunk being filled
	preroll  [][]int16 // ring of recent chunks while idle
	prN      int       // chunks in preroll
	work     []int16   // resampled input
	up16     []int16   // upsampled chunk
	cep      []float32 // cepstra of a chunk
	mapped   []float32 // mapped cepstra
	segs     []sphinx.Seg
	pend     []float32 // first frames of an utterance, held until there are minFirstFrames
	fresh    bool      // no frames given to the decoder yet in this utterance
	firstUtt bool      // the stream's first utterance: its first frames refine the cepstral mean
	cmnInit  []float32
	cmnTmp   []float32
	samples  int64 // workRate samples processed
	inUtt    bool
	uttStart int64 // sample where the utterance (its pre-roll) starts
	lastVoc  int64 // sample after the last speech chunk
	run      int   // consecutive speech chunks while idle
	nextPart int64 // sample at which the next partial is due
	partial  string
	checked  bool // the short end-of-turn check ran in this pause
}

func newSphinxStream(ctx context.Context, e *Embedded, d *decoder, opts StreamOptions) *sphinxStream {
	rate := opts.SampleRate
	if rate <= 0 {
		rate = 8000
	}
	s := &sphinxStream{frameQueue: newFrameQueue(e.cfg.QueueFrames, rate/50, opts.Offline), e: e, d: d, opts: opts}
	s.log = e.log
	if opts.CallID != "" {
		s.log = e.log.With("call_id", opts.CallID)
	}
	s.workRate = 16000
	if rate < 16000 {
		s.workRate = 8000
		s.up = dsp.NewResampler(8000, 16000)
		s.mapper = bwe.NewMapper(e.telMap)
	}
	if rate != s.workRate {
		s.rs = dsp.NewResampler(rate, s.workRate)
	}
	s.vad = newVAD(e.cfg.SpeechThresholdDB)
	s.chunkLen = s.workRate / 50
	s.chunk = make([]int16, 0, s.chunkLen)
	s.preroll = make([][]int16, prerollChunks)
	for i := range s.preroll {
		s.preroll[i] = make([]int16, s.chunkLen)
	}
	s.work = make([]int16, 0, 2*s.chunkLen)
	s.up16 = make([]int16, 0, 4*s.chunkLen)
	s.cep = make([]float32, 0, 8*sphinx.NCep)
	s.mapped = make([]float32, 0, 16*sphinx.NCep)
	s.segs = make([]sphinx.Seg, 0, 64)
	s.pend = make([]float32, 0, 2*minFirstFrames*sphinx.NCep)
	s.cmnInit = e.wideCMN
	if s.mapper != nil {
		s.cmnInit = e.telCMN
	}
	s.cmnTmp = make([]float32, sphinx.NCep)
	s.firstUtt = true
	s.ctx, s.cancel = context.WithCancel(ctx)
	stop := context.AfterFunc(e.ctx, s.cancel) // closing the recogniser ends its streams
	go s.loop(stop)
	return s
}

// Write queues a copy of frame; it drops the frame (and counts it) when the queue is full.
func (s *sphinxStream) Write(frame []int16) error {
	dropped, _, err := s.put(s.ctx, frame)
	if dropped {
		s.e.dropCount.Add(1)
		s.e.metrics.dropped()
	}
	return err
}

func (s *sphinxStream) loop(stop func() bool) {
	defer close(s.done)
	defer s.e.metrics.streamClosed()
	defer s.e.release(s.d)
	defer close(s.results)
	defer stop()
	defer s.cancel()
	if err := s.d.dec.SetCMN(s.cmnInit); err != nil { // a new caller: forget the last stream's channel
		s.fail(fmt.Errorf("asr: stream %s: %w", s.opts.CallID, err))
		return
	}
	for {
		select {
		case <-s.ctx.Done():
			if s.inUtt {
				_ = s.d.dec.EndUtt() // leave the decoder clean for the next stream
			}
			s.fail(fmt.Errorf("asr: stream %s: %w", s.opts.CallID, s.ctx.Err()))
			return
		case f, ok := <-s.frames():
			if !ok {
				if s.inUtt {
					if err := s.finish(false); err != nil {
						s.fail(err)
					}
				}
				return
			}
			err := s.process(f)
			s.recycle(f)
			if err != nil {
				s.fail(err)
				s.drain()
				return
			}
		}
	}
}

// drain returns queued buffers after a failure so Write keeps not blocking.
func (s *sphinxStream) drain() {
	s.cancel()
}

// process resamples a frame to the working rate and runs it through in 20 ms chunks.
func (s *sphinxStream) process(f []int16) error {
	in := f
	if s.rs != nil {
		s.work = s.rs.Process(f, s.work[:0])
		in = s.work
	}
	for len(in) > 0 {
		n := min(s.chunkLen-len(s.chunk), len(in))
		s.chunk = append(s.chunk, in[:n]...)
		in = in[n:]
		if len(s.chunk) == s.chunkLen {
			if err := s.processChunk(s.chunk); err != nil {
				return err
			}
			s.chunk = s.chunk[:0]
		}
	}
	return nil
}

func (s *sphinxStream) processChunk(c []int16) error {
	cfg := &s.e.cfg
	speech := s.vad.frame(c, 0.02)
	s.samples += int64(len(c))
	if !s.inUtt {
		copy(s.preroll[s.prN%prerollChunks], c)
		s.prN++
		if speech {
			s.run++
		} else {
			s.run = 0
		}
		if s.run < 2 {
			return nil
		}
		return s.start()
	}
	if err := s.feed(c); err != nil {
		return err
	}
	if speech {
		s.lastVoc = s.samples
		s.checked = false
	}
	rate := int64(s.workRate)
	if s.samples >= s.nextPart {
		s.nextPart = s.samples + int64(cfg.PartialInterval.Seconds()*float64(rate))
		if h := cleanHyp(s.d.dec.Hyp()); h != s.partial && h != "" {
			s.partial = h
			select { // partials are dropped rather than holding up recognition
			case s.results <- Result{Text: h}:
			default:
			}
		}
	}
	if s.opts.NoEndpoint {
		return nil
	}
	trailing := time.Duration(float64(s.samples-s.lastVoc) / float64(rate) * float64(time.Second))
	switch {
	case trailing >= cfg.EndSilence:
		return s.finish(true)
	case trailing >= cfg.EndSilenceComplete && !s.checked:
		s.checked = true
		if readsComplete(cleanHyp(s.d.dec.Hyp())) {
			return s.finish(true)
		}
	case time.Duration(float64(s.samples-s.uttStart)/float64(rate)*float64(time.Second)) >= cfg.MaxUtterance:
		return s.finish(false)
	}
	return nil
}

// start begins an utterance with the pre-roll chunks (the current chunk is the newest of them).
func (s *sphinxStream) start() error {
	n := min(s.prN, prerollChunks)
	s.uttStart = s.samples - int64(n*s.chunkLen)
	s.d.fe.Start()
	if s.up != nil {
		s.up.Reset()
		s.mapper.Reset()
	}
	if err := s.d.dec.StartUtt(); err != nil {
		return fmt.Errorf("asr: stream %s: %w", s.opts.CallID, err)
	}
	s.inUtt, s.partial, s.checked = true, "", false
	s.fresh, s.pend = true, s.pend[:0]
	s.nextPart = s.samples + int64(s.e.cfg.PartialInterval.Seconds()*float64(s.workRate))
	for i := s.prN - n; i < s.prN; i++ {
		if err := s.feed(s.preroll[i%prerollChunks]); err != nil {
			return err
		}
	}
	s.lastVoc = s.samples
	return nil
}

// feed turns a chunk into cepstra (mapped to wideband on the telephone path) and decodes them.
func (s *sphinxStream) feed(c []int16) error {
	pcm := c
	if s.up != nil {
		s.up16 = s.up.Process(c, s.up16[:0])
		pcm = s.up16
	}
	var err error
	s.cep, err = s.d.fe.Process(pcm, s.cep[:0])
	if err != nil {
		return fmt.Errorf("asr: stream %s: %w", s.opts.CallID, err)
	}
	return s.decode(s.cep)
}

func (s *sphinxStream) decode(cep []float32) error {
	if s.mapper != nil {
		s.mapped = s.mapper.Push(cep, s.mapped[:0])
		cep = s.mapped
	}
	if s.fresh {
		s.pend = append(s.pend, cep...)
		need := minFirstFrames
		if s.firstUtt {
			need = cmnFirstFrames
		}
		if len(s.pend) < need*sphinx.NCep {
			return nil
		}
		s.fresh = false
		s.refineCMN()
		cep = s.pend
	}
	if len(cep) == 0 {
		return nil
	}
	if err := s.d.dec.ProcessCep(cep); err != nil {
		return fmt.Errorf("asr: stream %s: %w", s.opts.CallID, err)
	}
	return nil
}

// finish ends the utterance and sends its final result (nothing when no words were recognised).
func (s *sphinxStream) finish(endOfTurn bool) error {
	began := time.Now()
	s.inUtt, s.run, s.prN = false, 0, 0
	s.cep = s.d.fe.End(s.cep[:0])
	if err := s.decode(s.cep); err != nil {
		return err
	}
	if s.mapper != nil {
		s.mapped = s.mapper.Flush(s.mapped[:0])
		if s.fresh {
			s.pend = append(s.pend, s.mapped...)
		} else if len(s.mapped) > 0 {
			if err := s.d.dec.ProcessCep(s.mapped); err != nil {
				return fmt.Errorf("asr: stream %s: %w", s.opts.CallID, err)
			}
		}
	}
	if s.fresh && len(s.pend) >= minFirstFrames*sphinx.NCep {
		s.refineCMN()
		if err := s.d.dec.ProcessCep(s.pend); err != nil {
			return fmt.Errorf("asr: stream %s: %w", s.opts.CallID, err)
		}
	}
	s.fresh = false
	if err := s.d.dec.EndUtt(); err != nil {
		return fmt.Errorf("asr: stream %s: %w", s.opts.CallID, err)
	}
	s.segs = s.d.dec.Segs(s.segs[:0])
	off := float64(s.uttStart) / float64(s.workRate)
	var words []Word
	var text strings.Builder
	for _, sg := range s.segs {
		w, ok := cleanWord(sg.Word)
		if !ok {
			continue
		}
		words = append(words, Word{W: w, Start: round3(off + float64(sg.Start)/100), End: round3(off + float64(sg.End+1)/100),
			Conf: round3(sg.Prob)})
		if text.Len() > 0 {
			text.WriteByte(' ')
		}
		text.WriteString(w)
	}
	if len(words) == 0 {
		return nil
	}
	trailing := time.Duration(float64(s.samples-s.lastVoc) / float64(s.workRate) * float64(time.Second))
	s.e.metrics.final(trailing + time.Since(began))
	r := Result{Text: text.String(), Final: true, EndOfTurn: endOfTurn, Words: words}
	s.log.Debug("asr: final", "text", r.Text, "end_of_turn", endOfTurn)
	select {
	case s.results <- r:
	case <-s.ctx.Done():
	}
	return nil
}

// refineCMN blends the initial cepstral mean with the mean of the first utterance's first frames, so a caller's
// level and line are normalised from the start instead of after many seconds of live updates.
func (s *sphinxStream) refineCMN() {
	if !s.firstUtt {
		return
	}
	s.firstUtt = false
	n := len(s.pend) / sphinx.NCep
	if n == 0 {
		return
	}
	for d := range s.cmnTmp {
		var sum float32
		for i := 0; i < n; i++ {
			sum += s.pend[i*sphinx.NCep+d]
		}
		s.cmnTmp[d] = cmnBlend*sum/float32(n) + (1-cmnBlend)*s.cmnInit[d]
	}
	if err := s.d.dec.SetCMN(s.cmnTmp); err != nil {
		s.log.Warn("asr: cepstral mean not refined", "err", err)
	}
}

// cleanWord drops fillers (<s>, <sil>, [NOISE], +SPN+…) and alternate-pronunciation marks ("read(2)").
func cleanWord(w string) (string, bool) {
	if w == "" || w[0] == '<' || w[0] == '[' || w[0] == '+' {
		return "", false
	}
	if i := strings.IndexByte(w, '('); i > 0 {
		w = w[:i]
	}
	return w, true
}

// cleanHyp removes alternate-pronunciation marks and fillers from a hypothesis string.
func cleanHyp(h string) string {
	if !strings.ContainsAny(h, "(<[+") {
		return h
	}
	f := strings.Fields(h)
	out := f[:0]
	for _, w := range f {
		if w, ok := cleanWord(w); ok {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

package callflow

import (
	"context"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/store"
)

// In-memory stand-ins for every Deps interface. They keep what the flow did to them, so a test can assert what
// the caller heard, what the queue was given and what was stored.

// fakeLeg is the SIP leg: keys from the test, hang-up and REFER recorded. Hanging up ends the call the way the
// SIP layer does: the call's context is cancelled.
type fakeLeg struct {
	dtmf    chan media.DTMF
	endCall context.CancelFunc

	mu          sync.Mutex
	hungUp      bool
	transfers   []string
	transferErr error
}

func (l *fakeLeg) DTMF() <-chan media.DTMF { return l.dtmf }

func (l *fakeLeg) Hangup(ctx context.Context) error {
	l.mu.Lock()
	l.hungUp = true
	l.mu.Unlock()
	l.endCall()
	return nil
}

func (l *fakeLeg) Transfer(ctx context.Context, target string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.transfers = append(l.transfers, target)
	if l.transferErr != nil {
		return l.transferErr
	}
	l.hungUp = true // a REFER accepted ends our leg
	l.endCall()
	return nil
}

// fakeMedia is the RTP session. A line clock delivers the caller's audio (what the test queued, else silence)
// to the subscribers every framePeriod, as the jitter buffer does every 20 ms. Play reads its source at the same
// pace and notes which sentences reached the caller: the fake synthesiser marks each sentence's samples.
type fakeMedia struct {
	synth       *fakeSynth
	framePeriod time.Duration

	mu        sync.Mutex
	subs      []chan media.Frame
	callerPCM []int16 // queued caller audio, played out by the line clock
	heard     []string
	playing   *struct{ done chan error }
	recorded  string
	muted     []bool // SetRecordMuted calls that changed the state
	direction media.Direction
	forward   func([]byte, uint8, uint32, bool)
}

func (m *fakeMedia) run(ctx context.Context) {
	t := time.NewTicker(m.framePeriod)
	defer t.Stop()
	var f media.Frame
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		m.mu.Lock()
		n := copy(f[:], m.callerPCM)
		clear(f[n:])
		m.callerPCM = m.callerPCM[n:]
		subs := slices.Clone(m.subs)
		m.mu.Unlock()
		for _, ch := range subs {
			select {
			case ch <- f:
			default: // a slow subscriber loses frames, as with the real session
			}
		}
	}
}

// speak queues caller audio on the line.
func (m *fakeMedia) speak(pcm []int16) {
	m.mu.Lock()
	m.callerPCM = append(m.callerPCM, pcm...)
	m.mu.Unlock()
}

func (m *fakeMedia) Subscribe(name string) <-chan media.Frame {
	ch := make(chan media.Frame, 50)
	m.mu.Lock()
	m.subs = append(m.subs, ch)
	m.mu.Unlock()
	return ch
}

func (m *fakeMedia) Unsubscribe(ch <-chan media.Frame) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.subs = slices.DeleteFunc(m.subs, func(c chan media.Frame) bool { return c == ch })
}

func (m *fakeMedia) Play(ctx context.Context, src media.FrameSource, opts ...media.PlayOption) error {
	onStart := media.PlayStartHook(opts...)
	me := &struct{ done chan error }{make(chan error, 1)}
	m.mu.Lock()
	if m.playing != nil {
		m.playing.done <- media.ErrPlaybackReplaced
	}
	m.playing = me
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		if m.playing == me {
			m.playing = nil
		}
		m.mu.Unlock()
	}()
	t := time.NewTicker(m.framePeriod)
	defer t.Stop()
	var f media.Frame
	last := ""
	for first := true; ; first = false {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-me.done:
			return err
		case now := <-t.C:
			if err := src.ReadFrame(&f); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return err
			}
			if first && onStart != nil {
				onStart(now)
			}
			s := m.synth.sentenceOf(f[0])
			if s == "" && f != (media.Frame{}) {
				s = toneHeard // not speech: the voicemail tone
			}
			if s != "" && s != last {
				last = s
				m.mu.Lock()
				m.heard = append(m.heard, s)
				m.mu.Unlock()
			}
		}
	}
}

func (m *fakeMedia) Record(path string) error {
	m.mu.Lock()
	m.recorded = path
	m.mu.Unlock()
	return nil
}

func (m *fakeMedia) SetRecordMuted(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.muted) == 0 && !on || len(m.muted) > 0 && m.muted[len(m.muted)-1] == on {
		return
	}
	m.muted = append(m.muted, on)
}

func (m *fakeMedia) Direction() media.Direction {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.direction
}

func (m *fakeMedia) Remote() media.Remote { return media.Remote{Codec: media.PCMU} }

func (m *fakeMedia) SetForward(fn func(payload []byte, pt uint8, ts uint32, marker bool)) {
	m.mu.Lock()
	m.forward = fn
	m.mu.Unlock()
}

func (m *fakeMedia) SendPayload(payload []byte, samples uint32) error { return nil }

func (m *fakeMedia) heardSoFar() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.heard)
}

// fakeSynth is the speech synthesiser behind the real dialog.Bot: each sentence becomes a stretch of a constant
// sample value that names it, so the fake media can tell which sentences the caller heard.
type fakeSynth struct {
	sentence time.Duration // how long each sentence plays (60 ms when 0)

	mu        sync.Mutex
	sentences []string
}

const sentenceMark = 1000

// toneHeard stands in the list of what the caller heard for audio that is not a sentence (the voicemail tone).
const toneHeard = "<tone>"

func (s *fakeSynth) Synthesize(ctx context.Context, text string) ([]int16, error) {
	s.mu.Lock()
	i := slices.Index(s.sentences, text)
	if i < 0 {
		i = len(s.sentences)
		s.sentences = append(s.sentences, text)
	}
	s.mu.Unlock()
	d := s.sentence
	if d == 0 {
		d = 60 * time.Millisecond
	}
	pcm := make([]int16, int(d.Seconds()*media.SampleRate))
	for k := range pcm {
		pcm[k] = int16(sentenceMark + i)
	}
	return pcm, nil
}

func (s *fakeSynth) sentenceOf(v int16) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := int(v) - sentenceMark
	if i < 0 || i >= len(s.sentences) {
		return ""
	}
	return s.sentences[i]
}

// fakeRecognizer hands out streams the test speaks into: say puts a final result on the caller's stream.
type fakeRecognizer struct {
	err error // NewStream fails with it (recognition unavailable)

	mu      sync.Mutex
	streams map[string]*fakeStream
	opened  chan string
}

func newFakeRecognizer() *fakeRecognizer {
	return &fakeRecognizer{streams: map[string]*fakeStream{}, opened: make(chan string, 8)}
}

func (r *fakeRecognizer) NewStream(ctx context.Context, opts asr.StreamOptions) (asr.Stream, error) {
	if r.err != nil {
		return nil, r.err
	}
	st := &fakeStream{results: make(chan asr.Result, 16)}
	r.mu.Lock()
	r.streams[opts.CallID] = st
	r.mu.Unlock()
	r.opened <- opts.CallID
	return st, nil
}

func (r *fakeRecognizer) Close() error { return nil }

func (r *fakeRecognizer) stream(id string) *fakeStream {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.streams[id]
}

type fakeStream struct {
	mu      sync.Mutex
	frames  int
	closed  bool
	results chan asr.Result
}

func (s *fakeStream) Write(frame []int16) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return asr.ErrClosed
	}
	s.frames++
	return nil
}

func (s *fakeStream) Results() <-chan asr.Result { return s.results }

func (s *fakeStream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.results)
	}
	return nil
}

// final puts a final result for text (words a second long each, high confidence) on the stream.
// The words end with the audio written so far (the recogniser's clock), 0.1 s each.
func (s *fakeStream) final(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fields := strings.Fields(text)
	start := max(0, float64(s.frames)*0.02-0.1*float64(len(fields)))
	var words []asr.Word
	for i, w := range fields {
		words = append(words, asr.Word{W: w, Start: start + float64(i)*0.1, End: start + float64(i+1)*0.1, Conf: 0.95})
	}
	if !s.closed {
		s.results <- asr.Result{Text: text, Final: true, EndOfTurn: true, Words: words}
	}
}

func (s *fakeStream) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		s.results <- asr.Result{Err: err}
		close(s.results)
	}
}

// fakeQueue is the agent side. enqueue scripts what happens to each hand-off; the rest is recorded.
type fakeQueue struct {
	enqueue func(ctx context.Context, n int, q agentbridge.QueuedCall) (agentbridge.Outcome, error)

	mu          sync.Mutex
	queued      []agentbridge.QueuedCall
	reports     []prosody.Report
	transcript  []prosody.TranscriptLine
	hints       []agentbridge.Hint
	supervisors []any
	agentOnCall string // the agent Agents() lists as having the call
	agentCallID string // and the call they have
}

func (q *fakeQueue) Enqueue(ctx context.Context, c agentbridge.QueuedCall) (agentbridge.Outcome, error) {
	q.mu.Lock()
	q.queued = append(q.queued, c)
	n := len(q.queued)
	q.mu.Unlock()
	return q.enqueue(ctx, n, c)
}

func (q *fakeQueue) UpdateReport(callID string, r prosody.Report) {
	q.mu.Lock()
	q.reports = append(q.reports, r)
	q.mu.Unlock()
}

func (q *fakeQueue) AddTranscript(callID string, line prosody.TranscriptLine) {
	q.mu.Lock()
	q.transcript = append(q.transcript, line)
	q.mu.Unlock()
}

func (q *fakeQueue) SendHint(callID string, h agentbridge.Hint) {
	q.mu.Lock()
	q.hints = append(q.hints, h)
	q.mu.Unlock()
}

func (q *fakeQueue) PublishSupervisor(v any) {
	q.mu.Lock()
	q.supervisors = append(q.supervisors, v)
	q.mu.Unlock()
}

func (q *fakeQueue) Agents() []agentbridge.AgentState {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.agentOnCall == "" {
		return nil
	}
	return []agentbridge.AgentState{{Name: q.agentOnCall, Presence: "busy", CallID: q.agentCallID}}
}

func (q *fakeQueue) setAgent(name, callID string) {
	q.mu.Lock()
	q.agentOnCall, q.agentCallID = name, callID
	q.mu.Unlock()
}

// fakeRecords is the record sink.
type fakeRecords struct {
	mu      sync.Mutex
	records []store.Call
	saved   chan struct{}
}

func (r *fakeRecords) Enqueue(c *store.Call) bool {
	r.mu.Lock()
	r.records = append(r.records, *c)
	r.mu.Unlock()
	select {
	case r.saved <- struct{}{}:
	default:
	}
	return true
}

func (r *fakeRecords) last(t *testing.T) store.Call {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.records) == 0 {
		t.Fatal("no call record stored")
	}
	return r.records[len(r.records)-1]
}

// voice is a synthetic voiced sound: a 140 Hz harmonic series, syllable-modulated at 4 Hz, at about -20 dBFS —
// enough for the voice-activity detector to call it speech.
func voice(d time.Duration) []int16 {
	n := int(d.Seconds() * media.SampleRate)
	pcm := make([]int16, n)
	for i := range pcm {
		t := float64(i) / media.SampleRate
		x := 0.0
		for h := 1; h <= 10; h++ {
			x += math.Sin(2*math.Pi*140*float64(h)*t) / float64(h)
		}
		env := 0.6 + 0.4*math.Sin(2*math.Pi*4*t)
		pcm[i] = int16(4000 * env * x)
	}
	return pcm
}

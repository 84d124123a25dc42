package callflow

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/media"
	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/quality"
)

// agentLeg analyses the agent's side while an agent has the call: the agent's voice (prosody, the same analysis
// as the caller's), the agent's words (recognition) and the quality inspector, which pairs both parties' voice
// activity every 10 ms on the caller's media clock. It starts with the agent's first audio packet, the moment the
// agent took the call.
type agentLeg struct {
	cs      *session
	frames  chan media.Frame // from the WebRTC reader goroutine; bounded, a full queue drops
	dropped atomic.Int64
	talking atomic.Bool
	insp    *quality.Inspector
	voice   *prosody.Stream // owned by run
	recog   asr.Stream
	startAt float64
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// agentAudioSink returns the AgentAudio hook of a queued call: it starts the agent leg on the first packet and
// queues every packet for it without blocking the WebRTC reader. The leg starts on its own goroutine: opening
// the agent's recogniser may wait for a decoder to load, and meanwhile the reader must go on passing the agent's
// voice to the caller (started on the reader, it held the agent's first second or so back from the caller).
// Packets that come before the leg is ready are not analysed.
func (cs *session) agentAudioSink(ctx context.Context) (sink func(pcm []int16), stop func()) {
	var once sync.Once
	var leg *agentLeg
	var mu sync.Mutex
	var stopped bool
	var starting sync.WaitGroup
	sink = func(pcm []int16) {
		once.Do(func() {
			mu.Lock()
			defer mu.Unlock()
			if stopped {
				return
			}
			starting.Add(1)
			go func() {
				defer starting.Done()
				l := cs.startAgentLeg(ctx)
				mu.Lock()
				leg = l
				mu.Unlock()
			}()
		})
		mu.Lock()
		l := leg
		mu.Unlock()
		if l == nil {
			return
		}
		var f media.Frame
		copy(f[:], pcm)
		select {
		case l.frames <- f:
		default:
			l.dropped.Add(1)
		}
	}
	stop = func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
		starting.Wait()
		mu.Lock()
		l := leg
		mu.Unlock()
		if l != nil {
			l.stop()
		}
	}
	return sink, stop
}

func (cs *session) startAgentLeg(parent context.Context) *agentLeg {
	f := cs.f
	ctx, cancel := context.WithCancel(parent)
	voice, err := prosody.NewStream(f.set.Prosody)
	if err != nil {
		cancel()
		cs.log.Error("agent voice analysis", "err", err)
		return nil
	}
	agent := cs.agentName()
	l := &agentLeg{cs: cs, frames: make(chan media.Frame, 50), voice: voice, startAt: cs.since(time.Now()), cancel: cancel}
	q := f.deps.Queue
	insp, err := quality.NewInspector(f.set.Quality, cs.c.ID, agent, l.startAt, func(a quality.Alert) {
		q.PublishSupervisor(a)
		if a.Suggestion != "" {
			q.SendHint(cs.c.ID, agentbridge.Hint{Phrase: a.Phrase, Instead: a.Suggestion, Note: a.Kind})
		}
		cs.log.Info("quality alert", "kind", a.Kind, "severity", a.Severity, "agent", a.Agent)
	})
	if err != nil {
		cancel()
		cs.log.Error("quality inspection not started", "err", err)
		return nil
	}
	l.insp = insp
	if rz := f.deps.Recognizer; rz != nil {
		st, err := rz.NewStream(ctx, asr.StreamOptions{CallID: cs.c.ID + "/agent", SampleRate: media.SampleRate})
		if err != nil {
			cs.log.Warn("no recognition of the agent's words", "err", err)
		} else {
			l.recog = st
			l.wg.Add(1)
			go l.words(ctx)
		}
	}
	l.wg.Add(1)
	go l.run(ctx)
	cs.mu.Lock()
	cs.inspector = insp
	cs.agent = l
	cs.mu.Unlock()
	cs.log.Info("agent leg started", "agent", agent)
	return l
}

// agentName is the agent who has the call now, as the bridge says.
func (cs *session) agentName() string {
	for _, a := range cs.f.deps.Queue.Agents() {
		if a.CallID == cs.c.ID {
			return a.Name
		}
	}
	return ""
}

// run analyses the agent's frames.
func (l *agentLeg) run(ctx context.Context) {
	defer l.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case f, ok := <-l.frames:
			if !ok {
				return
			}
			l.voice.Write(f[:])
			l.talking.Store(l.voice.Speaking())
			if l.recog != nil {
				_ = l.recog.Write(f[:])
			}
		}
	}
}

// words takes the agent's recognised words to the inspector, the transcript and the agent's emotion estimate.
func (l *agentLeg) words(ctx context.Context) {
	defer l.wg.Done()
	eachFinal(ctx, l.recog.Results(), func(r asr.Result) {
		text := quality.MaskCardNumbers(r.Text)
		at := l.startAt
		if len(r.Words) > 0 {
			at += r.Words[0].Start
		}
		l.insp.AgentWords(at, text)
		l.cs.addLine("agent", at, text)
	})
}

// callerHop is called on the caller's media clock with each 10 ms speech decision of the caller.
func (l *agentLeg) callerHop(callerSpeech bool) {
	l.insp.Frame(l.talking.Load(), callerSpeech)
}

// stop ends the agent leg: recognition flushed, goroutines done.
func (l *agentLeg) stop() {
	if l.recog != nil {
		_ = l.recog.Close() // flushes the last words to words() before it stops
	}
	l.cancel()
	l.wg.Wait()
	l.cs.mu.Lock()
	l.cs.agent = nil // the inspector keeps its results for the record
	l.cs.mu.Unlock()
}

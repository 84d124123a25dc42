package callflow

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/media"
)

// prompt is one thing the bot says, registered as what is being said (so stopSpeech and barge-in can stop it)
// before any of it plays. src is set (under the session's mu) once synthesis has started.
type prompt struct {
	ctx       context.Context
	cancel    context.CancelFunc
	bargeable bool // the caller's speech over it stops it
	src       *dialog.SpeechSource
}

// say speaks text to the caller and returns when it was played, or when ctx ends.
func (cs *session) say(ctx context.Context, text string) error {
	_, err := cs.play(ctx, cs.startPrompt(ctx, false), text, nil)
	return err
}

// tell says text outside the bot's conversation and keeps it in the transcript.
func (cs *session) tell(ctx context.Context, text string) error {
	cs.addLine("bot", cs.since(time.Now()), text)
	return cs.say(ctx, text)
}

// goodbye tells the caller text and hangs up.
func (cs *session) goodbye(ctx context.Context, text string) {
	_ = cs.tell(ctx, text)
	_ = cs.c.Leg.Hangup(ctx)
}

// startPrompt registers a new prompt as what is being said. Whoever starts a prompt in another goroutine calls it
// first, so a stopSpeech that comes at once (a caller who spoke during the announcement) still stops it.
func (cs *session) startPrompt(ctx context.Context, bargeable bool) *prompt {
	p := &prompt{bargeable: bargeable}
	p.ctx, p.cancel = context.WithCancel(ctx)
	cs.mu.Lock()
	cs.bargeIn.Reset()
	cs.prompt = p
	cs.mu.Unlock()
	return p
}

// play synthesises text sentence by sentence and plays it as prompt p, the first sentence as soon as it exists;
// onStart gets the time of the first RTP packet. It returns when the prompt was played, was stopped (barge-in,
// stopSpeech: stopped is true), or ctx ended.
func (cs *session) play(ctx context.Context, p *prompt, text string, onStart func(time.Time)) (stopped bool, err error) {
	defer p.cancel()
	defer func() {
		cs.mu.Lock()
		if cs.prompt == p {
			cs.prompt = nil
		}
		cs.mu.Unlock()
	}()
	if strings.TrimSpace(text) == "" {
		return false, ctx.Err()
	}
	src := cs.f.deps.Bot.NewSpeechSource(p.ctx, text)
	cs.mu.Lock()
	p.src = src
	cs.mu.Unlock()
	// Synthesis ends soon after p.ctx does, but a sentence in progress (in C) finishes first: the flow waits for
	// it in the background rather than hold up the reply to a barge-in or the end of the call.
	defer cs.f.background(func() {
		<-src.Done()
		if err := src.Err(); err != nil && !errors.Is(err, context.Canceled) {
			cs.log.Error("speech synthesis failed", "err", err)
		}
	})

	var opts []media.PlayOption
	if onStart != nil {
		opts = append(opts, media.OnPlayStart(onStart))
	}
	// The first packet is real speech (bot_audio_start_ms measures it); meanwhile the line carries comfort
	// silence, and a barge-in or hang-up still stops the prompt.
	var playErr error
	select {
	case <-src.Ready():
		playErr = cs.m.Play(p.ctx, src, opts...)
	case <-p.ctx.Done():
		playErr = p.ctx.Err()
	}
	p.cancel()
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if errors.Is(playErr, context.Canceled) {
		return true, nil
	}
	if playErr != nil && !errors.Is(playErr, media.ErrPlaybackReplaced) {
		return false, playErr
	}
	return false, nil
}

// stopSpeech stops whatever the bot is saying now.
func (cs *session) stopSpeech() {
	cs.mu.Lock()
	p := cs.prompt
	cs.mu.Unlock()
	if p != nil {
		p.cancel()
	}
}

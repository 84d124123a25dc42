package callflow

import (
	"context"
	"time"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/quality"
	"github.com/hotline/hotline/store"
)

// handOff puts the call through to a person. It returns ended when the call is over (the agent or the caller
// finished it), else what the overflow policy says to do next (agentbridge.NextBot, NextVoicemail, …) and why
// (agentbridge.ReasonClosed, …; "" when the agent's page was lost).
func (cs *session) handOff(ctx context.Context, reason string) (next, why string, ended bool) {
	cs.mu.Lock()
	cs.rec.TransferReason = reason
	cs.mu.Unlock()
	cs.log.Info("handing the call over", "reason", reason)
	q := cs.f.deps.Queue
	if q == nil {
		return agentbridge.NextRefer, "", false
	}

	updCtx, stopUpdates := context.WithCancel(ctx)
	defer stopUpdates()
	agentAudio, stopAgentLeg := cs.agentAudioSink(updCtx)
	defer stopAgentLeg()
	cs.wg.Add(3)
	go cs.liveUpdates(updCtx)
	go cs.transcribeCaller(updCtx)
	go cs.watchKeys(updCtx)

	var since time.Time
	for {
		out, err := q.Enqueue(ctx, agentbridge.QueuedCall{
			ID: cs.c.ID, Caller: cs.rec.Caller, Report: cs.report(), Media: cs.m,
			PayloadType: cs.m.Remote().Codec.PayloadType,
			Say:         cs.tell,
			AgentAudio:  agentAudio,
			QueuedSince: since,
		})
		if err != nil {
			cs.log.Error("agent queue", "err", err)
			return agentbridge.NextRefer, "", false
		}
		cs.mu.Lock()
		cs.rec.WaitMS += out.WaitMS
		cs.rec.RingMS += out.RingMS
		if out.Agent != "" {
			cs.rec.Agent = out.Agent
		}
		cs.mu.Unlock()
		switch out.Result {
		case agentbridge.ResultCompleted, agentbridge.ResultCallerHangup:
			cs.setOutcome(store.OutcomeTransferred)
			cs.awaitWrapUp(out.WrapUp)
			if out.Result == agentbridge.ResultCompleted {
				_ = cs.c.Leg.Hangup(ctx)
			}
			return "", "", true
		case agentbridge.ResultAbandoned:
			cs.setOutcome(store.OutcomeAbandoned)
			return "", "", true
		case agentbridge.ResultAgentLost:
			// An agent took the call, whatever happens next; agents.on_agent_lost says what that is.
			cs.setOutcome(store.OutcomeTransferred)
			if out.Next == agentbridge.NextBot {
				cs.log.Warn("agent lost mid-call; the bot takes the caller back", "agent", out.Agent)
				return out.Next, "", false
			}
			cs.log.Warn("agent lost mid-call; queuing the caller again", "agent", out.Agent)
			since = out.QueuedSince
			continue
		default:
			return out.Next, out.Reason, false
		}
	}
}

// overflow carries out the overflow policy when no agent can take the call — back to the bot, a message, a
// transfer to call.fallback_refer, or goodbye — and reports whether the bot has the caller again. This is the one
// place the policy is acted on: agentbridge decides which applies (agents.overflow, business hours, on_agent_lost).
func (cs *session) overflow(ctx context.Context, next string) (backToBot bool) {
	call := cs.f.set.Call
	switch {
	case next == agentbridge.NextBot && !call.NoBot:
		return true
	case next == agentbridge.NextVoicemail:
		cs.voicemail(ctx)
		return false
	case call.FallbackRefer != "":
		if err := cs.c.Leg.Transfer(ctx, call.FallbackRefer); err != nil {
			cs.log.Warn("fallback transfer failed", "target", call.FallbackRefer, "err", err)
			break
		}
		cs.setOutcome(store.OutcomeTransferred)
		return false
	}
	cs.goodbye(ctx, call.NoAgents)
	return false
}

// liveUpdates sends the agent's page a whole new emotion report every second while the call is with the queue.
func (cs *session) liveUpdates(ctx context.Context) {
	defer cs.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cs.f.deps.Queue.UpdateReport(cs.c.ID, cs.report())
		}
	}
}

// awaitWrapUp stores the agent's disposition and notes when they come, after the call; the record is saved
// again then. The wait is bounded by the bridge's wrap-up timeout.
func (cs *session) awaitWrapUp(ch <-chan agentbridge.WrapUp) {
	if ch == nil {
		return
	}
	cs.f.background(func() {
		select {
		case w, ok := <-ch:
			if !ok {
				return
			}
			cs.mu.Lock()
			cs.rec.Disposition, cs.rec.Notes = w.Disposition, quality.MaskCardNumbers(w.Notes)
			rec := *cs.rec
			ended := !rec.EndedAt.IsZero()
			cs.mu.Unlock()
			if ended {
				cs.f.deps.Records.Enqueue(&rec)
			}
		case <-cs.f.bgCtx.Done():
		}
	})
}

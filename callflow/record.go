package callflow

import (
	"github.com/hotline/hotline/sip"
	"github.com/hotline/hotline/store"
)

// End completes and stores the record of every admitted call, answered or not, with the signalling's final
// account; it fits sip.WithOnEnd. For an answered call it runs after Run returned.
func (f *Flow) End(end sip.CallEnd) {
	f.mu.Lock()
	cs := f.calls[end.ID]
	delete(f.calls, end.ID)
	f.mu.Unlock()

	var rec store.Call
	if cs == nil {
		rec = store.Call{ID: end.ID, SIPCallID: end.SIPCallID, Caller: recordCaller(end.Caller, end.Private), CallerPrivate: end.Private,
			StartedAt: end.StartedAt, Outcome: store.OutcomeAbandoned}
		if end.Cause != "cancelled" {
			rec.Outcome = store.OutcomeFailed
		}
	} else {
		rec = cs.finalRecord(end)
	}
	rec.SIPStatus = end.SIPStatus
	rec.EndedAt = end.EndedAt
	rec.EndCause = end.Cause
	f.deps.Metrics.record(&rec)
	if !f.deps.Records.Enqueue(&rec) {
		f.log.Error("call record dropped: store queue full", "call_id", rec.ID)
	}
	f.log.Info("call ended", "call_id", end.ID, "outcome", rec.Outcome, "cause", end.Cause, "by", end.By,
		"sip_status", end.SIPStatus, "rtp_received", end.Stats.RTPReceived, "rtp_sent", end.Stats.RTPSent)
}

// finalRecord completes the session's record with the conversation, the emotion report, quality inspection and
// the outcome. The session keeps the final account too: the agent's wrap-up may save the record again later.
func (cs *session) finalRecord(end sip.CallEnd) store.Call {
	report := cs.report()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.rec.Transcript = report.Transcript
	cs.rec.Emotion = &report
	if intent := cs.conv.Intent(); intent != "" {
		cs.rec.Intent = intent
	}
	if r := cs.conv.TransferReason(); r != "" && cs.rec.TransferReason == "" {
		cs.rec.TransferReason = r
	}
	cs.rec.EmotionStart = cs.firstState
	cs.rec.EmotionEnd = &store.EmotionPoint{State: report.State, Level: report.Level}
	if cs.inspector != nil {
		cs.rec.QA = cs.inspector.Result()
	}
	outcome := cs.outcome
	if outcome == "" {
		switch {
		case end.Cause == "rtp_timeout" || end.Cause == "session_expired":
			outcome = store.OutcomeFailed
		case cs.conv.AnsweredQuestions() > 0 && cs.rec.TransferReason == "":
			outcome = store.OutcomeBotResolved
		default:
			outcome = store.OutcomeAbandoned
		}
	}
	cs.rec.Outcome, cs.rec.SIPStatus, cs.rec.EndedAt, cs.rec.EndCause = outcome, end.SIPStatus, end.EndedAt, end.Cause
	return *cs.rec
}

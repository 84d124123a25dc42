package main

import (
	"context"
	"strings"

	"github.com/hotline/hotline/agentbridge"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/store"
)

// unansweredToStore keeps the bot's unanswered questions in the call-record store, where `hotline kb suggest`
// and the weekly report cluster them.
type unansweredToStore struct{ st store.Store }

func (u unansweredToStore) LogUnanswered(ctx context.Context, q dialog.Unanswered) error {
	return u.st.AddUnanswered(ctx, q.CallID, q.Text, q.Time)
}

// bridgeHooks lends the agent bridge the API token check, the caller's history and the knowledge base.
func (s *server) bridgeHooks() agentbridge.Hooks {
	return agentbridge.Hooks{
		CheckToken: func(tok string) (string, string, bool) {
			if s.isAPIToken(tok) {
				return "api", "supervisor", true
			}
			return "", "", false
		},
		History: func(ctx context.Context, caller string) ([]agentbridge.PastCall, error) {
			if caller == "" || caller == "anonymous" {
				return nil, nil
			}
			// The store has no index by caller: the recent calls are scanned, which is enough for a card.
			calls, err := s.store.ListCalls(ctx, store.ListOptions{Limit: 500})
			if err != nil {
				return nil, err
			}
			var out []agentbridge.PastCall
			for _, c := range calls {
				if !strings.EqualFold(c.Caller, caller) || len(out) == 10 {
					continue
				}
				pc := agentbridge.PastCall{ID: c.ID, StartedAt: c.StartedAt, Outcome: string(c.Outcome), Intent: c.Intent,
					Agent: c.Agent, Disposition: c.Disposition, Notes: c.Notes}
				if c.Emotion != nil {
					pc.State = string(c.Emotion.State)
				}
				out = append(out, pc)
			}
			return out, nil
		},
		Assist: func(ctx context.Context, callID, text string) []agentbridge.Suggestion {
			m := s.bot.Understand(text)
			e := s.bot.KB().Entry(m.Intent)
			if e == nil || m.Confidence <= 0 {
				return nil
			}
			title := e.Topic
			if title == "" {
				title = e.ID
			}
			return []agentbridge.Suggestion{{Title: title, Answer: e.Answer, Score: m.Confidence}}
		},
	}
}

package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hotline/hotline/store"
)

// CSVHeader is the first row of WriteCSV.
var CSVHeader = []string{"id", "sip_call_id", "caller", "started_at", "ended_at", "duration_s", "outcome", "sip_status",
	"intent", "transfer_reason", "agent", "wait_ms", "ring_ms", "disposition", "notes", "emotion_start",
	"emotion_end", "emotion_end_level", "qa_score", "talk_share_agent", "non_talk_ms", "interruptions", "agent_wpm",
	"risky_phrases", "bot_turns", "avg_bot_response_ms", "recognition_failures", "end_cause",
	"voicemail_ms"}

// WriteCSV writes one row per call (after CSVHeader), for spreadsheets. Cells that a spreadsheet would take for
// a formula (starting with =, +, -, @) are prefixed with ' so that opening the file runs nothing.
func WriteCSV(w io.Writer, calls []store.Call) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("report csv: %w", err)
	}
	for i := range calls {
		c := &calls[i]
		var risky []string
		for _, r := range c.QA.RiskyPhrases {
			risky = append(risky, r.Kind+": "+r.Phrase)
		}
		var respSum, respN int64
		for _, t := range c.Turns {
			if t.BotAudioStartMS > 0 && t.CallerSpeechEndMS > 0 {
				respSum += t.BotAudioStartMS - t.CallerSpeechEndMS
				respN++
			}
		}
		avgResp := ""
		if respN > 0 {
			avgResp = strconv.FormatInt(respSum/respN, 10)
		}
		start, end, endLevel := "", "", ""
		if s, e, ok := emotionEnds(c); ok {
			start, end, endLevel = string(s.State), string(e.State), strconv.Itoa(e.Level)
		}
		voicemailMS := ""
		if c.Voicemail != nil {
			voicemailMS = strconv.FormatInt(c.Voicemail.DurationMS, 10)
		}
		row := []string{c.ID, c.SIPCallID, c.Caller, timeCell(c.StartedAt), timeCell(c.EndedAt),
			strconv.FormatFloat(c.Duration().Seconds(), 'f', 1, 64), string(c.Outcome), strconv.Itoa(c.SIPStatus),
			c.Intent, c.TransferReason, c.Agent, strconv.FormatInt(c.WaitMS, 10), strconv.FormatInt(c.RingMS, 10),
			c.Disposition, c.Notes, start, end, endLevel, num(c.QA.Score), num(c.QA.TalkShareAgent),
			strconv.FormatInt(c.QA.NonTalkMS, 10), strconv.Itoa(c.QA.Interruptions), num(c.QA.AgentWPM),
			strings.Join(risky, "; "), strconv.Itoa(len(c.Turns)), avgResp, strconv.Itoa(c.RecognitionFailures),
			c.EndCause, voicemailMS}
		for j, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				row[j] = "'" + cell
			}
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("report csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report csv: %w", err)
	}
	return nil
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

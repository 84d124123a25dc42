package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/store"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report json: %w", err)
	}
	return nil
}

// WriteHTML writes the report as one self-contained HTML page with inline SVG charts.
func (r *Report) WriteHTML(w io.Writer) error {
	if err := page.Execute(w, r.view()); err != nil {
		return fmt.Errorf("report html: %w", err)
	}
	return nil
}

type tile struct {
	Label, Value, Hint string
}

type view struct {
	R      *Report
	Range  string
	Tiles  []tile
	Charts map[string]template.HTML
}

var reasonLabels = map[string]string{
	store.ReasonAskedForAgent:          "asked for an agent",
	store.ReasonEmotion:                "emotion",
	store.ReasonNotUnderstood:          "not understood",
	store.ReasonAgentOnlyTopic:         "agent-only topic",
	store.ReasonRecognitionUnavailable: "recognition unavailable",
	store.ReasonNoBot:                  "no bot (config)",
}

func reasonLabel(r string) string {
	if l, ok := reasonLabels[r]; ok {
		return l
	}
	return r
}

func pct(x float64) string { return fmt.Sprintf("%.0f%%", x*100) }

func secs(ms float64) string { return fmt.Sprintf("%.1f s", ms/1000) }

func (r *Report) view() view {
	v := view{R: r, Charts: map[string]template.HTML{}}
	v.Range = r.From.Format("Mon 2 Jan 2006 15:04") + " – " + r.To.Format("Mon 2 Jan 2006 15:04 MST")
	v.Tiles = []tile{
		{"Calls", fmt.Sprint(r.Calls), ""},
		{"Bot containment", pct(r.BotContainment), fmt.Sprintf("%d settled by the bot", r.BotResolved)},
		{"Escalations", fmt.Sprint(r.Escalations), escalationsNote(r)},
		{"De-escalation", pct(r.Emotion.DeescalationRate), fmt.Sprintf("%d of %d upset callers ended calmer", r.Emotion.Deescalated, r.Emotion.Upset)},
		{"Escalations from recognition", pct(r.RecognitionFailureShare), "not understood or recogniser down"},
		{"Average wait", secs(r.AvgWaitMS), "escalated callers, until an agent"},
		{"Average ring", secs(r.AvgRingMS), "until the agent answered"},
		{"Abandoned / failed", fmt.Sprintf("%d / %d", r.Abandoned, r.Failed), ""},
	}
	// Outcomes.
	v.Charts["outcomes"] = hbars("outcomes", "Outcomes", []bar{
		{"bot resolved", float64(r.BotResolved), colBot, fmt.Sprintf("%d (%s)", r.BotResolved, pct(ratio(r.BotResolved, r.Calls)))},
		{"transferred", float64(r.Transferred), colTransfer, fmt.Sprintf("%d (%s)", r.Transferred, pct(ratio(r.Transferred, r.Calls)))},
		{"abandoned", float64(r.Abandoned), colAbandoned, fmt.Sprintf("%d (%s)", r.Abandoned, pct(ratio(r.Abandoned, r.Calls)))},
		{"failed", float64(r.Failed), colFailed, fmt.Sprintf("%d (%s)", r.Failed, pct(ratio(r.Failed, r.Calls)))},
	}, 0)
	// Daily by outcome.
	var days []string
	sBot, sTr, sAb, sFa := series{Name: "bot resolved", Color: colBot}, series{Name: "transferred", Color: colTransfer},
		series{Name: "abandoned", Color: colAbandoned}, series{Name: "failed", Color: colFailed}
	for _, d := range r.Daily {
		t, _ := time.Parse(time.DateOnly, d.Date)
		days = append(days, t.Format("2 Jan"))
		sBot.Values = append(sBot.Values, float64(d.BotResolved))
		sTr.Values = append(sTr.Values, float64(d.Transferred))
		sAb.Values = append(sAb.Values, float64(d.Abandoned))
		sFa.Values = append(sFa.Values, float64(d.Failed))
	}
	every := max(1, (len(days)+9)/10)
	v.Charts["daily"] = vbars("daily", "Calls per day by outcome", days, []series{sBot, sTr, sAb, sFa}, every, nil, 560, 240)
	// Escalations by reason.
	var reasons []bar
	for _, c := range top(r.EscalationsByReason, len(r.EscalationsByReason)) {
		col := colTransfer
		if c.Name == store.ReasonNotUnderstood || c.Name == store.ReasonRecognitionUnavailable {
			col = colAbandoned
		}
		reasons = append(reasons, bar{reasonLabel(c.Name), float64(c.Count), col,
			fmt.Sprintf("%d (%s)", c.Count, pct(ratio(c.Count, r.Escalations)))})
	}
	v.Charts["reasons"] = hbars("reasons", "Escalations by reason", reasons, 0)
	// Escalations per hour, surges in red.
	surge := map[int]bool{}
	hourStart := r.From.Truncate(time.Hour)
	for _, s := range r.TransferSurges {
		surge[int(s.Hour.Sub(hourStart).Hours())] = true
	}
	var hours []string
	hs := series{Name: "escalations", Color: colMuted}
	for i, n := range r.EscalationsByHour {
		hours = append(hours, hourStart.Add(time.Duration(i)*time.Hour).Format("2 Jan"))
		hs.Values = append(hs.Values, float64(n))
	}
	if len(r.EscalationsByHour) > 0 && sum(hs.Values) == 0 {
		v.Charts["surges"] = empty("surges", "Escalations per hour")
	} else {
		labelEvery := 24 * max(1, (len(hours)/24+14)/15)
		v.Charts["surges"] = vbars("surges", "Escalations per hour (surges in red)", hours, []series{hs}, labelEvery,
			func(i int) bool { return surge[i] }, 1100, 200)
	}
	// Emotion at the start against the end.
	states := []string{string(prosody.Calm), string(prosody.Anxious), string(prosody.Angry), string(prosody.Sad)}
	for k := range r.Emotion.Start {
		if !contains(states, k) {
			states = append(states, k)
		}
	}
	st, en := series{Name: "at the start", Color: colMuted}, series{Name: "at the end", Color: colAccent}
	for _, s := range states {
		st.Values = append(st.Values, float64(r.Emotion.Start[s]))
		en.Values = append(en.Values, float64(r.Emotion.End[s]))
	}
	v.Charts["emotion"] = grouped("emotion", "Caller emotion at the start and at the end", states, []series{st, en}, 560, 240)
	// Agents' quality scores.
	var agents []bar
	for _, a := range r.Agents {
		col := colBot
		switch {
		case a.Score < 60:
			col = colFailed
		case a.Score < 80:
			col = colAbandoned
		}
		agents = append(agents, bar{a.Agent, a.Score, col, fmt.Sprintf("%.0f (%d calls)", a.Score, a.Calls)})
	}
	v.Charts["agents"] = hbars("agents", "Quality score per agent (0–100)", agents, 100)
	// Unanswered clusters.
	var clusters []bar
	for _, c := range r.UnansweredClusters {
		label := strings.Join(c.Terms, ", ")
		if len(label) > 22 {
			label = label[:21] + "…"
		}
		clusters = append(clusters, bar{label, float64(c.Count), colAccent, ""})
	}
	v.Charts["unanswered"] = hbars("unanswered", "Top unanswered-question clusters", clusters, 0)
	return v
}

func counts(cs []Count, label func(string) string) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s (%d)", label(c.Name), c.Count))
	}
	return strings.Join(parts, ", ")
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"reason":  reasonLabel,
	"pct":     pct,
	"hour":    func(t time.Time) string { return t.Format("Mon 2 Jan 15:00") },
	"join":    strings.Join,
	"reasons": func(cs []Count) string { return counts(cs, reasonLabel) },
	"counts":  func(cs []Count) string { return counts(cs, func(s string) string { return s }) },
}).Parse(pageHTML))

const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hotline · human–bot collaboration report</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f7f9;color:#1d2730}
header{background:#1d2730;color:#fff;padding:14px 24px}
header h1{font-size:20px;margin:0}
header p{margin:2px 0 0;color:#b0bec5}
main{padding:16px 24px;display:grid;grid-template-columns:repeat(auto-fit,minmax(580px,1fr));gap:16px}
section{background:#fff;border-radius:8px;padding:12px 16px;box-shadow:0 1px 2px #0002}
section.wide{grid-column:1/-1}
h2{font-size:15px;margin:0 0 8px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.tile{background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 2px #0002}
.tile b{display:block;font-size:26px}
.tile span{color:#546e7a;font-size:12px}
svg{max-width:100%;height:auto}
svg .lbl{font-size:12px;fill:#263238}
svg .val,svg .ax{font-size:11px;fill:#546e7a}
svg .grid{stroke:#eceff1}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #eceff1}
th{color:#546e7a;font-weight:600}
td.n{text-align:right}
.muted{color:#78909c}
</style></head>
<body>
<header><h1>Human–bot collaboration report</h1><p>{{.Range}} · {{.R.Calls}} calls</p></header>
<main>
<section class="wide"><div class="tiles">{{range .Tiles}}<div class="tile" data-testid="tile"><span>{{.Label}}</span><b>{{.Value}}</b><span>{{.Hint}}</span></div>{{end}}</div></section>
<section><h2>Outcomes</h2>{{index .Charts "outcomes"}}</section>
<section><h2>Calls per day</h2>{{index .Charts "daily"}}</section>
<section><h2>Why calls went to a person</h2>{{index .Charts "reasons"}}
<p class="muted">{{pct .R.RecognitionFailureShare}} of escalations came from recognition failures.</p></section>
<section><h2>Caller emotion: start against end</h2>{{index .Charts "emotion"}}
<p class="muted">De-escalation rate {{pct .R.Emotion.DeescalationRate}}: {{.R.Emotion.Deescalated}} of {{.R.Emotion.Upset}} callers who began upset ended calmer; {{.R.Emotion.Escalated}} calls ended worse than they began.</p></section>
<section class="wide"><h2>Escalations per hour</h2>{{index .Charts "surges"}}
{{if .R.TransferSurges}}<table><tr><th>Surge hour</th><th class="n">Escalations</th><th class="n">Usual</th><th>Top reasons</th><th>Top intents</th></tr>
{{range .R.TransferSurges}}<tr><td>{{hour .Hour}}</td><td class="n">{{.Escalations}}</td><td class="n">{{printf "%.1f" .Baseline}}</td><td>{{reasons .TopReasons}}</td><td>{{counts .TopIntents}}</td></tr>{{end}}</table>
{{else}}<p class="muted">No surges: no hour had unusually many escalations.</p>{{end}}</section>
<section><h2>Agents</h2>{{index .Charts "agents"}}
<table><tr><th>Agent</th><th class="n">Calls</th><th class="n">Score</th><th class="n">Talk share</th><th class="n">Words/min</th><th class="n">Interruptions</th><th class="n">Risky phrases</th><th class="n">De-escalated</th></tr>
{{range .R.Agents}}<tr><td>{{.Agent}}</td><td class="n">{{.Calls}}</td><td class="n">{{printf "%.0f" .Score}}</td><td class="n">{{pct .TalkShareAgent}}</td><td class="n">{{printf "%.0f" .AgentWPM}}</td><td class="n">{{.Interruptions}}</td><td class="n">{{.RiskyPhrases}}</td><td class="n">{{pct .Deescalated}}</td></tr>{{end}}</table></section>
<section><h2>What the bot could not answer</h2>{{index .Charts "unanswered"}}
<p class="muted">{{.R.UnansweredQuestions}} unanswered questions.</p>
<table><tr><th class="n">Count</th><th>Examples</th></tr>{{range .R.UnansweredClusters}}<tr><td class="n">{{.Count}}</td><td>{{join .Examples " · "}}</td></tr>{{end}}</table></section>
</main></body></html>
`

// escalationsNote says what became of the escalated calls that a person took.
func escalationsNote(r *Report) string {
	if r.Voicemails == 0 {
		return fmt.Sprintf("%d taken by an agent", r.Transferred)
	}
	return fmt.Sprintf("%d taken by an agent, %d left a message", r.Transferred-r.Voicemails, r.Voicemails)
}

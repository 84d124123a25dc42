package report

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/quality"
	"github.com/hotline/hotline/store"
)

// Report is the collaboration report over [From, To).
type Report struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Calls is the number of calls that started in the range; the four outcomes add up to it.
	Calls       int `json:"calls"`
	BotResolved int `json:"bot_resolved"`
	Transferred int `json:"transferred"`
	Abandoned   int `json:"abandoned"`
	Failed      int `json:"failed"`
	// Voicemails counts the transferred calls that went to voicemail (no agent could take them; the caller left a
	// message to be called back).
	Voicemails int `json:"voicemails"`
	// BotContainment is bot_resolved / calls: the share of calls the bot settled without a person.
	BotContainment float64 `json:"bot_containment"`
	// Escalations counts the calls with a transfer_reason (asked for a person, whatever the queue then did);
	// EscalationsByReason splits them by reason.
	Escalations         int            `json:"escalations"`
	EscalationsByReason map[string]int `json:"escalations_by_reason"`
	// RecognitionFailureShare is the share of escalations caused by recognition failures (reasons
	// not_understood and recognition_unavailable).
	RecognitionFailureShare float64 `json:"recognition_failure_share"`
	// AvgWaitMS is the mean time escalated callers waited for an agent; AvgRingMS the mean time an agent's
	// softphone rang before the agent answered (calls an agent took).
	AvgWaitMS float64 `json:"avg_wait_ms"`
	AvgRingMS float64 `json:"avg_ring_ms"`
	// Emotion compares the caller's state at the start and at the end of the calls.
	Emotion EmotionSummary `json:"emotion"`
	// Daily counts calls per day by outcome.
	Daily []Day `json:"daily"`
	// EscalationsByHour counts escalations in each hour of the range (index 0 is the hour starting at From),
	// the data of the surge chart.
	EscalationsByHour []int `json:"escalations_by_hour"`
	// TransferSurges are the hours with unusually many escalations, with their top causes.
	TransferSurges []Surge `json:"transfer_surges"`
	// Agents are the per-agent quality scores, best first.
	Agents []AgentQuality `json:"agents"`
	// UnansweredQuestions is how many questions the bot had no answer for; UnansweredClusters groups them,
	// largest first (at most Options.TopClusters).
	UnansweredQuestions int              `json:"unanswered_questions"`
	UnansweredClusters  []dialog.Cluster `json:"unanswered_clusters"`
	// TopIntents are the most frequent intents, with counts.
	TopIntents []Count `json:"top_intents"`
}

// EmotionSummary: Measured is the calls whose caller emotion is known at both ends; Upset are those that began
// agitated or sad (not calm); Deescalated are the upset calls that ended calm or at a lower level;
// DeescalationRate is Deescalated / Upset. Start and End count the states.
type EmotionSummary struct {
	Measured         int            `json:"measured"`
	Upset            int            `json:"upset"`
	Deescalated      int            `json:"deescalated"`
	Escalated        int            `json:"escalated"`
	DeescalationRate float64        `json:"deescalation_rate"`
	Start            map[string]int `json:"start"`
	End              map[string]int `json:"end"`
}

// Day is one day's calls by outcome.
type Day struct {
	Date        string `json:"date"`
	Calls       int    `json:"calls"`
	BotResolved int    `json:"bot_resolved"`
	Transferred int    `json:"transferred"`
	Abandoned   int    `json:"abandoned"`
	Failed      int    `json:"failed"`
}

// Surge is an hour with unusually many escalations: at least Options.SurgeMin, and at least
// baseline + SurgeSigma·√baseline, where baseline is the mean escalations in the same hour of the day over the
// days of the range that had calls then (escalations are roughly Poisson, so this is a z-score on a count).
type Surge struct {
	Hour        time.Time `json:"hour"`
	Escalations int       `json:"escalations"`
	// Baseline is the mean escalations in this hour of the day over the range.
	Baseline float64 `json:"baseline"`
	// TopReasons and TopIntents are the surge's causes, most frequent first (at most three each).
	TopReasons []Count `json:"top_reasons"`
	TopIntents []Count `json:"top_intents"`
}

// Count is a name with a count.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// AgentQuality is one agent's quality over the calls they took.
type AgentQuality struct {
	Agent          string  `json:"agent"`
	Calls          int     `json:"calls"`
	Score          float64 `json:"score"`
	TalkShareAgent float64 `json:"talk_share_agent"`
	AgentWPM       float64 `json:"agent_wpm"`
	NonTalkMS      float64 `json:"non_talk_ms"`
	Interruptions  int     `json:"interruptions"`
	RiskyPhrases   int     `json:"risky_phrases"`
	// Deescalated is the share of the agent's upset callers who ended calmer.
	Deescalated float64 `json:"deescalated"`
}

// Options set the range and the knobs of a report.
type Options struct {
	// From and To bound the calls' start to [From, To). Zero To is now; zero From is To − 7 days.
	From, To time.Time
	// Location is the time zone of days and hours (UTC when nil).
	Location *time.Location
	// TopClusters is how many unanswered-question clusters to keep (10).
	TopClusters int
	// MaxQuestions bounds the unanswered questions clustered, the latest kept (800): clustering is O(n³).
	MaxQuestions int
	// SurgeMin and SurgeSigma define a surge hour (5 escalations, 4 standard deviations above the baseline).
	SurgeMin   int
	SurgeSigma float64
	// KB, when set, lends its synonyms to the clustering.
	KB *dialog.KB
	// Quality is the configuration scores are computed with for records that carry none.
	Quality quality.Config
}

func (o *Options) defaults(now time.Time) {
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.To.IsZero() {
		o.To = now
	}
	if o.From.IsZero() {
		o.From = o.To.AddDate(0, 0, -7)
	}
	if o.TopClusters <= 0 {
		o.TopClusters = 10
	}
	if o.MaxQuestions <= 0 {
		o.MaxQuestions = 800
	}
	if o.SurgeMin <= 0 {
		o.SurgeMin = 5
	}
	if o.SurgeSigma <= 0 {
		o.SurgeSigma = 4
	}
	if o.Quality.SilenceGap == 0 {
		o.Quality = quality.DefaultConfig()
	}
}

// Build reads the calls and unanswered questions of the range from s and computes the report. It also returns
// the calls (oldest first) for CSV export.
func Build(ctx context.Context, s store.Store, opts Options) (*Report, []store.Call, error) {
	opts.defaults(time.Now())
	if !opts.From.Before(opts.To) {
		return nil, nil, fmt.Errorf("report: from %s is not before to %s", opts.From.Format(time.RFC3339), opts.To.Format(time.RFC3339))
	}
	// Page through the range (newest first), keeping only what the report and the CSV read: a month of a busy
	// site must not hold every transcript and emotion timeline in memory at once.
	var calls []store.Call
	before := ""
	for {
		page, err := s.ListCalls(ctx, store.ListOptions{From: opts.From, To: opts.To, Before: before, Limit: pageSize})
		if err != nil {
			return nil, nil, fmt.Errorf("report: %w", err)
		}
		for i := range page {
			calls = append(calls, slim(page[i]))
		}
		if len(page) < pageSize {
			break
		}
		before = page[len(page)-1].ID
	}
	unanswered, err := s.ListUnanswered(ctx, opts.From, opts.To)
	if err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	// ListCalls is newest first; the report reads oldest first.
	for i, j := 0, len(calls)-1; i < j; i, j = i+1, j-1 {
		calls[i], calls[j] = calls[j], calls[i]
	}
	return Compute(calls, unanswered, opts), calls, nil
}

// pageSize is how many records Build reads at a time.
var pageSize = 1000

// slim drops the parts of a record the report does not read (transcripts, the emotion timeline and triggers).
func slim(c store.Call) store.Call {
	c.Transcript = nil
	if c.Emotion != nil {
		e := *c.Emotion
		e.Timeline, e.Transcript, e.Triggers = nil, nil, nil
		c.Emotion = &e
	}
	return c
}

// Compute makes the report from calls (any order) and unanswered questions already read.
func Compute(calls []store.Call, unanswered []store.Unanswered, opts Options) *Report {
	opts.defaults(time.Now())
	loc := opts.Location
	r := &Report{From: opts.From.In(loc), To: opts.To.In(loc), EscalationsByReason: map[string]int{},
		Emotion: EmotionSummary{Start: map[string]int{}, End: map[string]int{}}}
	days := map[string]*Day{}
	for d := startOfDay(r.From); d.Before(r.To); d = d.AddDate(0, 0, 1) {
		key := d.Format(time.DateOnly)
		days[key] = &Day{Date: key}
		r.Daily = append(r.Daily, Day{Date: key})
	}
	hourStart := r.From.Truncate(time.Hour)
	nHours := int(math.Ceil(r.To.Sub(hourStart).Hours()))
	r.EscalationsByHour = make([]int, nHours)
	hourHasCalls := make([]bool, nHours)
	hourReasons := make([]map[string]int, nHours)
	hourIntents := make([]map[string]int, nHours)
	intents := map[string]int{}
	agents := map[string]*agentAcc{}
	var waitSum, ringSum float64
	var waitN, ringN, recogFail int
	var unansweredFromCalls []string

	for i := range calls {
		c := &calls[i]
		if c.StartedAt.Before(opts.From) || !c.StartedAt.Before(opts.To) {
			continue
		}
		r.Calls++
		day := days[c.StartedAt.In(loc).Format(time.DateOnly)]
		if day != nil {
			day.Calls++
		}
		switch c.Outcome {
		case store.OutcomeBotResolved:
			r.BotResolved++
			if day != nil {
				day.BotResolved++
			}
		case store.OutcomeTransferred:
			r.Transferred++
			if c.Voicemail != nil {
				r.Voicemails++
			}
			if day != nil {
				day.Transferred++
			}
		case store.OutcomeAbandoned:
			r.Abandoned++
			if day != nil {
				day.Abandoned++
			}
		default:
			r.Failed++
			if day != nil {
				day.Failed++
			}
		}
		if c.Intent != "" {
			intents[c.Intent]++
		}
		h := int(c.StartedAt.Sub(hourStart).Hours())
		if h >= 0 && h < nHours {
			hourHasCalls[h] = true
		}
		if c.TransferReason != "" {
			r.Escalations++
			r.EscalationsByReason[c.TransferReason]++
			if c.TransferReason == store.ReasonNotUnderstood || c.TransferReason == store.ReasonRecognitionUnavailable {
				recogFail++
			}
			waitSum += float64(c.WaitMS)
			waitN++
			if h >= 0 && h < nHours {
				r.EscalationsByHour[h]++
				if hourReasons[h] == nil {
					hourReasons[h], hourIntents[h] = map[string]int{}, map[string]int{}
				}
				hourReasons[h][c.TransferReason]++
				if c.Intent != "" {
					hourIntents[h][c.Intent]++
				}
			}
		}
		start, end, ok := emotionEnds(c)
		var upset, calmer bool
		if ok {
			r.Emotion.Measured++
			r.Emotion.Start[string(start.State)]++
			r.Emotion.End[string(end.State)]++
			upset = start.State != prosody.Calm
			calmer = upset && (end.State == prosody.Calm || end.Level < start.Level)
			if upset {
				r.Emotion.Upset++
				if calmer {
					r.Emotion.Deescalated++
				}
			}
			if rank(end) > rank(start) {
				r.Emotion.Escalated++
			}
		}
		if c.Agent != "" {
			if c.RingMS > 0 {
				ringSum += float64(c.RingMS)
				ringN++
			}
			a := agents[c.Agent]
			if a == nil {
				a = &agentAcc{}
				agents[c.Agent] = a
			}
			a.add(c, opts.Quality, upset, calmer)
		}
		unansweredFromCalls = append(unansweredFromCalls, c.Unanswered...)
	}
	for i := range r.Daily {
		r.Daily[i] = *days[r.Daily[i].Date]
	}
	if r.Calls > 0 {
		r.BotContainment = ratio(r.BotResolved, r.Calls)
	}
	r.RecognitionFailureShare = ratio(recogFail, r.Escalations)
	r.AvgWaitMS = round1(safeDiv(waitSum, float64(waitN)))
	r.AvgRingMS = round1(safeDiv(ringSum, float64(ringN)))
	r.Emotion.DeescalationRate = ratio(r.Emotion.Deescalated, r.Emotion.Upset)
	r.TransferSurges = surges(r.EscalationsByHour, hourHasCalls, hourReasons, hourIntents, hourStart, opts)
	r.TopIntents = top(intents, 8)
	for name, a := range agents {
		r.Agents = append(r.Agents, a.result(name))
	}
	sort.Slice(r.Agents, func(i, j int) bool {
		if r.Agents[i].Score != r.Agents[j].Score {
			return r.Agents[i].Score > r.Agents[j].Score
		}
		return r.Agents[i].Agent < r.Agents[j].Agent
	})
	if r.Agents == nil {
		r.Agents = []AgentQuality{}
	}

	// Unanswered questions: the store's log, or (when it has none) the records' own lists.
	var questions []string
	for _, u := range unanswered {
		questions = append(questions, u.Text)
	}
	if len(questions) == 0 {
		questions = unansweredFromCalls
	}
	r.UnansweredQuestions = len(questions)
	if len(questions) > opts.MaxQuestions {
		questions = questions[len(questions)-opts.MaxQuestions:]
	}
	r.UnansweredClusters = dialog.ClusterQuestions(questions, opts.KB, dialog.ClusterOptions{})
	if len(r.UnansweredClusters) > opts.TopClusters {
		r.UnansweredClusters = r.UnansweredClusters[:opts.TopClusters]
	}
	if r.UnansweredClusters == nil {
		r.UnansweredClusters = []dialog.Cluster{}
	}
	return r
}

// emotionEnds returns the caller's state at the start and the end of the call: the record's emotion_start and
// emotion_end, else the first trigger-free start (calm) and the final report's state.
func emotionEnds(c *store.Call) (store.EmotionPoint, store.EmotionPoint, bool) {
	if c.EmotionStart != nil && c.EmotionEnd != nil {
		return *c.EmotionStart, *c.EmotionEnd, true
	}
	if c.EmotionStart != nil && c.Emotion != nil {
		return *c.EmotionStart, store.EmotionPoint{State: c.Emotion.State, Level: c.Emotion.Level}, true
	}
	return store.EmotionPoint{}, store.EmotionPoint{}, false
}

func rank(p store.EmotionPoint) int {
	if p.State == prosody.Calm || p.State == "" {
		return 0
	}
	return max(p.Level, 1)
}

// surges finds the hours whose escalations stand out against the same hour of the day (see Surge).
func surges(byHour []int, hasCalls []bool, reasons, intents []map[string]int, start time.Time, o Options) []Surge {
	var sum, n [24]float64
	hourOfDay := func(h int) int { return start.Add(time.Duration(h) * time.Hour).In(o.Location).Hour() }
	for h, c := range byHour {
		if hasCalls[h] {
			sum[hourOfDay(h)] += float64(c)
			n[hourOfDay(h)]++
		}
	}
	out := []Surge{}
	for h, c := range byHour {
		if c < o.SurgeMin {
			continue
		}
		hd := hourOfDay(h)
		base := sum[hd] / math.Max(1, n[hd])
		if float64(c) >= base+o.SurgeSigma*math.Sqrt(base) {
			out = append(out, Surge{Hour: start.Add(time.Duration(h) * time.Hour).In(o.Location), Escalations: c,
				Baseline: round3(base), TopReasons: top(reasons[h], 3), TopIntents: top(intents[h], 3)})
		}
	}
	return out
}

// top returns the n most frequent names (ties by name).
func top(m map[string]int, n int) []Count {
	out := []Count{}
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

type agentAcc struct {
	calls, interruptions, risky, upset, calmer int
	score, share, wpm, nonTalk                 float64
	wpmN                                       int
}

func (a *agentAcc) add(c *store.Call, qcfg quality.Config, upset, calmer bool) {
	q := c.QA
	score := q.Score
	if score == 0 && q.DurationMS == 0 {
		score = quality.Score(q, qcfg) // records written before quality scores existed
	}
	a.calls++
	a.score += score
	a.share += q.TalkShareAgent
	a.nonTalk += float64(q.NonTalkMS)
	if q.AgentWPM > 0 {
		a.wpm += q.AgentWPM
		a.wpmN++
	}
	a.interruptions += q.Interruptions
	a.risky += len(q.RiskyPhrases)
	if upset {
		a.upset++
		if calmer {
			a.calmer++
		}
	}
}

func (a *agentAcc) result(name string) AgentQuality {
	n := float64(a.calls)
	return AgentQuality{Agent: name, Calls: a.calls, Score: round1(a.score / n), TalkShareAgent: round3(a.share / n),
		AgentWPM: round1(safeDiv(a.wpm, float64(a.wpmN))), NonTalkMS: round1(a.nonTalk / n),
		Interruptions: a.interruptions, RiskyPhrases: a.risky, Deescalated: ratio(a.calmer, a.upset)}
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return round3(float64(a) / float64(b))
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

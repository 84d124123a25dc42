package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/quality"
	"gopkg.in/yaml.v3"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// sampleCall is a complete record: every field of the design's call record set.
func sampleCall(id string, started time.Time) *Call {
	return &Call{
		ID: id, SIPCallID: "sip-" + id + "@127.0.0.1", Caller: "sip:+15551234@127.0.0.1",
		StartedAt: started, EndedAt: started.Add(95 * time.Second), AnsweredAt: started.Add(300 * time.Millisecond),
		Outcome: OutcomeTransferred, SIPStatus: 200, Intent: "billing_dispute", TransferReason: ReasonEmotion,
		Agent: "alice", WaitMS: 12000, RingMS: 3100, Disposition: "refund issued", Notes: "called back next day",
		Transcript: []prosody.TranscriptLine{
			{Who: "bot", At: 0.4, Text: "Hello, how can I help you today?"},
			{Who: "caller", At: 3.2, Text: "my bill is wrong again"},
			{Who: "agent", At: 40.1, Text: "I'm sorry about that, let me check"},
		},
		Turns: []Turn{{CallerSpeechEndMS: 4100, ASRFinalMS: 4350, ReplyChosenMS: 4390, BotAudioStartMS: 4620}},
		Emotion: &prosody.Report{Seq: 7, CallID: id, State: prosody.Angry, Level: 2, Arousal: 0.8, Valence: -0.6,
			Baseline:   prosody.Baseline{F0Hz: 180, DB: -24, RateSPS: 4.1, Ready: true},
			Triggers:   []prosody.Trigger{{At: 12.3, Kind: prosody.TriggerPitchRise, Text: "again", Detail: "F0 +38%"}},
			Timeline:   []prosody.TimelinePoint{{T: 0.25, F0: 0, DB: -100, Arousal: 0}},
			Transcript: []prosody.TranscriptLine{{Who: "caller", At: 3.2, Text: "my bill is wrong again"}},
			Intent:     "billing_dispute", TransferReason: ReasonEmotion, SensitiveTopics: []string{"job_loss"},
			Strategy: prosody.Strategy{ID: "apologise_first", Say: "I'm sorry for the trouble."}},
		QA: QA{TalkShareAgent: 0.45, NonTalkMS: 4200, Interruptions: 2, AgentWPM: 152,
			RiskyPhrases: []RiskyPhrase{{At: 61, Kind: "promise", Phrase: "i guarantee", Text: "I guarantee it",
				Suggestion: "I will do everything I can"}}, EmotionWords: []string{}},
		EndCause: "caller_bye", Recording: "recordings/" + id + ".wav",
		EmotionStart: &EmotionPoint{State: prosody.Angry, Level: 2, At: 5},
		EmotionEnd:   &EmotionPoint{State: prosody.Calm, At: 90},
	}
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSavedRecordReadsBackWithEveryField(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(func(*Config)) (Store, Config)) {
		s, _ := open(nil)
		ctx := context.Background()
		want := sampleCall("c1", t0)
		if err := s.SaveCall(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCall(ctx, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if a, b := asJSON(t, want), asJSON(t, got); a != b {
			t.Fatalf("record changed on the way through the store:\nsaved %s\nread  %s", a, b)
		}
		// Every name of the design's record is in the JSON.
		var m map[string]any
		json.Unmarshal([]byte(asJSON(t, got)), &m)
		for _, k := range []string{"id", "sip_call_id", "caller", "started_at", "ended_at", "outcome", "sip_status",
			"intent", "transfer_reason", "agent", "wait_ms", "ring_ms", "disposition", "notes", "transcript", "turns",
			"emotion", "qa"} {
			if _, ok := m[k]; !ok {
				t.Errorf("record JSON lacks %q", k)
			}
		}
		qa := m["qa"].(map[string]any)
		for _, k := range []string{"talk_share_agent", "non_talk_ms", "interruptions", "agent_wpm", "risky_phrases"} {
			if _, ok := qa[k]; !ok {
				t.Errorf("qa lacks %q", k)
			}
		}
	})
}

func TestSavingTheSameIDAgainReplacesTheRecord(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(func(*Config)) (Store, Config)) {
		s, _ := open(nil)
		ctx := context.Background()
		c := sampleCall("c1", t0)
		c.Outcome = OutcomeAbandoned
		if err := s.SaveCall(ctx, c); err != nil {
			t.Fatal(err)
		}
		c.Outcome = OutcomeBotResolved
		c.Notes = "updated"
		if err := s.SaveCall(ctx, c); err != nil {
			t.Fatal(err)
		}
		all, err := s.ListCalls(ctx, ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 1 || all[0].Outcome != OutcomeBotResolved || all[0].Notes != "updated" {
			t.Fatalf("after two saves of c1: %d records, first %+v", len(all), all)
		}
	})
}

func TestMissingCallIsErrNotFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(func(*Config)) (Store, Config)) {
		s, _ := open(nil)
		if _, err := s.GetCall(context.Background(), "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("GetCall(nope) = %v, want ErrNotFound", err)
		}
		if _, err := s.ListCalls(context.Background(), ListOptions{Before: "nope"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ListCalls(before=nope) = %v, want ErrNotFound", err)
		}
	})
}

func TestListIsNewestFirstAndPagesWithBefore(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(func(*Config)) (Store, Config)) {
		s, _ := open(nil)
		ctx := context.Background()
		const n = 25
		for i := 0; i < n; i++ {
			at := t0.Add(time.Duration(i) * time.Minute)
			if i == 10 {
				at = t0.Add(9 * time.Minute) // two calls started in the same instant
			}
			c := sampleCall(fmt.Sprintf("call-%02d", i), at)
			if i%2 == 0 {
				c.Agent = "bob"
			}
			if err := s.SaveCall(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		var seen []Call
		before := ""
		for page := 0; page < 10; page++ {
			got, err := s.ListCalls(ctx, ListOptions{Limit: 10, Before: before})
			if err != nil {
				t.Fatal(err)
			}
			seen = append(seen, got...)
			if len(got) < 10 {
				break
			}
			before = got[len(got)-1].ID
		}
		if len(seen) != n {
			t.Fatalf("paging saw %d records, want %d", len(seen), n)
		}
		ids := map[string]bool{}
		for i, c := range seen {
			if ids[c.ID] {
				t.Fatalf("record %s seen twice while paging", c.ID)
			}
			ids[c.ID] = true
			if i > 0 {
				p := seen[i-1]
				if c.StartedAt.After(p.StartedAt) || (c.StartedAt.Equal(p.StartedAt) && c.ID > p.ID) {
					t.Fatalf("not newest first at %d: %s (%s) after %s (%s)", i, c.ID, c.StartedAt, p.ID, p.StartedAt)
				}
			}
		}
		ranged, err := s.ListCalls(ctx, ListOptions{From: t0.Add(5 * time.Minute), To: t0.Add(8 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		if len(ranged) != 3 || ranged[0].ID != "call-07" || ranged[2].ID != "call-05" {
			t.Fatalf("[5m, 8m) gave %d records %v, want call-07..call-05", len(ranged), idsOf(ranged))
		}
		bobs, err := s.ListCalls(ctx, ListOptions{Agent: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		if len(bobs) != 13 {
			t.Fatalf("agent bob: %d records, want 13", len(bobs))
		}
	})
}

func idsOf(cs []Call) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestCardNumbersAreMaskedBeforeWritingAndPhoneNumbersKept(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(func(*Config)) (Store, Config)) {
		s, _ := open(nil)
		ctx := context.Background()
		c := sampleCall("card", t0)
		c.Notes = "paid with 4111 1111 1111 1111, call back on +1 555 123 4567"
		c.Transcript = append(c.Transcript, prosody.TranscriptLine{Who: "caller", At: 50,
			Text: "my card is five five five five five five five five five five five five four four four four"})
		c.Emotion.Triggers[0].Text = "it is 378282246310005"
		if err := s.SaveCall(ctx, c); err != nil {
			t.Fatal(err)
		}
		if c.Notes != "paid with 4111 1111 1111 1111, call back on +1 555 123 4567" {
			t.Fatalf("SaveCall changed the caller's value: %q", c.Notes)
		}
		got, err := s.GetCall(ctx, "card")
		if err != nil {
			t.Fatal(err)
		}
		raw := asJSON(t, got)
		for _, leak := range []string{"4111 1111 1111 1111", "378282246310005", "five five five five five"} {
			if strings.Contains(raw, leak) {
				t.Errorf("stored record still holds %q", leak)
			}
		}
		for _, kept := range []string{"**** **** **** 1111", "+1 555 123 4567", "***********0005", "**** **** **** 4444"} {
			if !strings.Contains(raw, kept) {
				t.Errorf("stored record lacks %q: %s", kept, raw)
			}
		}
	})
}

func TestTranscriptsAreDroppedWhenRecordTranscriptsIsOff(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(func(*Config)) (Store, Config)) {
		s, _ := open(func(c *Config) { c.RecordTranscripts = false })
		ctx := context.Background()
		if err := s.SaveCall(ctx, sampleCall("c1", t0)); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetCall(ctx, "c1")
		if len(got.Transcript) != 0 || len(got.Emotion.Transcript) != 0 || got.Emotion.Triggers[0].Text != "" {
			t.Fatalf("transcript kept with record_transcripts off: %s", asJSON(t, got))
		}
		if got.Intent != "billing_dispute" || got.QA.AgentWPM != 152 {
			t.Fatalf("non-transcript fields lost: %s", asJSON(t, got))
		}
		if err := s.AddUnanswered(ctx, "c1", "do you sell pizza", t0); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.ListUnanswered(ctx, time.Time{}, time.Time{}); len(u) != 0 {
			t.Fatalf("unanswered question text kept with record_transcripts off: %v", u)
		}
	})
}

func TestAccountsCanBeAddedListedChangedAndRemoved(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(func(*Config)) (Store, Config)) {
		s, _ := open(nil)
		ctx := context.Background()
		if err := s.PutAccount(ctx, Account{Name: "bob", PasswordHash: "h1", Role: RoleAgent, Skills: []string{"billing", "de"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutAccount(ctx, Account{Name: "alice", PasswordHash: "h2", Role: RoleSupervisor}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutAccount(ctx, Account{Name: "eve", Role: "admin"}); err == nil {
			t.Fatal("an account with role admin was accepted")
		}
		list, err := s.ListAccounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Name != "alice" || list[1].Name != "bob" || !reflect.DeepEqual(list[1].Skills, []string{"billing", "de"}) {
			t.Fatalf("ListAccounts = %+v", list)
		}
		if err := s.PutAccount(ctx, Account{Name: "bob", PasswordHash: "h3", Role: RoleAgent, Skills: []string{"billing"}}); err != nil {
			t.Fatal(err)
		}
		bob, err := s.GetAccount(ctx, "bob")
		if err != nil || bob.PasswordHash != "h3" || len(bob.Skills) != 1 || bob.CreatedAt.IsZero() {
			t.Fatalf("GetAccount(bob) = %+v, %v", bob, err)
		}
		if err := s.DeleteAccount(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetAccount(ctx, "bob"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("bob after delete: %v", err)
		}
		if err := s.DeleteAccount(ctx, "bob"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("second delete: %v, want ErrNotFound", err)
		}
	})
}

func TestUnansweredQuestionsListByTimeRange(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(func(*Config)) (Store, Config)) {
		s, _ := open(nil)
		ctx := context.Background()
		for i, q := range []string{"do you sell routers", "can I pay with 4111111111111111", "what about 5g"} {
			if err := s.AddUnanswered(ctx, "c", q, t0.Add(time.Duration(i)*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ListUnanswered(ctx, t0.Add(time.Hour), t0.Add(3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Text != "can I pay with ************1111" || got[1].Text != "what about 5g" {
			t.Fatalf("ListUnanswered = %+v", got)
		}
	})
}

func TestPurgeRemovesOldTranscriptsAndRecordingsOnly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(func(*Config)) (Store, Config)) {
		s, cfg := open(func(c *Config) { c.RetentionDays = 30 })
		ctx := context.Background()
		now := time.Now().UTC()
		os.MkdirAll(filepath.Join(cfg.DataDir, "recordings"), 0o755)
		os.MkdirAll(filepath.Join(cfg.DataDir, "voicemail"), 0o755)
		for _, c := range []*Call{sampleCall("old", now.AddDate(0, 0, -40)), sampleCall("new", now.AddDate(0, 0, -2))} {
			c.Voicemail = &Voicemail{Path: "voicemail/" + c.ID + ".wav", At: 30, DurationMS: 4000}
			for _, p := range []string{c.Recording, c.Voicemail.Path} {
				if err := os.WriteFile(filepath.Join(cfg.DataDir, p), []byte("RIFF"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.SaveCall(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		s.AddUnanswered(ctx, "old", "old question", now.AddDate(0, 0, -40))
		s.AddUnanswered(ctx, "new", "new question", now.AddDate(0, 0, -2))
		m := NewMetrics(nil)
		n, err := Purge(ctx, s, cfg.DataDir, now.AddDate(0, 0, -cfg.RetentionDays), m, nil)
		if err != nil || n != 2 {
			t.Fatalf("Purge = %d, %v; want the old recording and voicemail deleted", n, err)
		}
		for _, p := range []string{"recordings/old.wav", "voicemail/old.wav"} {
			if _, err := os.Stat(filepath.Join(cfg.DataDir, p)); !os.IsNotExist(err) {
				t.Fatalf("old %s still there: %v", p, err)
			}
		}
		for _, p := range []string{"recordings/new.wav", "voicemail/new.wav"} {
			if _, err := os.Stat(filepath.Join(cfg.DataDir, p)); err != nil {
				t.Fatalf("new %s gone: %v", p, err)
			}
		}
		old, _ := s.GetCall(ctx, "old")
		if !old.ContentPurged || old.Recording != "" || old.Voicemail.Path != "" || len(old.Transcript) != 0 || len(old.Emotion.Transcript) != 0 {
			t.Fatalf("old record not purged: %s", asJSON(t, old))
		}
		if old.Outcome != OutcomeTransferred || old.QA.Interruptions != 2 {
			t.Fatalf("purge lost the record's metrics: %s", asJSON(t, old))
		}
		fresh, _ := s.GetCall(ctx, "new")
		if fresh.ContentPurged || len(fresh.Transcript) != 3 {
			t.Fatalf("new record purged: %s", asJSON(t, fresh))
		}
		u, _ := s.ListUnanswered(ctx, time.Time{}, time.Time{})
		if len(u) != 1 || u[0].Text != "new question" {
			t.Fatalf("unanswered after purge: %+v", u)
		}
		// A second run finds nothing more to do.
		if n, err := Purge(ctx, s, cfg.DataDir, now.AddDate(0, 0, -30), m, nil); n != 0 || err != nil {
			t.Fatalf("second Purge = %d, %v", n, err)
		}
	})
}

func TestRetentionJobRunsUntilItsContextEnds(t *testing.T) {
	s, cfg := openSQLiteForTest(t, func(c *Config) { c.RetentionDays = 1; c.PurgeInterval = 20 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { RunRetention(ctx, s, cfg, nil, nil); close(done) }()
	// A record older than a day saved while the job runs is purged by a later tick.
	if err := s.SaveCall(context.Background(), sampleCall("old", time.Now().AddDate(0, 0, -3))); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, _ := s.GetCall(context.Background(), "old")
		if c.ContentPurged {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("retention job did not purge an old record within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunRetention did not return after its context was cancelled")
	}
}

func TestReopeningAppliesNoMigrationTwiceAndKeepsData(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(func(*Config)) (Store, Config)) {
		s, cfg := open(nil)
		ctx := context.Background()
		if err := s.SaveCall(ctx, sampleCall("keep", t0)); err != nil {
			t.Fatal(err)
		}
		v1, err := SchemaVersion(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(migrations(sqliteDialect)); v1 != want {
			t.Fatalf("schema version %d, want %d", v1, want)
		}
		s.Close()
		s2, err := Open(ctx, cfg)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s2.Close()
		if v2, _ := SchemaVersion(ctx, s2); v2 != v1 {
			t.Fatalf("schema version %d after reopen, was %d", v2, v1)
		}
		if _, err := s2.GetCall(ctx, "keep"); err != nil {
			t.Fatalf("record lost on reopen: %v", err)
		}
	})
}

func TestConfigValidateNamesTheKeyAtFault(t *testing.T) {
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Driver = "mysql" }, "store.driver"},
		{func(c *Config) { c.Driver = "postgres" }, "store.dsn"},
		{func(c *Config) { c.Path = "" }, "store.path"},
		{func(c *Config) { c.RetentionDays = -1 }, "store.retention_days"},
		{func(c *Config) { c.QueueSize = 0 }, "store.queue_size"},
		{func(c *Config) { c.RetentionDays = 3; c.PurgeInterval = 0 }, "store.purge_interval"},
	} {
		c := DefaultConfig()
		tc.mod(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want an error naming %s", err, tc.want)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
}

var _ = quality.MaskCardNumbers

func TestConfigReadsFromYAML(t *testing.T) {
	c := DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader("driver: postgres\ndsn: postgres://h@127.0.0.1/h\nretention_days: 30\npurge_interval: 30m\nrecord_transcripts: false\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.Driver != "postgres" || c.RetentionDays != 30 || c.PurgeInterval != 30*time.Minute || c.RecordTranscripts || c.QueueSize != 4096 {
		t.Fatalf("decoded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

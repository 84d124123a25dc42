package dialog

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline/hotline/prosody"
)

// syncBuffer is a log sink safe for the watcher goroutine and the test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventually polls cond every 20 ms for up to d.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cond()
}

const petEntry = `
  - id: pet_insurance
    topic: phone insurance for pets
    examples:
      - Do you insure phones chewed by dogs?
      - My puppy chewed my handset, am I covered?
    answer: Yes, our Paws plan covers phones damaged by pets for three dollars a month.
`

func TestHotReloadAnswersANewEntryAndSurvivesABrokenFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kb.yaml")
	orig := DefaultKBData()
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	store, err := NewKBStore(path, slog.New(slog.NewTextHandler(logs, nil)), NewMetrics(nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { store.Watch(ctx, 20*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	bot := New(DefaultConfig(), store, nil, nil)
	// A call in progress before, during and after the reloads.
	conv := bot.NewConversation("long-call")
	conv.Greeting()
	if r := conv.OnUtterance("my puppy chewed my handset am I covered", -1, prosody.Report{}); r.Intent == "pet_insurance" {
		t.Fatal("the new entry answered before it was written")
	}

	// 1. A new entry is answered within seconds, by the call in progress and by new calls.
	time.Sleep(30 * time.Millisecond) // a distinct modification time on coarse file systems
	if err := os.WriteFile(path, append(append([]byte{}, orig...), petEntry...), 0o644); err != nil {
		t.Fatal(err)
	}
	if !eventually(3*time.Second, func() bool { return store.KB().Entry("pet_insurance") != nil }) {
		t.Fatalf("the new entry was not loaded within 3 s; log:\n%s", logs.String())
	}
	if r := conv.OnUtterance("do you insure phones chewed by dogs", -1, prosody.Report{}); r.Intent != "pet_insurance" {
		t.Errorf("the call in progress did not get the new entry: %+v", r)
	}
	if r := bot.NewConversation("new-call").OnUtterance("do you insure phones chewed by dogs", -1, prosody.Report{}); r.Intent != "pet_insurance" {
		t.Errorf("a new call did not get the new entry: %+v", r)
	}

	// 2. A broken file keeps the last good knowledge base live and logs where it is broken.
	broken := strings.Replace(string(orig), "  - id: bill_amount\n", "  - id: bill_amount\n    answer: \"\"\n    answer: twice\n", 1)
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if !eventually(3*time.Second, func() bool { return store.LastError() != nil }) {
		t.Fatal("the broken file was not noticed within 3 s")
	}
	msg := store.LastError().Error()
	if !strings.Contains(msg, path) || !strings.Contains(msg, ":") {
		t.Errorf("the error does not name the file and line: %q", msg)
	}
	if !strings.Contains(logs.String(), "previous version stays live") {
		t.Errorf("the log does not say the old knowledge base stays live:\n%s", logs.String())
	}
	if store.KB().Entry("pet_insurance") == nil {
		t.Fatal("a broken file replaced the live knowledge base")
	}
	if r := conv.OnUtterance("how much data do I have left", -1, prosody.Report{}); r.Intent != "data_balance" {
		t.Errorf("the call in progress stopped working after a broken reload: %+v", r)
	}

	// 3. Fixing the file brings it back (without the new entry now).
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	if !eventually(3*time.Second, func() bool { return store.KB().Entry("pet_insurance") == nil && store.LastError() == nil }) {
		t.Fatalf("the fixed file was not reloaded; last error %v", store.LastError())
	}
}

func TestKBStoreRefusesABrokenFileAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kb.yaml")
	os.WriteFile(path, []byte("entries:\n  - id: a\n    examples: [x, y]\n"), 0o644)
	if _, err := NewKBStore(path, nil, nil); err == nil || !strings.Contains(err.Error(), path+":2:") {
		t.Fatalf("want an error naming %s:2, got %v", path, err)
	}
	if _, err := NewKBStore(filepath.Join(t.TempDir(), "missing.yaml"), nil, nil); err == nil {
		t.Fatal("a missing file was accepted")
	}
}

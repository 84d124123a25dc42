package dialog

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Unanswered is one caller question the knowledge base could not answer.
type Unanswered struct {
	Time   time.Time `json:"time"`
	CallID string    `json:"call_id"`
	Text   string    `json:"text"`
	// ASRConfidence is the recogniser's confidence (negative when unknown).
	ASRConfidence float64 `json:"asr_confidence"`
	// BestIntent and Confidence are the matcher's best guess, for people deciding where the question belongs.
	BestIntent string  `json:"best_intent,omitempty"`
	Confidence float64 `json:"confidence"`
}

// UnansweredLog records unanswered questions. LogUnanswered is called on the caller's turn, so it must not block
// for long: a database implementation should queue. The store package may implement it; UnansweredFile does.
type UnansweredLog interface {
	LogUnanswered(ctx context.Context, q Unanswered) error
}

// UnansweredFile is an append-only JSONL file of unanswered questions (one JSON object a line).
type UnansweredFile struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

// OpenUnansweredFile opens (creating it and its directory) the JSONL file at path for appending.
func OpenUnansweredFile(path string) (*UnansweredFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("unanswered log %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("unanswered log %s: %w", path, err)
	}
	return &UnansweredFile{path: path, f: f}, nil
}

// LogUnanswered appends q as one line (a single write, so lines from concurrent calls never interleave).
func (u *UnansweredFile) LogUnanswered(_ context.Context, q Unanswered) error {
	b, err := json.Marshal(q)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.f == nil {
		return fmt.Errorf("unanswered log %s: closed", u.path)
	}
	if _, err := u.f.Write(b); err != nil {
		return fmt.Errorf("unanswered log %s: %w", u.path, err)
	}
	return nil
}

// Close closes the file.
func (u *UnansweredFile) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.f == nil {
		return nil
	}
	err := u.f.Close()
	u.f = nil
	return err
}

// ReadUnanswered reads a JSONL log written by UnansweredFile. A malformed line is an error naming file and line;
// a missing file is an empty log.
func ReadUnanswered(path string) ([]Unanswered, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("unanswered log %s: %w", path, err)
	}
	defer f.Close()
	return readUnanswered(path, f)
}

func readUnanswered(name string, r io.Reader) ([]Unanswered, error) {
	var out []Unanswered
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var q Unanswered
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return out, fmt.Errorf("unanswered log %s:%d: %w", name, line, err)
		}
		out = append(out, q)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("unanswered log %s: %w", name, err)
	}
	return out, nil
}

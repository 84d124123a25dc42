package quality

import (
	"sync"
	"time"
)

// DTMFGuard protects keyed digits. The call feeds it every DTMF digit (RFC 4733 or SIP INFO); the recorder asks
// Silenced before writing each frame and writes silence while it says so. Any keyed digit silences the recording
// from that moment until dtmf_hold after the last digit of the run — the guard cannot know the first digits
// belong to a card number until enough have been keyed, and a digit's tones must not reach the file either way.
// When a run ends ('#' or the hold passing), Sequence tells whether it was a card number and gives the digits
// masked for logs and records.
type DTMFGuard struct {
	mu     sync.Mutex
	hold   time.Duration
	digits []byte
	last   time.Duration // time of the last digit
	active bool          // silencing
	open   bool          // the run's digits are not yet judged
	cards  int
}

// NewDTMFGuard makes a guard that keeps the recording silent for hold after the last digit (quality.dtmf_hold).
func NewDTMFGuard(hold time.Duration) *DTMFGuard {
	return &DTMFGuard{hold: hold, digits: make([]byte, 0, 32)}
}

// Digit notes a keyed digit ('0'–'9', '*', '#', 'A'–'D') at `at` from the answer of the call. A digit after the
// previous run's hold starts a new run.
func (g *DTMFGuard) Digit(at time.Duration, d rune) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.open || at-g.last > g.hold {
		g.closeRun()
		g.digits = g.digits[:0]
	}
	g.active = true
	g.last = at
	if d == '#' {
		g.closeRun() // still silent for the hold after '#'
		return
	}
	g.open = true
	if d >= '0' && d <= '9' && len(g.digits) < cap(g.digits) {
		g.digits = append(g.digits, byte(d))
	}
}

// Silenced reports whether the recording must be silent at `at` from the answer: while digits are being keyed
// and for dtmf_hold after the last one.
func (g *DTMFGuard) Silenced(at time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.active {
		return false
	}
	if at-g.last > g.hold {
		g.closeRun()
		g.active = false
		return false
	}
	return true
}

// Sequence returns the digits of the current (or last) run, masked when they form a card number, and whether
// they did.
func (g *DTMFGuard) Sequence() (masked string, card bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	s := string(g.digits)
	if IsCardNumber(s) {
		return MaskCardNumbers(s), true
	}
	return s, false
}

// CardsKeyed is how many keyed runs were card numbers.
func (g *DTMFGuard) CardsKeyed() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cards
}

func (g *DTMFGuard) closeRun() {
	if g.open && IsCardNumber(string(g.digits)) {
		g.cards++
	}
	g.open = false
}

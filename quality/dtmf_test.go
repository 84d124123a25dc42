package quality

import (
	"testing"
	"time"
)

func TestDTMFGuardSilencesTheRecordingWhileDigitsAreKeyed(t *testing.T) {
	g := NewDTMFGuard(3 * time.Second)
	s := time.Second
	if g.Silenced(0) {
		t.Fatal("silenced before any digit")
	}
	card := "4111111111111111"
	for i, d := range card {
		at := 10*s + time.Duration(i)*700*time.Millisecond
		g.Digit(at, d)
		if !g.Silenced(at + 100*time.Millisecond) {
			t.Fatalf("not silenced while digit %d is keyed", i+1)
		}
	}
	last := 10*s + time.Duration(len(card)-1)*700*time.Millisecond
	if !g.Silenced(last + 2900*time.Millisecond) {
		t.Fatal("silence ended before the hold after the last digit")
	}
	if masked, isCard := g.Sequence(); !isCard || masked != "************1111" {
		t.Fatalf("Sequence() = %q, %v", masked, isCard)
	}
	if g.Silenced(last + 3100*time.Millisecond) {
		t.Fatal("still silenced after the hold")
	}
	if g.CardsKeyed() != 1 {
		t.Fatalf("CardsKeyed = %d", g.CardsKeyed())
	}
	// A menu choice later is a new run, silenced too, and not a card.
	g.Digit(40*s, '2')
	if !g.Silenced(40*s + 10*time.Millisecond) {
		t.Fatal("menu digit not silenced")
	}
	if seq, isCard := g.Sequence(); isCard || seq != "2" {
		t.Fatalf("Sequence after a menu digit = %q, %v", seq, isCard)
	}
	if g.CardsKeyed() != 1 {
		t.Fatalf("CardsKeyed = %d after a menu digit", g.CardsKeyed())
	}
}

func TestDTMFGuardHashEndsARun(t *testing.T) {
	g := NewDTMFGuard(2 * time.Second)
	for i, d := range "5555555555554444#" {
		g.Digit(time.Duration(i)*300*time.Millisecond, d)
	}
	if g.CardsKeyed() != 1 {
		t.Fatalf("card keyed with # not counted: %d", g.CardsKeyed())
	}
	g.Digit(5500*time.Millisecond, '1')
	if seq, _ := g.Sequence(); seq != "1" {
		t.Fatalf("a digit after # did not start a new run: %q", seq)
	}
}

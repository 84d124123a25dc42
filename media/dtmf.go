package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// DTMF is one key press, from RFC 4733 telephone-events or from SIP INFO.
type DTMF struct {
	Digit    rune          // 0-9, *, #, A-D, or ! for flash
	Duration time.Duration // how long the key was held (0 when unknown)
	Source   string        // "rfc4733" or "info"
	At       time.Time     // when it was recognised
}

// DTMF sources.
const (
	DTMFSourceRFC4733 = "rfc4733"
	DTMFSourceInfo    = "info"
)

// ErrNoDTMF is returned by SendDTMF when the remote side did not negotiate telephone-event.
var ErrNoDTMF = errors.New("media: remote accepts no telephone-event payload")

const dtmfDigits = "0123456789*#ABCD!"

// DigitEvent maps a DTMF character to its RFC 4733 event code.
func DigitEvent(d rune) (uint8, bool) {
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	for i, c := range dtmfDigits {
		if c == d {
			return uint8(i), true
		}
	}
	return 0, false
}

// EventDigit maps an RFC 4733 event code (0–16) to its character.
func EventDigit(ev uint8) (rune, bool) {
	if int(ev) < len(dtmfDigits) {
		return rune(dtmfDigits[ev]), true
	}
	return 0, false
}

// TelephoneEvent is the payload of an RFC 4733 telephone-event packet.
type TelephoneEvent struct {
	Event    uint8
	End      bool
	Volume   uint8  // 0–63, in -dBm0
	Duration uint16 // in timestamp units
}

// ParseTelephoneEvent decodes an RFC 4733 payload (the first 4 bytes; redundant blocks are ignored).
func ParseTelephoneEvent(p []byte) (TelephoneEvent, error) {
	if len(p) < 4 {
		return TelephoneEvent{}, fmt.Errorf("telephone-event payload of %d bytes, need 4", len(p))
	}
	return TelephoneEvent{
		Event:    p[0],
		End:      p[1]&0x80 != 0,
		Volume:   p[1] & 0x3f,
		Duration: binary.BigEndian.Uint16(p[2:4]),
	}, nil
}

// Marshal appends the 4-byte payload to dst.
func (e TelephoneEvent) Marshal(dst []byte) []byte {
	b1 := e.Volume & 0x3f
	if e.End {
		b1 |= 0x80
	}
	return append(dst, e.Event, b1, byte(e.Duration>>8), byte(e.Duration))
}

// dtmfDetector turns a stream of telephone-event packets into key presses: one per event timestamp, reported
// when its end arrives (the end retransmissions are ignored), or when a new event starts, or when updates stop
// for dtmfStaleAfter, whichever comes first, so a lost end packet still yields the digit once.
type dtmfDetector struct {
	active   bool
	ts       uint32
	event    uint8
	duration uint16
	reported bool
	updated  time.Time
	recent   [8]uint32 // timestamps of recently reported events, for late retransmissions
	nrecent  int
}

const dtmfStaleAfter = 800 * time.Millisecond

// packet processes one telephone-event packet; it returns a key press to report, if any.
func (d *dtmfDetector) packet(ts uint32, ev TelephoneEvent, now time.Time) (DTMF, bool) {
	if d.active && ts == d.ts {
		if d.reported {
			return DTMF{}, false
		}
		if ev.Duration > d.duration {
			d.duration = ev.Duration
		}
		d.updated = now
		if ev.End {
			return d.report(now)
		}
		return DTMF{}, false
	}
	if d.wasReported(ts) {
		return DTMF{}, false // a late retransmission of an earlier event
	}
	var prev DTMF
	var havePrev bool
	if d.active && !d.reported {
		prev, havePrev = d.report(now)
	}
	d.active, d.ts, d.event, d.duration, d.reported, d.updated = true, ts, ev.Event, ev.Duration, false, now
	if ev.End {
		if havePrev {
			// Two digits in one packet's time: report the older now; the newer follows on the next call of flush.
			d.updated = time.Time{}
			return prev, true
		}
		return d.report(now)
	}
	return prev, havePrev
}

// flush reports an event whose end never came.
func (d *dtmfDetector) flush(now time.Time) (DTMF, bool) {
	if d.active && !d.reported && now.Sub(d.updated) > dtmfStaleAfter {
		return d.report(now)
	}
	return DTMF{}, false
}

func (d *dtmfDetector) report(now time.Time) (DTMF, bool) {
	d.reported = true
	d.recent[d.nrecent%len(d.recent)] = d.ts
	d.nrecent++
	digit, ok := EventDigit(d.event)
	if !ok {
		return DTMF{}, false
	}
	return DTMF{
		Digit:    digit,
		Duration: time.Duration(d.duration) * time.Second / SampleRate,
		Source:   DTMFSourceRFC4733,
		At:       now,
	}, true
}

func (d *dtmfDetector) wasReported(ts uint32) bool {
	n := min(d.nrecent, len(d.recent))
	for i := 0; i < n; i++ {
		if d.recent[i] == ts {
			return true
		}
	}
	return false
}

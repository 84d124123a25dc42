package media

import (
	"testing"
	"time"
)

type evPkt struct {
	ts   uint32
	ev   uint8
	end  bool
	dur  uint16
	wait time.Duration // time since the previous packet
}

func TestDTMFDetectorReportsEachKeyPressOnce(t *testing.T) {
	press := func(ts uint32, ev uint8, updates int) []evPkt {
		var p []evPkt
		for i := 1; i <= updates; i++ {
			p = append(p, evPkt{ts, ev, false, uint16(160 * i), 20 * time.Millisecond})
		}
		for i := 0; i < 3; i++ {
			p = append(p, evPkt{ts, ev, true, uint16(160 * (updates + 1)), 0})
		}
		return p
	}
	cat := func(ps ...[]evPkt) []evPkt {
		var out []evPkt
		for _, p := range ps {
			out = append(out, p...)
		}
		return out
	}
	cases := []struct {
		name    string
		pkts    []evPkt
		want    string
		wantDur time.Duration // of the first digit, 0 = don't check
	}{
		{"start, updates, three end packets", press(1000, 5, 4), "5", 100 * time.Millisecond},
		{"only end packets", []evPkt{{2000, 11, true, 800, 0}, {2000, 11, true, 800, 0}, {2000, 11, true, 800, 0}}, "#", 100 * time.Millisecond},
		{"two presses of the same key", cat(press(1000, 1, 3), press(3000, 1, 3)), "11", 0},
		{"a sequence", cat(press(1000, 1, 3), press(3000, 2, 3), press(5000, 10, 3), press(7000, 15, 3)), "12*D", 0},
		{"lost end packets: reported when the next key starts", cat(press(1000, 7, 3)[:3], press(3000, 8, 3)), "78", 0},
		{"late end retransmission after the next key started", cat(press(1000, 3, 3), press(3000, 4, 2)[:1],
			[]evPkt{{1000, 3, true, 640, 0}}, press(3000, 4, 2)[1:]), "34", 0},
		{"out-of-range events are ignored", cat(press(1000, 40, 2), press(2000, 9, 2)), "9", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d dtmfDetector
			now := time.Unix(1000, 0)
			var got []DTMF
			for _, p := range tc.pkts {
				now = now.Add(p.wait)
				if k, ok := d.packet(p.ts, TelephoneEvent{Event: p.ev, End: p.end, Duration: p.dur}, now); ok {
					got = append(got, k)
				}
				if k, ok := d.flush(now); ok {
					got = append(got, k)
				}
			}
			if k, ok := d.flush(now.Add(time.Second)); ok {
				got = append(got, k)
			}
			s := ""
			for _, k := range got {
				s += string(k.Digit)
				if k.Source != DTMFSourceRFC4733 {
					t.Errorf("source %q", k.Source)
				}
			}
			if s != tc.want {
				t.Fatalf("digits %q, want %q", s, tc.want)
			}
			if tc.wantDur != 0 && got[0].Duration != tc.wantDur {
				t.Errorf("duration %v, want %v", got[0].Duration, tc.wantDur)
			}
		})
	}
}

func TestDTMFDetectorLostEndIsReportedAfterUpdatesStop(t *testing.T) {
	var d dtmfDetector
	now := time.Unix(1000, 0)
	for i := 1; i <= 3; i++ {
		now = now.Add(20 * time.Millisecond)
		if _, ok := d.packet(500, TelephoneEvent{Event: 0, Duration: uint16(160 * i)}, now); ok {
			t.Fatal("reported before the end")
		}
	}
	if _, ok := d.flush(now.Add(100 * time.Millisecond)); ok {
		t.Fatal("reported while updates may still come")
	}
	k, ok := d.flush(now.Add(time.Second))
	if !ok || k.Digit != '0' || k.Duration != 60*time.Millisecond {
		t.Fatalf("got %+v %v, want digit 0 of 60ms", k, ok)
	}
	if _, ok := d.packet(500, TelephoneEvent{Event: 0, End: true, Duration: 800}, now.Add(2*time.Second)); ok {
		t.Error("a late end packet reported the key again")
	}
}

func TestTelephoneEventRoundTrip(t *testing.T) {
	e := TelephoneEvent{Event: 11, End: true, Volume: 10, Duration: 1234}
	got, err := ParseTelephoneEvent(e.Marshal(nil))
	if err != nil || got != e {
		t.Fatalf("round trip %+v %v, want %+v", got, err, e)
	}
	if _, err := ParseTelephoneEvent([]byte{1, 2, 3}); err == nil {
		t.Error("3-byte payload accepted")
	}
	for _, c := range "0123456789*#ABCD" {
		ev, ok := DigitEvent(c)
		back, ok2 := EventDigit(ev)
		if !ok || !ok2 || back != c {
			t.Errorf("digit %c: event %d back %c", c, ev, back)
		}
	}
}

package media

import "time"

// jitterBuffer turns received audio packets into a steady stream of 20 ms frames. It is not safe for concurrent
// use: the Session guards it with its mutex.
//
// Packets are decoded on arrival straight into a ring of samples indexed by RTP timestamp, so reordered packets
// land in place and duplicates are recognised by their sequence numbers. Playout is scheduled from arrival times:
// the "transit" of a packet is its arrival time minus its media time; the smallest transit over the last one to
// two seconds is the base, and the frame starting at media time t is played at t + base + delay. The delay adapts
// between the configured bounds to the recent peak of (transit - base), rising at once and falling slowly. A frame
// whose samples are missing at its playout time is concealed (plc); a packet arriving after its samples were played
// is late. A new SSRC, a jump of the sequence number, or a timestamp that disagrees with the arrival time by more
// than a second restarts the buffer.
type jitterBuffer struct {
	minDelay, maxDelay int64 // ns

	pcm  [jbRing]int16
	have [jbRing]bool

	started bool
	ssrc    uint32
	head    int64 // extended timestamp of the next frame to play
	lastTS  int64 // highest extended timestamp of an audio packet
	tsSeen  bool

	// sequence numbers (RFC 3550 A.1 style, extended to 64 bits)
	maxSeq                     int64
	baseSeq                    int64
	seenSeq                    [jbSeqWindow]int64 // extSeq+1 of recently received packets, for duplicate detection
	received                   int64              // unique packets received in this stream (since the last restart)
	prevExpected, prevReceived int64

	// timing
	baseTransit int64 // ns
	winMin      int64
	prevWinMin  int64
	winStart    int64
	lastTransit int64
	haveTransit bool
	jitterNs    float64 // RFC 3550 interarrival jitter estimate
	peakExcess  int64   // decaying peak of transit - base
	pktSamples  int     // samples in the last audio packet
	delay       int64   // current playout delay (ns)

	// totals across restarts
	late, duplicates, restarts, expectedBefore, receivedBefore int64

	plc     plc
	haveTmp [FrameSamples]bool
}

const (
	jbRing       = 4096 // samples (512 ms): more than the longest delay plus a 40 ms packet
	jbMask       = jbRing - 1
	jbSeqWindow  = 1024
	nsPerSample  = int64(time.Second) / SampleRate
	jbResetAfter = int64(time.Second) // timestamp/arrival disagreement that restarts the buffer
	jbMaxSeqJump = 3000
)

func newJitterBuffer(minDelay, maxDelay time.Duration) *jitterBuffer {
	return &jitterBuffer{minDelay: int64(minDelay), maxDelay: int64(maxDelay), delay: int64(minDelay)}
}

// pushResult says what became of a packet.
type pushResult uint8

const (
	pushInOrder   pushResult = iota // new highest sequence number
	pushReordered                   // older than the highest, but in time
	pushDuplicate                   // seen before: dropped
	pushLate                        // its samples were already played: dropped
)

// push accounts for one RTP packet of the stream. Audio packets (audio true) carry G.711 payload decoded with
// codec; others (DTMF, comfort noise) only advance the sequence accounting. now is the arrival time in ns.
func (j *jitterBuffer) push(seq uint16, ts uint32, ssrc uint32, audio bool, payload []byte, codec Codec, now int64) pushResult {
	if !j.started || ssrc != j.ssrc {
		j.restart(seq, ssrc)
	}
	ext := j.maxSeq + int64(int16(seq-uint16(j.maxSeq)))
	if d := ext - j.maxSeq; d > jbMaxSeqJump || d < -jbMaxSeqJump {
		j.restart(seq, ssrc)
		ext = j.maxSeq
	}
	slot := &j.seenSeq[ext&(jbSeqWindow-1)]
	if *slot == ext+1 {
		j.duplicates++
		return pushDuplicate
	}
	*slot = ext + 1
	j.received++
	res := pushReordered
	if ext > j.maxSeq || j.received == 1 {
		j.maxSeq = ext
		res = pushInOrder
	}
	if ext < j.baseSeq {
		j.baseSeq = ext
	}
	if !audio || len(payload) == 0 {
		return res
	}

	// Extend the timestamp relative to the highest one seen.
	var ets int64
	if !j.tsSeen {
		ets = int64(ts)
		j.tsSeen = true
		j.lastTS = ets
		j.head = ets
	} else {
		ets = j.lastTS + int64(int32(ts-uint32(j.lastTS)))
	}
	transit := now - ets*nsPerSample
	if j.haveTransit && absI64(transit-j.baseTransit) > jbResetAfter {
		// The timestamp jumped against the clock (or the network stalled for over a second): start again here.
		j.restartTiming(ets)
		transit = now - ets*nsPerSample
	}
	if ets > j.lastTS {
		j.lastTS = ets
	}
	j.updateTiming(transit, now, len(payload))

	// Place the samples.
	n := len(payload)
	if ets+int64(n) <= j.head {
		j.late++
		if res == pushInOrder {
			return res // still the newest packet for pass-through, only too late to play here
		}
		return pushLate
	}
	if ets+int64(n) > j.head+jbRing {
		// Too far ahead of playout to hold: the stream moved on, follow it.
		j.restartTiming(ets)
		j.updateTiming(now-ets*nsPerSample, now, n)
	}
	for i := 0; i < n; i++ {
		t := ets + int64(i)
		if t < j.head {
			continue
		}
		k := t & jbMask
		if codec.isALaw() {
			j.pcm[k] = alawDecode(payload[i])
		} else {
			j.pcm[k] = ulawDecode(payload[i])
		}
		j.have[k] = true
	}
	return res
}

func (j *jitterBuffer) updateTiming(transit, now int64, samples int) {
	j.pktSamples = samples
	if !j.haveTransit {
		j.haveTransit = true
		j.baseTransit, j.winMin, j.prevWinMin, j.winStart = transit, transit, transit, now
		j.lastTransit = transit
		return
	}
	d := float64(absI64(transit - j.lastTransit))
	j.jitterNs += (d - j.jitterNs) / 16
	j.lastTransit = transit
	if now-j.winStart > int64(time.Second) {
		j.prevWinMin, j.winMin, j.winStart = j.winMin, transit, now
	} else if transit < j.winMin {
		j.winMin = transit
	}
	newBase := min(j.winMin, j.prevWinMin)
	if newBase < j.baseTransit {
		// An early packet lowered the base: keep the playout schedule where it was by raising the delay as much.
		j.peakExcess += j.baseTransit - newBase
		j.delay = min(j.maxDelay, j.delay+j.baseTransit-newBase)
	}
	j.baseTransit = newBase
	excess := transit - j.baseTransit
	j.peakExcess -= j.peakExcess / 256 // halves in about 3.5 s at 50 packets/s
	if excess > j.peakExcess {
		j.peakExcess = excess
	}
	target := j.targetDelay()
	if target > j.delay {
		j.delay = target
	}
}

// targetDelay is the delay that would have caught the recent peak, with room for packets shorter than a frame.
func (j *jitterBuffer) targetDelay() int64 {
	need := j.peakExcess + int64(5*time.Millisecond)
	if j.pktSamples < FrameSamples {
		need += int64(FrameSamples-j.pktSamples) * nsPerSample
	}
	return max(j.minDelay, min(j.maxDelay, need))
}

// pull fills f with the next frame if its playout time has come (now in ns) and reports whether it did. Missing
// samples are concealed.
func (j *jitterBuffer) pull(now int64, f *Frame) bool {
	if !j.started || !j.haveTransit {
		return false
	}
	due := j.head*nsPerSample + j.baseTransit + j.delay
	if now < due {
		return false
	}
	got := 0
	for i := 0; i < FrameSamples; i++ {
		k := (j.head + int64(i)) & jbMask
		j.haveTmp[i] = j.have[k]
		if j.have[k] {
			f[i] = j.pcm[k]
			got++
			j.have[k] = false
		}
	}
	switch got {
	case FrameSamples:
		j.plc.good(f)
	case 0:
		j.plc.conceal(f)
	default:
		j.plc.merge(f, j.haveTmp[:])
	}
	j.head += FrameSamples
	// Let the delay fall slowly towards its target: 0.5 ms per frame played.
	if t := j.targetDelay(); t < j.delay {
		j.delay = max(t, j.delay-int64(500*time.Microsecond))
	}
	// Far behind (the clock stalled): skip ahead instead of bursting out stale audio.
	if now-due > int64(500*time.Millisecond) {
		skip := (now - due - j.delay) / nsPerSample / FrameSamples * FrameSamples
		for t := j.head; t < j.head+skip && t < j.head+jbRing; t++ {
			j.have[t&jbMask] = false
		}
		j.head += skip
	}
	return true
}

// restart forgets the stream: a new SSRC or sequence space.
func (j *jitterBuffer) restart(seq uint16, ssrc uint32) {
	if j.started {
		j.expectedBefore += j.maxSeq - j.baseSeq + 1
		j.receivedBefore += j.received
		j.restarts++
	}
	j.started = true
	j.ssrc = ssrc
	j.maxSeq = int64(seq)
	j.baseSeq = int64(seq)
	j.received = 0
	j.prevExpected, j.prevReceived = 0, 0
	for i := range j.seenSeq {
		j.seenSeq[i] = 0
	}
	j.tsSeen = false
	j.haveTransit = false
	j.clearAudio()
}

// restartTiming keeps the sequence accounting but starts playout afresh at timestamp ets.
func (j *jitterBuffer) restartTiming(ets int64) {
	j.restarts++
	j.haveTransit = false
	j.lastTS = ets
	j.head = ets
	j.clearAudio()
}

func (j *jitterBuffer) clearAudio() {
	for i := range j.have {
		j.have[i] = false
	}
	j.plc.reset()
}

// lost returns the packets expected but not received, over all streams (RFC 3550 cumulative loss, never negative).
func (j *jitterBuffer) lost() int64 {
	exp, rec := j.expectedBefore, j.receivedBefore
	if j.started {
		exp += j.maxSeq - j.baseSeq + 1
		rec += j.received
	}
	return max(0, exp-rec)
}

// fractionLost returns the RFC 3550 fraction lost since the previous call, as an 8-bit fixed point value.
func (j *jitterBuffer) fractionLost() uint8 {
	if !j.started {
		return 0
	}
	exp := j.maxSeq - j.baseSeq + 1
	dExp, dRec := exp-j.prevExpected, j.received-j.prevReceived
	j.prevExpected, j.prevReceived = exp, j.received
	if dExp <= 0 || dExp <= dRec {
		return 0
	}
	return uint8(((dExp - dRec) << 8) / dExp)
}

func absI64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

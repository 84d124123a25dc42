package asr

import (
	"math"
	"strings"
)

// vad is a frame-energy voice activity detector with a tracked noise floor: a frame is speech when it is
// SpeechThresholdDB above the floor and above an absolute level. The floor follows quiet frames down quickly and
// rises slowly (1 dB/s), so steady line noise is learnt and speech does not pull it up.
type vad struct {
	threshold float64
	floor     float64
}

const vadMinDB = -55 // frames quieter than this (dBFS) are never speech

func newVAD(thresholdDB float64) vad { return vad{threshold: thresholdDB, floor: -70} }

// frame classifies one frame and updates the floor; seconds is the frame's duration.
func (v *vad) frame(pcm []int16, seconds float64) bool {
	var sum float64
	for _, s := range pcm {
		f := float64(s)
		sum += f * f
	}
	db := -100.0
	if len(pcm) > 0 && sum > 0 {
		db = 10*math.Log10(sum/float64(len(pcm))) - 90.309 // relative to full scale 32768
	}
	if db < v.floor {
		v.floor += 0.5 * (db - v.floor)
	} else {
		v.floor += math.Min(db-v.floor, 1.0*seconds)
	}
	if v.floor < -90 {
		v.floor = -90
	}
	return db > vadMinDB && db > v.floor+v.threshold
}

// continuation words: a partial ending with one of these is not yet a complete request.
var continuation = map[string]bool{
	"a": true, "an": true, "the": true, "to": true, "and": true, "or": true, "but": true, "of": true, "for": true,
	"with": true, "in": true, "on": true, "at": true, "from": true, "my": true, "your": true, "our": true,
	"is": true, "are": true, "was": true, "be": true, "i": true, "i'm": true, "i'd": true, "can": true,
	"could": true, "would": true, "will": true, "should": true, "do": true, "does": true, "did": true,
	"what": true, "how": true, "why": true, "when": true, "where": true, "which": true, "who": true,
	"want": true, "need": true, "like": true, "about": true, "because": true, "so": true, "if": true,
	"that": true, "this": true, "um": true, "uh": true, "er": true, "some": true, "any": true, "me": false,
	"have": true, "has": true, "get": true, "it's": true, "there": true, "than": true, "then": true,
}

// shortReplies are complete on their own.
var shortReplies = map[string]bool{
	"yes": true, "no": true, "yeah": true, "yep": true, "nope": true, "okay": true, "ok": true, "sure": true,
	"thanks": true, "goodbye": true, "bye": true, "agent": true, "operator": true, "representative": true,
	"help": true,
}

// readsComplete reports whether a partial transcript already reads as a complete request: a short reply, or at
// least three words not ending on a word that needs a continuation.
func readsComplete(text string) bool {
	words := strings.Fields(text)
	if len(words) == 0 {
		return false
	}
	last := words[len(words)-1]
	if len(words) <= 2 {
		return shortReplies[last] || (len(words) == 2 && last == "you" && words[0] == "thank")
	}
	return !continuation[last]
}

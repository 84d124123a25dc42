// Package asr is hotline's speech recognition: a small streaming interface (20 ms PCM frames in, partial and final
// results with word timings, confidences and end-of-turn out) and two engines behind it.
//
// The embedded engine (the product default) runs CMU PocketSphinx 5prealpha in-process through cgo (Debian
// libpocketsphinx-dev, model package pocketsphinx-en-us): it needs no account, no network and no extra runtime, and
// it is the only mature open-source recogniser Debian packages with an English model. Its model is wideband
// (16 kHz); phone audio (8 kHz G.711, 300–3400 Hz) is upsampled and its cepstra are mapped towards wideband ones by
// a regression learned offline (package asr/internal/bwe, model/telephone.bwe), with live cepstral mean
// normalisation. Call streams can use a domain language model generated from the knowledge base
// (model/domain.arpa, with pronunciations for words the dictionary lacks in model/domain.dict) interpolated with the
// general model, and rebuilt while running when the knowledge base changes (DomainUpdater). Decoders search a
// vocabulary of the general model's most likely words plus the domain's (asr.vocabulary), not all 134,000 words of
// Debian's dictionary: that search tree was most of the CPU. Decoders are pooled (PocketSphinx loads a model per decoder and its language model is not safe
// for concurrent use); a full pool returns ErrBusy so the call can degrade to the DTMF menu or an agent.
//
// The vosk engine is a client of any Vosk-server-compatible WebSocket service (github.com/gorilla/websocket), and
// VoskHandler serves any Recognizer over that protocol (`hotline asr-serve`), so recognition can run elsewhere.
//
// The package owns decoders, their pool, endpointing and the Vosk protocol. It must not know about SIP, RTP,
// dialogue or the knowledge base, and imports none of their packages, tests included: the domain model is made
// from plain phrases (for the sample knowledge base at build time by internal/tools/genlm at the module root, run
// by `go generate ./asr/`; at run time through SetDomainPhrases). It never blocks the caller of Stream.Write: a
// full queue drops frames and counts them.
package asr

import (
	"context"
	"errors"
)

// Recognizer starts recognition streams. Implementations are safe for concurrent use.
type Recognizer interface {
	// NewStream starts a stream. It returns ErrBusy (wrapped) when no decoder is free and none may be added.
	NewStream(ctx context.Context, opts StreamOptions) (Stream, error)
	// Close stops the recogniser; streams still open end with an error result.
	Close() error
}

// StreamOptions configure one stream.
type StreamOptions struct {
	// CallID tags log lines and errors ("" for offline use).
	CallID string
	// SampleRate of the frames given to Write (8000 when 0). 8000 Hz (and any rate under 16000) takes the
	// telephone path; 16000 Hz and above the wideband path. Other rates are resampled, not refused.
	SampleRate int
	// Domain selects the call-time domain-biased language model instead of the general one.
	Domain bool
	// NoEndpoint turns end-of-turn detection off: one utterance runs from the first speech until Close.
	NoEndpoint bool
	// Offline makes Write wait for room in the queue instead of dropping frames (files, not live calls).
	Offline bool
}

// Stream is one recognition session (one call leg). Write, Close and reading Results may run on different
// goroutines; Write must not be called concurrently with itself.
type Stream interface {
	// Write queues one frame of 16-bit mono PCM (20 ms is usual; any length is accepted). It never blocks: when
	// recognition falls behind, the frame is dropped and counted. It returns ErrClosed after Close or failure.
	Write(frame []int16) error
	// Results delivers partial and final results in order; it is closed after the last result once the stream
	// is closed (Close flushes the audio still queued and finalises the current utterance first).
	Results() <-chan Result
	// Close ends the stream, waits for the final result of any speech in progress, and frees the decoder.
	Close() error
}

// Result is a partial or final recognition of one utterance.
type Result struct {
	// Text is the recognised words, lower case, separated by single spaces (numbers as words).
	Text string `json:"text"`
	// Final is true when the utterance is over and Text will not change.
	Final bool `json:"final"`
	// EndOfTurn is true on a final result the endpointer judged the end of the caller's turn (false on finals
	// forced by the maximum utterance length or Close).
	EndOfTurn bool `json:"end_of_turn,omitempty"`
	// Words carry timings (seconds from the start of the stream) and confidences (0..1); finals only.
	Words []Word `json:"words,omitempty"`
	// Err is set on the last result when recognition failed (e.g. the recognition server went away).
	Err error `json:"-"`
}

// Word is one recognised word.
type Word struct {
	W     string  `json:"w"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
	Conf  float64 `json:"conf"`
}

// Errors callers branch on.
var (
	// ErrBusy: every decoder is in use and the pool is at its bound; degrade the call (DTMF menu or agent).
	ErrBusy = errors.New("asr: all recognisers busy")
	// ErrClosed: the stream or recogniser is closed.
	ErrClosed = errors.New("asr: closed")
	// ErrUnavailable: the recognition service cannot be reached (vosk engine); degrade the call.
	ErrUnavailable = errors.New("asr: recognition service unavailable")
)

package asr

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Vosk is a Recognizer that streams to a Vosk-server-compatible WebSocket service (cfg.VoskURL), such as
// `hotline asr-serve` on another machine. Each stream is one connection; a lost connection is re-dialled up to
// cfg.VoskRetries times, after which the stream ends with ErrUnavailable so the call can degrade.
type Vosk struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	slots   chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
}

// NewVosk returns the client engine. It does not connect until a stream starts.
func NewVosk(cfg Config, m *Metrics, log *slog.Logger) (*Vosk, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v := &Vosk{cfg: cfg, log: log, metrics: m, slots: make(chan struct{}, cfg.MaxStreams)}
	v.ctx, v.cancel = context.WithCancel(context.Background())
	return v, nil
}

// Close ends every open stream.
func (v *Vosk) Close() error { v.cancel(); return nil }

// NewStream connects to the server and sends the configuration. A server that cannot be reached gives
// ErrUnavailable; more than cfg.MaxStreams open streams give ErrBusy.
func (v *Vosk) NewStream(ctx context.Context, opts StreamOptions) (Stream, error) {
	if v.ctx.Err() != nil {
		return nil, ErrClosed
	}
	select {
	case v.slots <- struct{}{}:
	default:
		v.metrics.streamOpened("vosk", "busy")
		return nil, ErrBusy
	}
	if opts.SampleRate <= 0 {
		opts.SampleRate = 8000
	}
	s := &voskStream{frameQueue: newFrameQueue(v.cfg.QueueFrames, opts.SampleRate/50, opts.Offline), v: v, opts: opts}
	s.log = v.log
	if opts.CallID != "" {
		s.log = v.log.With("call_id", opts.CallID)
	}
	conn, err := s.dial(ctx)
	if err != nil {
		<-v.slots
		v.metrics.streamOpened("vosk", "unavailable")
		return nil, fmt.Errorf("%w: %s: %v", ErrUnavailable, v.cfg.VoskURL, err)
	}
	v.metrics.streamOpened("vosk", "ok")
	s.ctx, s.cancel = context.WithCancel(ctx)
	stop := context.AfterFunc(v.ctx, s.cancel)
	go s.loop(conn, stop)
	return s, nil
}

// voskStream is one vosk-engine stream: a goroutine sending what its frameQueue holds over one connection at a
// time. Close sends the audio still queued and the end of the stream, and waits for the final result.
type voskStream struct {
	*frameQueue
	v      *Vosk
	opts   StreamOptions
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	eof     atomic.Bool // the end-of-stream message was sent
	sent    int64       // samples sent on earlier connections (word times continue across reconnects)
	partial string
}

// Write queues a copy of frame; it drops the frame (and counts it) when the queue is full. After a failure it
// returns the error the stream ended with (ErrUnavailable, ErrBusy, ...) rather than ErrClosed.
func (s *voskStream) Write(frame []int16) error {
	dropped, failure, err := s.put(s.ctx, frame)
	if failure != nil {
		return failure
	}
	if dropped {
		s.v.metrics.dropped()
	}
	return err
}

func (s *voskStream) dial(ctx context.Context) (*websocket.Conn, error) {
	d := websocket.Dialer{HandshakeTimeout: s.v.cfg.VoskTimeout, NetDialContext: (&net.Dialer{Timeout: s.v.cfg.VoskTimeout}).DialContext}
	dctx, cancel := context.WithTimeout(ctx, s.v.cfg.VoskTimeout)
	defer cancel()
	conn, _, err := d.DialContext(dctx, s.v.cfg.VoskURL, nil)
	if err != nil {
		return nil, err
	}
	cfg := map[string]any{"sample_rate": s.opts.SampleRate, "words": true}
	if s.opts.Domain {
		cfg["domain"] = true
	}
	conn.SetWriteDeadline(time.Now().Add(s.v.cfg.VoskTimeout))
	if err := conn.WriteJSON(map[string]any{"config": cfg}); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// loop sends queued audio and relays the server's answers, reconnecting when the connection fails.
func (s *voskStream) loop(conn *websocket.Conn, stop func() bool) {
	defer close(s.done)
	defer s.v.metrics.streamClosed()
	defer func() { <-s.v.slots }()
	defer close(s.results)
	defer stop()
	defer s.cancel()
	retries := 0
	for {
		finished, err := s.session(conn)
		if finished {
			return
		}
		if s.ctx.Err() != nil {
			s.fail(fmt.Errorf("asr: vosk stream %s: %w", s.opts.CallID, s.ctx.Err()))
			return
		}
		var busy *websocket.CloseError
		if errors.As(err, &busy) && busy.Code == closeTryAgainLater {
			s.fail(fmt.Errorf("%w: %s: %v", ErrBusy, s.v.cfg.VoskURL, err))
			return
		}
		for {
			if retries >= s.v.cfg.VoskRetries {
				s.fail(fmt.Errorf("%w: %s: %v", ErrUnavailable, s.v.cfg.VoskURL, err))
				return
			}
			retries++
			s.log.Warn("asr: vosk connection lost, reconnecting", "url", s.v.cfg.VoskURL, "err", err, "attempt", retries)
			s.v.metrics.reconnected()
			select {
			case <-time.After(time.Duration(retries) * 200 * time.Millisecond):
			case <-s.ctx.Done():
				s.fail(fmt.Errorf("asr: vosk stream %s: %w", s.opts.CallID, s.ctx.Err()))
				return
			}
			var derr error
			conn, derr = s.dial(s.ctx)
			if derr == nil {
				break
			}
			err = derr
		}
	}
}

// session runs one connection: a reader goroutine relays answers while this one sends audio. It returns
// finished=true after the end-of-stream exchange, or the error that broke the connection.
func (s *voskStream) session(conn *websocket.Conn) (finished bool, err error) {
	timeout := s.v.cfg.VoskTimeout
	base := float64(s.sent) / float64(s.opts.SampleRate)
	// outstanding counts audio messages not yet answered; the read deadline applies only while some are.
	var mu sync.Mutex
	outstanding := 0
	lastReply := time.Now()
	readErr := make(chan error, 1)
	gotFinal := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer conn.Close()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn.SetReadDeadline(time.Now().Add(timeout + time.Minute))
			_, data, err := conn.ReadMessage()
			if err != nil {
				readErr <- err
				return
			}
			mu.Lock()
			if outstanding > 0 {
				outstanding--
			}
			lastReply = time.Now()
			mu.Unlock()
			var m voskMessage
			if err := json.Unmarshal(data, &m); err != nil {
				readErr <- fmt.Errorf("bad message from server: %w", err)
				return
			}
			switch {
			case m.Text != nil:
				r := Result{Text: *m.Text, Final: true, EndOfTurn: true}
				for _, w := range m.Result {
					r.Words = append(r.Words, Word{W: w.Word, Start: base + w.Start, End: base + w.End, Conf: w.Conf})
				}
				s.partial = ""
				if r.Text != "" {
					select {
					case s.results <- r:
					case <-s.ctx.Done():
					}
				}
			case m.Partial != nil:
				if *m.Partial != s.partial && *m.Partial != "" {
					s.partial = *m.Partial
					select {
					case s.results <- Result{Text: *m.Partial}:
					default:
					}
				}
			}
			if m.Text != nil && s.eof.Load() {
				close(gotFinal)
				return
			}
		}
	}()
	buf := make([]byte, 0, s.opts.SampleRate/25)
	tick := time.NewTicker(timeout / 4)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return false, s.ctx.Err()
		case err := <-readErr:
			return false, err
		case <-gotFinal:
			return true, nil
		case <-tick.C:
			mu.Lock()
			stalled := outstanding > 0 && time.Since(lastReply) > timeout
			mu.Unlock()
			if stalled {
				return false, fmt.Errorf("no answer within %s", timeout)
			}
		case f, ok := <-s.frames():
			if !ok {
				s.eof.Store(true)
				conn.SetWriteDeadline(time.Now().Add(timeout))
				if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"eof" : 1}`)); err != nil {
					return false, err
				}
				select {
				case <-gotFinal:
					return true, nil
				case err := <-readErr:
					return false, err
				case <-time.After(timeout):
					return true, fmt.Errorf("no final result within %s", timeout)
				case <-s.ctx.Done():
					return false, s.ctx.Err()
				}
			}
			buf = buf[:0]
			for _, v := range f {
				buf = binary.LittleEndian.AppendUint16(buf, uint16(v))
			}
			n := len(f)
			s.recycle(f)
			mu.Lock()
			if outstanding == 0 {
				lastReply = time.Now()
			}
			outstanding++
			mu.Unlock()
			conn.SetWriteDeadline(time.Now().Add(timeout))
			if err := conn.WriteMessage(websocket.BinaryMessage, buf); err != nil {
				return false, err
			}
			s.sent += int64(n)
		}
	}
}

package asr

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// The Vosk server WebSocket protocol (github.com/alphacep/vosk-server, websocket/asr_server.py): the client may
// send a text message {"config":{"sample_rate":8000,…}}, then binary messages of 16-bit little-endian mono PCM,
// then the text {"eof" : 1}. The server answers every audio message with one JSON text message: {"partial":"…"}
// while an utterance goes on, or {"result":[{"conf":…,"end":…,"start":…,"word":…}],"text":"…"} when one ended;
// the answer to eof is the final result, after which the server closes the connection.

// voskWord is a word in a Vosk result.
type voskWord struct {
	Conf  float64 `json:"conf"`
	End   float64 `json:"end"`
	Start float64 `json:"start"`
	Word  string  `json:"word"`
}

// voskMessage is any server message (partial or result).
type voskMessage struct {
	Partial *string    `json:"partial,omitempty"`
	Result  []voskWord `json:"result,omitempty"`
	Text    *string    `json:"text,omitempty"`
}

// voskConfig is the client's configuration message. "domain" is hotline's extension (other servers ignore it).
type voskConfig struct {
	Config *struct {
		SampleRate float64 `json:"sample_rate"`
		Words      *bool   `json:"words"`
		Domain     *bool   `json:"domain"`
	} `json:"config"`
	EOF *int `json:"eof"`
}

// closeTryAgainLater is the WebSocket close code sent when every recogniser is busy (RFC 6455 1013).
const closeTryAgainLater = 1013

// VoskHandler serves rec over the Vosk server WebSocket protocol. domain is the default model choice for
// connections that do not say ("domain" in the config message). Each connection is one stream.
func VoskHandler(ctx context.Context, rec Recognizer, domain bool, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	up := websocket.Upgrader{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 8192, WriteBufferSize: 8192,
		CheckOrigin: func(*http.Request) bool { return true }} // not a browser API: no cookies or sessions
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade wrote the HTTP error
		}
		defer conn.Close()
		stop := context.AfterFunc(ctx, func() { conn.Close() }) // shutting down drops hijacked connections too
		defer stop()
		l := log.With("remote", r.RemoteAddr)
		if err := serveVosk(ctx, conn, rec, domain); err != nil {
			l.Info("asr-serve: connection ended", "err", err)
		}
	})
}

func serveVosk(ctx context.Context, conn *websocket.Conn, rec Recognizer, domain bool) error {
	conn.SetReadLimit(1 << 20)
	rate := 8000
	words := true
	var st Stream
	var pending []Result // finals not yet sent
	partial := ""
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	collect := func() {
		for {
			select {
			case r, ok := <-st.Results():
				if !ok {
					return
				}
				if r.Err != nil {
					continue
				}
				if r.Final {
					pending = append(pending, r)
					partial = ""
				} else {
					partial = r.Text
				}
			default:
				return
			}
		}
	}
	send := func(m any) error {
		conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		return conn.WriteJSON(m)
	}
	result := func(rs []Result) voskMessage {
		var texts []string
		out := voskMessage{Result: []voskWord{}}
		for _, r := range rs {
			texts = append(texts, r.Text)
			if words {
				for _, w := range r.Words {
					out.Result = append(out.Result, voskWord{Conf: w.Conf, End: w.End, Start: w.Start, Word: w.W})
				}
			}
		}
		t := strings.Join(texts, " ")
		out.Text = &t
		return out
	}
	var pcm []int16
	for {
		conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		mt, data, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		if mt == websocket.TextMessage {
			var m voskConfig
			if err := json.Unmarshal(data, &m); err != nil {
				return send(map[string]string{"error": "bad message: " + err.Error()})
			}
			if m.Config != nil {
				if m.Config.SampleRate >= 1000 && m.Config.SampleRate <= 192000 {
					rate = int(m.Config.SampleRate)
				}
				if m.Config.Words != nil {
					words = *m.Config.Words
				}
				if m.Config.Domain != nil {
					domain = *m.Config.Domain
				}
				continue
			}
			if m.EOF != nil {
				if st != nil {
					err := st.Close()
					for r := range st.Results() {
						if r.Final && r.Err == nil {
							pending = append(pending, r)
						}
					}
					st = nil
					if err != nil {
						return err
					}
				}
				if err := send(result(pending)); err != nil {
					return err
				}
				return conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			}
			continue
		}
		if st == nil {
			st, err = rec.NewStream(ctx, StreamOptions{SampleRate: rate, Domain: domain, Offline: true})
			if err != nil {
				code := websocket.CloseInternalServerErr
				if errors.Is(err, ErrBusy) {
					code = closeTryAgainLater
				}
				conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, err.Error()), time.Now().Add(time.Second))
				return err
			}
		}
		pcm = pcm[:0]
		for i := 0; i+1 < len(data); i += 2 {
			pcm = append(pcm, int16(binary.LittleEndian.Uint16(data[i:])))
		}
		if err := st.Write(pcm); err != nil {
			return err
		}
		collect()
		if len(pending) > 0 {
			if err := send(result(pending[:1])); err != nil {
				return err
			}
			pending = pending[1:]
			continue
		}
		if err := send(voskMessage{Partial: &partial}); err != nil {
			return err
		}
	}
}

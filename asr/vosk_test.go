package asr

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/hotline/hotline/internal/testenv"
)

// voskServer serves the shared embedded recogniser over the Vosk protocol on loopback.
func voskServer(t *testing.T) *httptest.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(VoskHandler(ctx, testRecognizer(t), false, slog.New(slog.NewTextHandler(os.Stderr, nil))))
	t.Cleanup(func() { cancel(); srv.CloseClientConnections(); srv.Close() })
	return srv
}

func voskTestConfig(url string) Config {
	cfg := DefaultConfig()
	cfg.Engine = "vosk"
	cfg.VoskURL = url
	cfg.VoskTimeout = 10 * time.Second
	cfg.VoskRetries = 1
	return cfg
}

func TestVoskClientRecognisesThroughAsrServe(t *testing.T) {
	dir := testenv.SharedAudio(t, "asr")
	srv := voskServer(t)
	v, err := NewVosk(voskTestConfig("ws"+strings.TrimPrefix(srv.URL, "http")), NewMetrics(nil), slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	pcm := phoneLine(t, filepath.Join(dir, "arctic_aew_a0003.wav"))
	viaVosk := recognise(t, v, pcm, 8000, false)
	direct := recognise(t, testRecognizer(t), pcm, 8000, false)
	if viaVosk.Text != direct.Text {
		t.Errorf("through the Vosk protocol %q, in-process %q: the same engine must give the same words", viaVosk.Text, direct.Text)
	}
	if len(viaVosk.Words) == 0 || viaVosk.Words[0].End <= viaVosk.Words[0].Start {
		t.Errorf("words with timings expected, got %+v", viaVosk.Words)
	}
}

func TestAsrServeSpeaksTheVoskProtocol(t *testing.T) {
	// The message shapes of alphacep/vosk-server's websocket/asr_server.py and its test.py client: a config
	// text message, binary PCM, {"eof" : 1}; one JSON answer per audio message, "partial" or "result"+"text".
	dir := testenv.SharedAudio(t, "asr")
	srv := voskServer(t)
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"config" : {"sample_rate" : 8000}}`)); err != nil {
		t.Fatal(err)
	}
	pcm := phoneLine(t, filepath.Join(dir, "arctic_aew_a0003.wav"))
	pcm = append(pcm, make([]int16, 8000)...) // one second of silence ends the utterance
	var texts []string
	chunk := make([]byte, 0, 8000)
	for off := 0; off < len(pcm); off += 4000 { // 0.5 s messages, as test.py sends
		chunk = chunk[:0]
		for _, s := range pcm[off:min(off+4000, len(pcm))] {
			chunk = binary.LittleEndian.AppendUint16(chunk, uint16(s))
		}
		if err := conn.WriteMessage(websocket.BinaryMessage, chunk); err != nil {
			t.Fatal(err)
		}
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(msg, &m); err != nil {
			t.Fatalf("answer %s: %v", msg, err)
		}
		_, partial := m["partial"]
		_, result := m["result"]
		_, text := m["text"]
		if partial == (result && text) {
			t.Fatalf("answer %s: want either {\"partial\"} or {\"result\",\"text\"}", msg)
		}
		if text {
			var s string
			json.Unmarshal(m["text"], &s)
			texts = append(texts, s)
		}
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"eof" : 1}`)); err != nil {
		t.Fatal(err)
	}
	_, msg, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var final struct {
		Result []struct {
			Conf, End, Start float64
			Word             string
		} `json:"result"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(msg, &final); err != nil || final.Text == nil {
		t.Fatalf("final answer %s: want {\"result\":[…],\"text\":…} (%v)", msg, err)
	}
	texts = append(texts, *final.Text)
	all := strings.Join(texts, " ")
	if !strings.Contains(all, "hands") && !strings.Contains(all, "twentieth") {
		t.Errorf("results %q miss the recording's words", all)
	}
	if _, _, err := conn.ReadMessage(); err == nil {
		t.Errorf("the server must close the connection after the final result")
	}
}

func TestVoskClientReportsAnUnreachableServerAsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	v, err := NewVosk(voskTestConfig("ws://"+addr), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	_, err = v.NewStream(context.Background(), StreamOptions{CallID: "dead-server"})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v, want ErrUnavailable", err)
	}
}

func TestVoskStreamEndsWithUnavailableWhenTheServerDiesAndStaysDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(VoskHandler(ctx, testRecognizer(t), false, nil))
	v, err := NewVosk(voskTestConfig("ws"+strings.TrimPrefix(srv.URL, "http")), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	st, err := v.NewStream(context.Background(), StreamOptions{CallID: "server-dies"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cancel() // the server shuts down: its connections drop and nothing listens any more
	srv.Close()
	frame := make([]int16, 160)
	deadline := time.After(20 * time.Second)
	for {
		st.Write(frame)
		select {
		case r, ok := <-st.Results():
			if !ok {
				t.Fatal("results closed without an error result")
			}
			if r.Err != nil {
				if !errors.Is(r.Err, ErrUnavailable) {
					t.Fatalf("error %v, want ErrUnavailable", r.Err)
				}
				return
			}
		case <-deadline:
			t.Fatal("no error within 20 s of the server going away")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

package agentbridge

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"github.com/hotline/hotline/prosody"
	"github.com/hotline/hotline/store"
)

func init() { bcryptCost = bcrypt.MinCost } // tests make many accounts; production keeps cost 11

type harness struct {
	t     testing.TB
	b     *Bridge
	srv   *httptest.Server
	store store.Store
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("HOTLINE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// newHarness starts a bridge on a real SQLite store and a loopback HTTP server.
func newHarness(t testing.TB, mut func(*Config), hooks Hooks) *harness {
	t.Helper()
	sc := store.DefaultConfig()
	sc.DataDir = t.TempDir()
	st, err := store.Open(context.Background(), sc)
	if err != nil {
		t.Fatalf("store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := DefaultConfig()
	cfg.RingTimeout = 3 * time.Second
	cfg.ReconnectGrace = time.Second
	cfg.Heartbeat = time.Second
	if mut != nil {
		mut(&cfg)
	}
	b, err := New(cfg, st, NewMetrics(prometheus.NewRegistry()), testLogger(t), hooks)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(b.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, b: b, srv: srv, store: st}
}

func (h *harness) addAccount(name, pass, role string, skills ...string) {
	h.t.Helper()
	a, err := NewAccount(name, pass, role, skills)
	if err != nil {
		h.t.Fatalf("account %s: %v", name, err)
	}
	if err := h.store.PutAccount(context.Background(), a); err != nil {
		h.t.Fatalf("account %s: %v", name, err)
	}
}

// login returns an HTTP client holding the session cookie, and the CSRF token.
func (h *harness) login(name, pass string) (*http.Client, string) {
	h.t.Helper()
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/login", strings.NewReader(`{"user":"`+name+`","pass":"`+pass+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", h.srv.URL)
	resp, err := cl.Do(req)
	if err != nil {
		h.t.Fatalf("login %s: %v", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		h.t.Fatalf("login %s: status %d", name, resp.StatusCode)
	}
	var me meResponse
	if err := json.NewDecoder(resp.Body).Decode(&me); err != nil {
		h.t.Fatalf("login %s: %v", name, err)
	}
	return cl, me.CSRF
}

type inMsg struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// page is a test client speaking the /ws/agent protocol.
type page struct {
	t    testing.TB
	name string
	ws   *websocket.Conn
	in   chan inMsg
	mu   sync.Mutex
}

func (h *harness) openPage(name, pass string) *page {
	h.t.Helper()
	p := h.openPageNoHello(name, pass)
	p.expect("hello", 5*time.Second)
	return p
}

func (h *harness) openPageNoHello(name, pass string) *page {
	h.t.Helper()
	cl, _ := h.login(name, pass)
	u, _ := url.Parse(h.srv.URL)
	hdr := http.Header{}
	hdr.Set("Origin", h.srv.URL)
	for _, c := range cl.Jar.Cookies(u) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	ws, resp, err := websocket.DefaultDialer.Dial("ws://"+u.Host+"/ws/agent", hdr)
	if err != nil {
		h.t.Fatalf("ws %s: %v (%v)", name, err, resp)
	}
	p := &page{t: h.t, name: name, ws: ws, in: make(chan inMsg, 512)}
	go func() {
		defer close(p.in)
		for {
			var m inMsg
			if err := ws.ReadJSON(&m); err != nil {
				return
			}
			p.in <- m
		}
	}()
	h.t.Cleanup(func() { ws.Close() })
	return p
}

// expect waits for the next message of type typ (others are skipped) and decodes its data into out, if given.
func (p *page) expect(typ string, within time.Duration, out ...any) json.RawMessage {
	p.t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m, ok := <-p.in:
			if !ok {
				p.t.Fatalf("%s: connection closed waiting for %s", p.name, typ)
			}
			if m.Type == typ {
				if len(out) > 0 {
					if err := json.Unmarshal(m.Data, out[0]); err != nil {
						p.t.Fatalf("%s: %s: %v", p.name, typ, err)
					}
				}
				return m.Data
			}
		case <-deadline:
			p.t.Fatalf("%s: no %s message within %v", p.name, typ, within)
		}
	}
}

// none asserts that no message of type typ arrives within d.
func (p *page) none(typ string, d time.Duration) {
	p.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case m, ok := <-p.in:
			if !ok {
				return
			}
			if m.Type == typ {
				p.t.Fatalf("%s: unexpected %s: %s", p.name, typ, m.Data)
			}
		case <-deadline:
			return
		}
	}
}

func (p *page) send(v map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.ws.WriteJSON(v); err != nil {
		p.t.Logf("%s: send: %v", p.name, err)
	}
}

// recMedia is a CallMedia for queue tests: it counts what the bridge sends to the caller.
type recMedia struct {
	sent    atomic.Int64
	mu      sync.Mutex
	forward func([]byte, uint8, uint32, bool)
}

func (m *recMedia) SetForward(f func([]byte, uint8, uint32, bool)) {
	m.mu.Lock()
	m.forward = f
	m.mu.Unlock()
}

func (m *recMedia) SendPayload(p []byte, n uint32) error { m.sent.Add(1); return nil }

func (m *recMedia) fwd() func([]byte, uint8, uint32, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.forward
}

type result struct {
	out Outcome
	err error
}

// enqueue runs Enqueue in the background; cancel ends the call as a caller hang-up.
func (h *harness) enqueue(id string, skills ...string) (<-chan result, context.CancelFunc, *recMedia) {
	ctx, cancel := context.WithCancel(context.Background())
	m := &recMedia{}
	ch := make(chan result, 1)
	q := QueuedCall{ID: id, Caller: "sip:+1555" + id + "@127.0.0.1", Skills: skills, Media: m,
		Report: prosody.Report{Seq: 1, CallID: id, State: prosody.Anxious, Level: 2, TransferReason: "asked_for_agent"}}
	go func() {
		out, err := h.b.Enqueue(ctx, q)
		ch <- result{out, err}
	}()
	h.t.Cleanup(cancel)
	return ch, cancel, m
}

func wait(t testing.TB, ch <-chan result, within time.Duration) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(within):
		t.Fatalf("Enqueue did not return within %v", within)
	}
	return result{}
}

type ringData struct {
	CallID  string         `json:"call_id"`
	OfferID string         `json:"offer_id"`
	Caller  string         `json:"caller"`
	Report  prosody.Report `json:"report"`
}

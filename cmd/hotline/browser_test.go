package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"

	"github.com/hotline/hotline/internal/testbrowser"
	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
)

// Helpers for the end-to-end tests that drive the real softphone page in headless Chromium against a real
// `hotline serve` and a real `hotline dial` caller.

// toneFrame tells whether a 20 ms frame (160 samples at 8 kHz) is dominated by hz: more than half its power at
// hz (Goertzel) and louder than -45 dBFS.
func toneFrame(f []int16, hz float64) bool {
	share, db := testbrowser.ToneShare(f, hz)
	return share > 0.5 && db > -45
}

// toneFrames counts the 20 ms frames of pcm[from:to] (sample indexes) that belong to runs of at least three
// tone-dominated frames, and returns the sample index of the first such run (-1 when none).
func toneFrames(pcm []int16, from, to int, hz float64) (count, first int) {
	first = -1
	from = max(0, from)
	to = min(len(pcm), to)
	run := 0
	for i := from; i+160 <= to; i += 160 {
		if toneFrame(pcm[i:i+160], hz) {
			run++
			if run == 3 && first < 0 {
				first = i - 2*160
			}
			if run >= 3 {
				count++
			}
		} else {
			run = 0
		}
	}
	return count, first
}

// holdMusicEnd returns the sample index where the bridge's hold music last stopped before sample `before`, or -1:
// the end of the last stretch of at least 400 ms in which the 261.63 Hz of the music's sustained pad is present
// (above -45 dBFS in 40 ms Goertzel windows). The music stops when the agent answers, so this is the answer as
// the dialer heard it, on the recording's own clock.
func holdMusicEnd(pcm []int16, before int) int {
	const win = 320
	k := 2 * math.Cos(2*math.Pi*261.63/8000)
	end, run := -1, 0
	for i := 0; i+win <= min(before, len(pcm)); i += win {
		var s1, s2 float64
		for _, v := range pcm[i : i+win] {
			s := float64(v)/32768 + k*s1 - s2
			s2, s1 = s1, s
		}
		amp := 2 * math.Sqrt(math.Max(0, s1*s1+s2*s2-k*s1*s2)) / win
		if amp > 0.0056 {
			run++
			if run >= 10 {
				end = i + win
			}
		} else {
			run = 0
		}
	}
	return end
}

// addAccount creates an account with the real binary: `hotline agent add -data DIR -role ROLE NAME`, password on
// standard input.
func addAccount(t *testing.T, dataDir, name, pass, role string) {
	t.Helper()
	cmd := exec.Command(testenv.Hotline(t), "agent", "add", "-data", dataDir, "-role", role, name)
	cmd.Stdin = strings.NewReader(pass + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hotline agent add %s: %v\n%s", name, err, out)
	}
}

// scriptPart is one sentence of what the dialer plays: it starts at `at` seconds from the answer, or right after
// the part before when that one is still playing.
type scriptPart struct {
	at   float64
	text string
}

// callerScript is what the dialer plays: each part a flite voice through the simulated G.711 line of phoneSpeech,
// silence between them. It returns the WAV and the [start, end) seconds of each part.

func callerScript(t *testing.T, voice string, parts ...scriptPart) (string, [][2]float64) {
	t.Helper()
	var out []int16
	var spans [][2]float64
	for _, p := range parts {
		pcm := readWAV8k(t, phoneSpeech(t, voice, p.text, 0))
		// phoneSpeech ends with 2 s of silence: the next part may start in it.
		voiced := len(pcm) - 2*8000
		start := int(p.at * 8000)
		if len(out) > 0 {
			start = max(start, len(out)+8000*6/10) // a breath between sentences
		}
		out = append(out, make([]int16, start-len(out))...)
		out = append(out, pcm...)
		spans = append(spans, [2]float64{float64(start) / 8000, float64(start+voiced) / 8000})
		out = out[:start+voiced]
	}
	out = append(out, make([]int16, 8000)...)
	path := filepath.Join(t.TempDir(), "caller-script.wav")
	if err := media.WriteWAV(path, 8000, 1, out); err != nil {
		t.Fatal(err)
	}
	return path, spans
}

// dialProc is `hotline dial` running in the background; its events are read as they come, with wall times.
type dialProc struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	mu     sync.Mutex
	events []dialEvent
	wall   []time.Time
	done   chan struct{}
	code   int
}

func startDial(t *testing.T, args ...string) *dialProc {
	t.Helper()
	d := &dialProc{stderr: &lockedBuffer{}, done: make(chan struct{})}
	d.cmd = exec.Command(testenv.Hotline(t), append([]string{"dial"}, args...)...)
	d.cmd.Stderr = d.stderr
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("hotline dial: %v", err)
	}
	go func() {
		defer close(d.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var ev dialEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				ev = dialEvent{"event": "not-json", "line": sc.Text()}
			}
			d.mu.Lock()
			d.events, d.wall = append(d.events, ev), append(d.wall, time.Now())
			d.mu.Unlock()
		}
		err := d.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			d.code = ee.ExitCode()
		} else if err != nil {
			d.code = -1
		}
	}()
	t.Cleanup(func() {
		select {
		case <-d.done:
		default:
			_ = d.cmd.Process.Kill()
			<-d.done
		}
		if t.Failed() {
			t.Logf("hotline dial events: %v\nstderr:\n%s", d.snapshot(), d.stderr.String())
		}
	})
	return d
}

func (d *dialProc) snapshot() []dialEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]dialEvent(nil), d.events...)
}

// event returns the first event named name and when the test saw it (zero when there is none yet).
func (d *dialProc) event(name string) (dialEvent, time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, ev := range d.events {
		if ev["event"] == name {
			return ev, d.wall[i]
		}
	}
	return nil, time.Time{}
}

// waitEvent waits for the event name.
func (d *dialProc) waitEvent(t *testing.T, name string, within time.Duration) (dialEvent, time.Time) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if ev, at := d.event(name); ev != nil {
			return ev, at
		}
		select {
		case <-d.done:
			if ev, at := d.event(name); ev != nil {
				return ev, at
			}
			t.Fatalf("hotline dial ended (exit %d) without a %s event: %v\n%s", d.code, name, d.snapshot(), d.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("no %s event from hotline dial within %v: %v", name, within, d.snapshot())
	return nil, time.Time{}
}

// wait waits for the dialer to exit and returns its exit status.
func (d *dialProc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-d.done:
		return d.code
	case <-time.After(within):
		t.Fatalf("hotline dial still running after %v: %v", within, d.snapshot())
	}
	return -1
}

func dbAbove(limit float64) func(string) bool {
	return func(v string) bool {
		db, err := strconv.ParseFloat(v, 64)
		return err == nil && db > limit
	}
}

// softphoneLogin logs into the softphone page through its data-testid hooks and waits until the agent is
// available.
func softphoneLogin(t *testing.T, br *testbrowser.Browser, base, user, pass string) {
	t.Helper()
	br.RunWithin(t, "login page", 60*time.Second,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(testbrowser.TestID("login-user")),
	)
	br.Run(t, "login",
		chromedp.SendKeys(testbrowser.TestID("login-user"), user),
		chromedp.SendKeys(testbrowser.TestID("login-pass"), pass),
		chromedp.Click(testbrowser.TestID("login-submit")),
	)
	br.WaitAttr(t, "presence", "data-value", 20*time.Second, func(v string) bool { return v == "available" })
}

// wsAgent is a second agent speaking the softphone's WebSocket protocol directly (no browser): enough to see a
// call ring.
type wsAgent struct {
	ws *websocket.Conn
	in chan wsMsg
}

type wsMsg struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

func loginWSAgent(t *testing.T, base, user, pass string) *wsAgent {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	body, _ := json.Marshal(map[string]string{"user": user, "pass": pass})
	req, _ := http.NewRequest("POST", base+"/api/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", base)
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login %s: status %d", user, resp.StatusCode)
	}
	u, _ := url.Parse(base)
	hdr := http.Header{}
	hdr.Set("Origin", base)
	for _, c := range jar.Cookies(u) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+u.Host+"/ws/agent", hdr)
	if err != nil {
		t.Fatalf("websocket for %s: %v", user, err)
	}
	a := &wsAgent{ws: ws, in: make(chan wsMsg, 256)}
	go func() {
		defer close(a.in)
		for {
			var m wsMsg
			if err := ws.ReadJSON(&m); err != nil {
				return
			}
			select {
			case a.in <- m:
			default: // the test reads only what it needs
			}
		}
	}()
	t.Cleanup(func() { ws.Close() })
	return a
}

// send writes one message to the bridge.
func (a *wsAgent) send(t *testing.T, m map[string]any) {
	t.Helper()
	if err := a.ws.WriteJSON(m); err != nil {
		t.Fatalf("agent websocket: %v", err)
	}
}

// expect waits for a message of type typ (others are skipped).
func (a *wsAgent) expect(t *testing.T, typ string, within time.Duration) json.RawMessage {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case m, ok := <-a.in:
			if !ok {
				t.Fatalf("agent connection closed waiting for %s", typ)
			}
			if m.Type == typ {
				return m.Data
			}
		case <-deadline:
			t.Fatalf("no %s message within %v", typ, within)
		}
	}
}

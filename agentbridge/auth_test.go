package agentbridge

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func post(t *testing.T, cl *http.Client, u, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if cl == nil {
		cl = http.DefaultClient
	}
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	resp.Body.Close()
	return resp
}

func TestLoginCookieIsHttpOnlyAndSameSiteStrict(t *testing.T) {
	for _, secure := range []bool{false, true} {
		h := newHarness(t, func(c *Config) { c.SecureCookies = secure }, Hooks{})
		h.addAccount("ann", "password1", RoleAgent)
		resp := post(t, nil, h.srv.URL+"/api/login", `{"user":"ann","pass":"password1"}`, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("login status %d", resp.StatusCode)
		}
		var c *http.Cookie
		for _, k := range resp.Cookies() {
			if k.Name == SessionCookie {
				c = k
			}
		}
		if c == nil {
			t.Fatal("no session cookie")
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure != secure || len(c.Value) < 40 {
			t.Errorf("secure_cookies=%v: cookie %+v, want HttpOnly, SameSite=Strict, Path=/, Secure=%v, a long random value", secure, c, secure)
		}
	}
}

func TestLoginRefusals(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	u := h.srv.URL + "/api/login"
	if r := post(t, nil, u, `{"user":"nobody","pass":"password1"}`, nil); r.StatusCode != 401 {
		t.Errorf("unknown user: %d, want 401", r.StatusCode)
	}
	if r := post(t, nil, u, `{"user":"ann","pass":"password1"}`, map[string]string{"Origin": "http://evil.example"}); r.StatusCode != 403 {
		t.Errorf("cross-origin login: %d, want 403", r.StatusCode)
	}
	for i := 0; i < 5; i++ {
		if r := post(t, nil, u, `{"user":"ann","pass":"wrong-password"}`, nil); r.StatusCode != 401 {
			t.Errorf("wrong password #%d: %d, want 401", i+1, r.StatusCode)
		}
	}
	if r := post(t, nil, u, `{"user":"ann","pass":"password1"}`, nil); r.StatusCode != 429 {
		t.Errorf("after 5 failures even the right password: %d, want 429 (throttled)", r.StatusCode)
	}
}

func TestPasswordChangeNeedsTheCSRFToken(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	cl, csrf := h.login("ann", "password1")
	u := h.srv.URL + "/api/password"
	body := `{"old":"password1","new":"password-two"}`
	if r := post(t, cl, u, body, nil); r.StatusCode != 403 {
		t.Errorf("without the token: %d, want 403", r.StatusCode)
	}
	if r := post(t, cl, u, body, map[string]string{CSRFHeader: "forged"}); r.StatusCode != 403 {
		t.Errorf("with a wrong token: %d, want 403", r.StatusCode)
	}
	if r := post(t, cl, u, body, map[string]string{CSRFHeader: csrf, "Origin": "http://evil.example"}); r.StatusCode != 403 {
		t.Errorf("from another origin: %d, want 403", r.StatusCode)
	}
	if r := post(t, cl, u, `{"old":"wrong-one","new":"password-two"}`, map[string]string{CSRFHeader: csrf}); r.StatusCode != 403 {
		t.Errorf("wrong current password: %d, want 403", r.StatusCode)
	}
	if r := post(t, cl, u, body, map[string]string{CSRFHeader: csrf, "Origin": h.srv.URL}); r.StatusCode != 204 {
		t.Fatalf("with the token: %d, want 204", r.StatusCode)
	}
	if r := post(t, nil, h.srv.URL+"/api/login", `{"user":"ann","pass":"password1"}`, nil); r.StatusCode != 401 {
		t.Errorf("old password still works: %d", r.StatusCode)
	}
	h.login("ann", "password-two")
}

func TestWebSocketNeedsASessionFromTheSameOrigin(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	cl, _ := h.login("ann", "password1")
	su, _ := url.Parse(h.srv.URL)
	cookie := ""
	for _, c := range cl.Jar.Cookies(su) {
		cookie = c.Name + "=" + c.Value
	}
	ws := "ws://" + su.Host + "/ws/agent"
	for _, tc := range []struct {
		name, cookie, origin string
		want                 int
	}{
		{"no session", "", h.srv.URL, 401},
		{"forged session", SessionCookie + "=forged", h.srv.URL, 401},
		{"another site's page", cookie, "http://evil.example", 403},
		{"our page", cookie, h.srv.URL, 101},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := http.Header{}
			if tc.cookie != "" {
				hdr.Set("Cookie", tc.cookie)
			}
			hdr.Set("Origin", tc.origin)
			c, resp, err := websocket.DefaultDialer.Dial(ws, hdr)
			if c != nil {
				c.Close()
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	// Supervisors only on /ws/supervisor.
	hdr := http.Header{"Cookie": {cookie}, "Origin": {h.srv.URL}}
	if _, resp, _ := websocket.DefaultDialer.Dial("ws://"+su.Host+"/ws/supervisor", hdr); resp == nil || resp.StatusCode != 403 {
		t.Errorf("agent on /ws/supervisor: %v, want 403", resp)
	}
}

func TestBearerTokenThroughCheckToken(t *testing.T) {
	hooks := Hooks{CheckToken: func(tok string) (string, string, bool) {
		if tok == "sup-token" {
			return "api", RoleSupervisor, true
		}
		return "", "", false
	}}
	h := newHarness(t, nil, hooks)
	protected := h.b.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }), RoleSupervisor)
	h.addAccount("ann", "password1", RoleAgent)
	agentClient, csrf := h.login("ann", "password1")
	for _, tc := range []struct {
		name   string
		method string
		header map[string]string
		client *http.Client
		want   int
	}{
		{"valid token", "POST", map[string]string{"Authorization": "Bearer sup-token"}, nil, 200},
		{"wrong token", "GET", map[string]string{"Authorization": "Bearer nope"}, nil, 401},
		{"nothing", "GET", nil, nil, 401},
		{"agent session on a supervisor path", "GET", nil, agentClient, 403},
		{"agent session with token header still lacks the role", "POST", map[string]string{CSRFHeader: csrf}, agentClient, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, h.srv.URL+"/x", nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			if tc.client != nil {
				su, _ := url.Parse(h.srv.URL)
				for _, c := range tc.client.Jar.Cookies(su) {
					req.AddCookie(c)
				}
			}
			rec := httptest.NewRecorder()
			protected.ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d", rec.Code, tc.want)
			}
		})
	}
	// A bearer client (no browser, no Origin) may open the supervisor feed and gets published alerts.
	su, _ := url.Parse(h.srv.URL)
	c, _, err := websocket.DefaultDialer.Dial("ws://"+su.Host+"/ws/supervisor", http.Header{"Authorization": {"Bearer sup-token"}})
	if err != nil {
		t.Fatalf("supervisor feed: %v", err)
	}
	defer c.Close()
	var hello inMsg
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		t.Fatalf("hello: %v %v", hello, err)
	}
	h.b.PublishSupervisor(map[string]string{"call_id": "c9", "risky_phrase": "calm down"})
	var alert inMsg
	if err := c.ReadJSON(&alert); err != nil || alert.Type != "alert" || !strings.Contains(string(alert.Data), "calm down") {
		t.Errorf("alert = %s %s (%v)", alert.Type, alert.Data, err)
	}
}

func TestDemoAgentIsCreatedOnlyWhenThereAreNoAccounts(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	ctx := context.Background()
	name, pass, created, err := h.b.EnsureDemoAgent(ctx)
	if err != nil || !created || name != "demo" || len(pass) < 12 {
		t.Fatalf("EnsureDemoAgent = %q %q %v %v", name, pass, created, err)
	}
	h.login("demo", pass)
	if _, _, again, err := h.b.EnsureDemoAgent(ctx); err != nil || again {
		t.Errorf("second EnsureDemoAgent created=%v err=%v, want no new account", again, err)
	}
}

func TestPageAndSecurityHeaders(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	for _, p := range []string{"/", "/static/app.js", "/static/style.css", "/static/i18n.js"} {
		resp, err := http.Get(h.srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
		if resp.Header.Get("X-Frame-Options") != "DENY" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: missing security headers %v", p, resp.Header)
		}
	}
}

func TestRemovedAccountCannotOpenThePhone(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("ann", "password1", RoleAgent)
	cl, _ := h.login("ann", "password1")
	if err := h.store.DeleteAccount(context.Background(), "ann"); err != nil {
		t.Fatal(err)
	}
	su, _ := url.Parse(h.srv.URL)
	hdr := http.Header{"Origin": {h.srv.URL}}
	for _, c := range cl.Jar.Cookies(su) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+su.Host+"/ws/agent", hdr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.Close()
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var m inMsg
	if err := ws.ReadJSON(&m); err != nil || m.Type != "error" {
		t.Fatalf("first message %s %s (%v), want an error", m.Type, m.Data, err)
	}
	if err := ws.ReadJSON(&m); err == nil {
		t.Errorf("the connection stayed open: %s", m.Type)
	}
	if len(h.b.Agents()) != 0 {
		t.Errorf("agents logged in: %+v", h.b.Agents())
	}
}

package agentbridge

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// SessionCookie is the name of the login cookie.
const SessionCookie = "hotline_session"

// CSRFHeader is the request header that must carry the session's CSRF token on every state-changing request made
// with the cookie (the page reads the token from /api/me or the login answer).
const CSRFHeader = "X-CSRF-Token"

type session struct {
	user, role, csrf string
	expires          time.Time
}

// sessions keeps logins in memory: a restart logs everybody out, which the page survives by showing the login.
type sessions struct {
	mu   sync.Mutex
	ttl  time.Duration
	byID map[string]*session
	// failures throttles password guessing per account name.
	failures map[string][]time.Time
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, byID: map[string]*session{}, failures: map[string][]time.Time{}}
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *sessions) create(user, role string) (id string, sess session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id = randomToken()
	p := &session{user: user, role: role, csrf: randomToken(), expires: time.Now().Add(s.ttl)}
	s.byID[id] = p
	// Drop expired sessions while here, so the map cannot grow without bound.
	now := time.Now()
	for k, v := range s.byID {
		if now.After(v.expires) {
			delete(s.byID, k)
		}
	}
	return id, *p
}

// get returns the session and slides its expiry.
func (s *sessions) get(id string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.byID[id]
	if !ok {
		return session{}, false
	}
	if time.Now().After(p.expires) {
		delete(s.byID, id)
		return session{}, false
	}
	p.expires = time.Now().Add(s.ttl)
	return *p, true
}

func (s *sessions) delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
}

// dropUser ends every session of user except keep.
func (s *sessions) dropUser(user, keep string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.byID {
		if v.user == user && k != keep {
			delete(s.byID, k)
		}
	}
}

// throttled reports whether name had 5 failed logins in the last 5 minutes.
func (s *sessions) throttled(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cut := time.Now().Add(-5 * time.Minute)
	list := s.failures[name]
	for len(list) > 0 && list[0].Before(cut) {
		list = list[1:]
	}
	if len(list) == 0 {
		delete(s.failures, name)
	} else {
		s.failures[name] = list
	}
	return len(list) >= 5
}

func (s *sessions) fail(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.failures) > 10000 { // bound memory under a spray of names
		s.failures = map[string][]time.Time{}
	}
	s.failures[name] = append(s.failures[name], time.Now())
}

// Authenticate tells who made r: a logged-in session cookie or an API bearer token (checked by Hooks.CheckToken).
// It does not check CSRF: use RequireAuth for handlers that change state.
func (b *Bridge) Authenticate(r *http.Request) (user, role string, ok bool) {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		if b.hooks.CheckToken == nil {
			return "", "", false
		}
		return b.hooks.CheckToken(strings.TrimSpace(strings.TrimPrefix(h, "Bearer ")))
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", "", false
	}
	s, ok := b.sessions.get(c.Value)
	if !ok {
		return "", "", false
	}
	return s.user, s.role, true
}

// RequireAuth wraps h so that it runs only for an authenticated request whose role is one of roles (any role when
// none are given). Requests with the session cookie that change state (anything but GET, HEAD, OPTIONS) must also
// carry the CSRF token header and, when the browser sends one, a matching Origin. Bearer-token requests carry no
// ambient credentials, so they need neither.
func (b *Bridge) RequireAuth(h http.Handler, roles ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, role, ok := b.Authenticate(r)
		if !ok {
			httpError(w, http.StatusUnauthorized, "not logged in")
			return
		}
		if len(roles) > 0 && !contains(roles, role) {
			httpError(w, http.StatusForbidden, "role "+role+" may not do this")
			return
		}
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") && !safeMethod(r.Method) {
			if !b.sameOrigin(r) || !b.csrfOK(r) {
				httpError(w, http.StatusForbidden, "missing or wrong CSRF token")
				return
			}
		}
		_ = user
		h.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

func (b *Bridge) csrfOK(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return false
	}
	s, ok := b.sessions.get(c.Value)
	if !ok {
		return false
	}
	got := r.Header.Get(CSRFHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

// sameOrigin accepts a request without Origin (not from a browser's cross-site context) or with an Origin whose
// host is the request's Host or one of Config.AllowedOrigins.
func (b *Bridge) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	for _, a := range b.cfg.AllowedOrigins {
		if strings.EqualFold(strings.TrimRight(a, "/"), o) {
			return true
		}
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

func (b *Bridge) setSessionCookie(w http.ResponseWriter, r *http.Request, id string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: id, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || b.cfg.SecureCookies,
	})
}

type loginRequest struct {
	User string `json:"user"`
	Pass string `json:"pass"`
}

type meResponse struct {
	User   string   `json:"user"`
	Role   string   `json:"role"`
	CSRF   string   `json:"csrf"`
	Skills []string `json:"skills"`
}

func (b *Bridge) handleLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		httpError(w, http.StatusMethodNotAllowed, "POST only")
		return
	}
	if !b.sameOrigin(r) {
		httpError(w, http.StatusForbidden, "cross-origin login refused")
		return
	}
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "login body: "+err.Error())
		return
	}
	if b.sessions.throttled(req.User) {
		b.metrics.login("throttled")
		httpError(w, http.StatusTooManyRequests, "too many failed logins; wait a few minutes")
		return
	}
	acct, err := b.accounts.GetAccount(r.Context(), req.User)
	hash := dummyHash()
	if err == nil && acct != nil && acct.PasswordHash != "" {
		hash = acct.PasswordHash
	} else if err == nil {
		err = errors.New("account without password")
	}
	if !CheckPassword(hash, req.Pass) || err != nil {
		b.sessions.fail(req.User)
		b.metrics.login("bad_password")
		b.log.Info("login refused", "user", req.User, "remote", r.RemoteAddr)
		httpError(w, http.StatusUnauthorized, "wrong name or password")
		return
	}
	id, s := b.sessions.create(acct.Name, acct.Role)
	b.setSessionCookie(w, r, id, int(b.cfg.SessionTTL.Seconds()))
	b.metrics.login("ok")
	b.log.Info("login", "user", acct.Name, "role", acct.Role, "remote", r.RemoteAddr)
	writeJSON(w, meResponse{User: s.user, Role: s.role, CSRF: s.csrf, Skills: acct.Skills})
}

func (b *Bridge) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		b.sessions.delete(c.Value)
	}
	b.setSessionCookie(w, r, "", -1)
	w.WriteHeader(http.StatusNoContent)
}

func (b *Bridge) handleMe(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		httpError(w, http.StatusUnauthorized, "not logged in")
		return
	}
	s, ok := b.sessions.get(c.Value)
	if !ok {
		httpError(w, http.StatusUnauthorized, "not logged in")
		return
	}
	var skills []string
	if a, err := b.accounts.GetAccount(r.Context(), s.user); err == nil && a != nil {
		skills = a.Skills
	}
	writeJSON(w, meResponse{User: s.user, Role: s.role, CSRF: s.csrf, Skills: skills})
}

type passwordRequest struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// handlePassword changes the logged-in user's password and ends their other sessions.
func (b *Bridge) handlePassword(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		httpError(w, http.StatusMethodNotAllowed, "POST only")
		return
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		httpError(w, http.StatusUnauthorized, "password changes need a logged-in session")
		return
	}
	s, ok := b.sessions.get(c.Value)
	if !ok {
		httpError(w, http.StatusUnauthorized, "not logged in")
		return
	}
	var req passwordRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		httpError(w, http.StatusBadRequest, "password body: "+err.Error())
		return
	}
	acct, err := b.accounts.GetAccount(r.Context(), s.user)
	if err != nil || acct == nil {
		httpError(w, http.StatusInternalServerError, fmt.Sprintf("reading account %s: %v", s.user, err))
		return
	}
	if !CheckPassword(acct.PasswordHash, req.Old) {
		httpError(w, http.StatusForbidden, "the current password is wrong")
		return
	}
	h, err := HashPassword(req.New)
	if err != nil {
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	acct.PasswordHash = h
	if err := b.accounts.PutAccount(r.Context(), *acct); err != nil {
		httpError(w, http.StatusInternalServerError, "saving account: "+err.Error())
		return
	}
	b.sessions.dropUser(s.user, c.Value)
	b.log.Info("password changed", "user", s.user)
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

package sip

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// accessPolicy is the part of the configuration that SIGHUP may swap while calls go on.
type accessPolicy struct {
	allow  []netip.Prefix
	drop   bool // refuse_action "drop"
	realm  string
	users  map[string]string
	secret []byte // signs nonces so that no nonce state is kept
}

func newAccessPolicy(cfg Config) (*accessPolicy, error) {
	allow, err := parseAllowList(cfg.AllowFrom)
	if err != nil {
		return nil, fmt.Errorf("sip.allow_from: %w", err)
	}
	p := &accessPolicy{allow: allow, drop: cfg.RefuseAction == "drop", realm: cfg.Auth.Realm, users: map[string]string{}}
	for u, pw := range cfg.Auth.Users {
		p.users[u] = pw
	}
	p.secret = make([]byte, 32)
	if _, err := rand.Read(p.secret); err != nil {
		return nil, fmt.Errorf("sip: nonce secret: %w", err)
	}
	return p, nil
}

// allowed reports whether a request from src (HOST:PORT or IP) may be served.
func (p *accessPolicy) allowed(src string) bool {
	ap, err := netip.ParseAddrPort(src)
	var a netip.Addr
	if err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(src); err != nil {
		return false
	}
	a = a.Unmap()
	for _, pr := range p.allow {
		if pr.Contains(a) {
			return true
		}
	}
	return false
}

// nonce makes a nonce that carries its own time and signature, so any server instance can check it.
func (p *accessPolicy) nonce(now time.Time) string {
	var b [8 + 16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.Unix()))
	mac := hmac.New(sha256.New, p.secret)
	mac.Write(b[:8])
	copy(b[8:], mac.Sum(nil)[:16])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

const nonceLifetime = 5 * time.Minute

// nonceState: 0 valid, 1 stale (ours but old), 2 not ours.
func (p *accessPolicy) checkNonce(n string, now time.Time) int {
	b, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil || len(b) != 24 {
		return 2
	}
	mac := hmac.New(sha256.New, p.secret)
	mac.Write(b[:8])
	if !hmac.Equal(mac.Sum(nil)[:16], b[8:]) {
		return 2
	}
	t := time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	if now.Sub(t) > nonceLifetime || t.Sub(now) > time.Minute {
		return 1
	}
	return 0
}

// authResult is the outcome of checking an INVITE's credentials.
type authResult int

const (
	authOK        authResult = iota
	authChallenge            // no or stale credentials: 401 with a fresh challenge
	authForbidden            // wrong user or password: 403
)

// checkAuth verifies the Authorization header of req. The challenge to send (when not authOK) is returned too.
func (p *accessPolicy) checkAuth(req *sip.Request, now time.Time) (authResult, string, string) {
	if len(p.users) == 0 {
		return authOK, "", ""
	}
	chal := digest.Challenge{Realm: p.realm, Nonce: p.nonce(now), Algorithm: "MD5", QOP: []string{"auth"}}
	h := req.GetHeader("Authorization")
	if h == nil {
		return authChallenge, chal.String(), "no credentials"
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil {
		return authForbidden, "", "unparseable Authorization header"
	}
	if cred.Realm != p.realm {
		return authChallenge, chal.String(), "credentials for realm " + strconv.Quote(cred.Realm)
	}
	switch p.checkNonce(cred.Nonce, now) {
	case 1:
		chal.Stale = true
		return authChallenge, chal.String(), "stale nonce"
	case 2:
		return authChallenge, chal.String(), "nonce not issued by us"
	}
	pw, ok := p.users[cred.Username]
	if !ok {
		return authForbidden, "", "unknown user " + strconv.Quote(cred.Username)
	}
	want, err := digest.Digest(&digest.Challenge{Realm: cred.Realm, Nonce: cred.Nonce, Algorithm: cred.Algorithm,
		QOP: qopList(cred.QOP), Opaque: cred.Opaque}, digest.Options{
		Method: string(req.Method), URI: cred.URI, Username: cred.Username, Password: pw,
		Cnonce: cred.Cnonce, Count: cred.Nc,
	})
	if err != nil {
		return authForbidden, "", "digest: " + err.Error()
	}
	if !hmac.Equal([]byte(want.Response), []byte(strings.ToLower(cred.Response))) {
		return authForbidden, "", "wrong password for " + strconv.Quote(cred.Username)
	}
	return authOK, "", ""
}

func qopList(q string) []string {
	if q == "" {
		return nil
	}
	return []string{q}
}

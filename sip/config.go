package sip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
)

// Config is the `sip:` section of the configuration file.
type Config struct {
	// UDPAddr is the HOST:PORT to receive SIP over UDP on; "" turns UDP off. Default 127.0.0.1:5060.
	UDPAddr string `yaml:"udp_addr"`
	// TCPAddr is the HOST:PORT to receive SIP over TCP on; "" turns TCP off. Default 127.0.0.1:5060.
	TCPAddr string `yaml:"tcp_addr"`
	// TLSAddr is the HOST:PORT for SIP over TLS; used only when TLSCert and TLSKey are set. Default "" (off).
	TLSAddr string `yaml:"tls_addr"`
	// TLSCert is the PEM certificate (chain) file for TLS. Default "".
	TLSCert string `yaml:"tls_cert"`
	// TLSKey is the PEM private key file for TLS. Default "".
	TLSKey string `yaml:"tls_key"`
	// PublicAddr is the host or IP written in Contact headers and SDP c= lines when hotline sits behind NAT
	// (the listen address and the RTP socket's address when ""). Default "".
	PublicAddr string `yaml:"public_addr"`
	// UserAgent is the User-Agent and Server header value. Default "hotline".
	UserAgent string `yaml:"user_agent"`
	// AllowFrom lists the source addresses (CIDRs or single IPs) whose requests are served; all others are
	// refused. Default ["127.0.0.0/8", "::1/128"]: a fresh install answers only this machine.
	AllowFrom []string `yaml:"allow_from"`
	// RefuseAction is what a refused source gets: "403" (a 403 Forbidden response) or "drop" (no answer at
	// all, which gives scanners nothing). Default "403".
	RefuseAction string `yaml:"refuse_action"`
	// Auth turns on digest authentication of INVITEs when Users is not empty.
	Auth AuthConfig `yaml:"auth"`
	// MaxCalls is how many calls (ringing or answered) are admitted at once; more get 503 with Retry-After.
	// Default 200.
	MaxCalls int `yaml:"max_calls"`
	// RetryAfter is the Retry-After sent with 503 when full or draining. Default 30s.
	RetryAfter time.Duration `yaml:"retry_after"`
	// Codecs are the audio codecs we accept and offer, in order of preference (PCMU, PCMA). Default [PCMU, PCMA].
	Codecs []string `yaml:"codecs"`
	// Ptime is the packetisation time we offer in our own offers (answers follow the offer, 10–40 ms). Default 20ms.
	Ptime time.Duration `yaml:"ptime"`
	// SessionExpires is the RFC 4028 session interval we ask for; 0 turns session timers off. Default 30m.
	SessionExpires time.Duration `yaml:"session_expires"`
	// MinSE is the smallest session interval we accept (smaller offers get 422). Default 90s (RFC 4028 minimum).
	MinSE time.Duration `yaml:"min_se"`
	// RingTime is how long we ring (180, or 183 with early media) before answering. Default 0s.
	RingTime time.Duration `yaml:"ring_time"`
	// EarlyMediaWAV, when set, is a WAV prompt played as early media: we send 183 Session Progress with SDP and
	// play it before the 200 OK (for at least RingTime). Read once at start. Default "" (plain 180 Ringing).
	EarlyMediaWAV string `yaml:"early_media_wav"`
	// Timers are the RFC 3261 transaction timers; only tests should change them.
	Timers TimersConfig `yaml:"timers"`
	// Registrations are registrars (PBXs) hotline registers to as an extension, refreshed before expiry.
	Registrations []RegistrationConfig `yaml:"registrations"`
	// Trunks are peers hotline sends OPTIONS keep-alives to.
	Trunks []TrunkConfig `yaml:"trunks"`
}

// AuthConfig is digest authentication (RFC 2617 / RFC 3261 §22) for incoming INVITEs.
type AuthConfig struct {
	// Realm is the digest realm. Default "hotline".
	Realm string `yaml:"realm"`
	// Users maps user names to passwords; empty turns authentication off. Default empty.
	Users map[string]string `yaml:"users"`
}

// TimersConfig scales the SIP transaction timers (RFC 3261 §17). They are process-wide in sipgo.
type TimersConfig struct {
	// T1 is the round-trip estimate; Timer B/F/H/J are 64*T1. Default 500ms.
	T1 time.Duration `yaml:"t1"`
	// T2 is the longest retransmit interval for non-INVITE requests and INVITE responses. Default 4s.
	T2 time.Duration `yaml:"t2"`
	// T4 is the longest time a message stays in the network (Timer I, K). Default 5s.
	T4 time.Duration `yaml:"t4"`
}

// RegistrationConfig is one REGISTER binding hotline keeps at a registrar.
type RegistrationConfig struct {
	// Registrar is the registrar's SIP URI, e.g. "sip:pbx.example.com:5060" (";transport=tcp" for TCP).
	Registrar string `yaml:"registrar"`
	// User is the extension / address-of-record user part (also the digest user unless AuthUser is set).
	User string `yaml:"user"`
	// AuthUser is the digest user name when it differs from User. Default "" (User).
	AuthUser string `yaml:"auth_user"`
	// Password is the digest password. Default "".
	Password string `yaml:"password"`
	// Domain is the host of the address of record (the registrar's host when ""). Default "".
	Domain string `yaml:"domain"`
	// Expiry is the binding lifetime asked for; it is refreshed at about half of the granted time. Default 1h.
	Expiry time.Duration `yaml:"expiry"`
}

// TrunkConfig is a peer kept under watch with OPTIONS.
type TrunkConfig struct {
	// Name labels the trunk in logs. Default: the URI.
	Name string `yaml:"name"`
	// URI is the peer's SIP URI, e.g. "sip:carrier.example.net:5060".
	URI string `yaml:"uri"`
	// KeepAlive is the OPTIONS interval. Default 30s.
	KeepAlive time.Duration `yaml:"keep_alive"`
}

// DefaultConfig returns the defaults documented on each field.
func DefaultConfig() Config {
	return Config{
		UDPAddr:        "127.0.0.1:5060",
		TCPAddr:        "127.0.0.1:5060",
		UserAgent:      "hotline",
		AllowFrom:      []string{"127.0.0.0/8", "::1/128"},
		RefuseAction:   "403",
		Auth:           AuthConfig{Realm: "hotline"},
		MaxCalls:       200,
		RetryAfter:     30 * time.Second,
		Codecs:         []string{"PCMU", "PCMA"},
		Ptime:          20 * time.Millisecond,
		SessionExpires: 30 * time.Minute,
		MinSE:          90 * time.Second,
		Timers:         TimersConfig{T1: 500 * time.Millisecond, T2: 4 * time.Second, T4: 5 * time.Second},
	}
}

// Validate checks every field and names the one at fault.
func (c Config) Validate() error {
	var errs []error
	bad := func(key string, format string, a ...any) {
		errs = append(errs, fmt.Errorf("sip.%s: %s", key, fmt.Sprintf(format, a...)))
	}
	if c.UDPAddr == "" && c.TCPAddr == "" && c.TLSAddr == "" {
		bad("udp_addr", "no listen address: set udp_addr, tcp_addr or tls_addr")
	}
	for key, addr := range map[string]string{"udp_addr": c.UDPAddr, "tcp_addr": c.TCPAddr, "tls_addr": c.TLSAddr} {
		if addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad(key, "%q is not HOST:PORT: %v", addr, err)
		}
	}
	if c.TLSAddr != "" {
		if c.TLSCert == "" || c.TLSKey == "" {
			bad("tls_addr", "needs tls_cert and tls_key")
		}
		for key, f := range map[string]string{"tls_cert": c.TLSCert, "tls_key": c.TLSKey} {
			if f == "" {
				continue
			}
			if _, err := os.Stat(f); err != nil {
				bad(key, "%v", err)
			}
		}
	}
	if c.PublicAddr != "" && strings.ContainsAny(c.PublicAddr, " /;<>") {
		bad("public_addr", "%q is not a host name or IP address", c.PublicAddr)
	}
	if _, err := parseAllowList(c.AllowFrom); err != nil {
		bad("allow_from", "%v", err)
	}
	if c.RefuseAction != "403" && c.RefuseAction != "drop" {
		bad("refuse_action", "%q is neither \"403\" nor \"drop\"", c.RefuseAction)
	}
	if len(c.Auth.Users) > 0 && c.Auth.Realm == "" {
		bad("auth.realm", "empty while auth.users is set")
	}
	if c.MaxCalls < 1 {
		bad("max_calls", "%d is below 1", c.MaxCalls)
	}
	if c.RetryAfter < time.Second {
		bad("retry_after", "%s is below 1s", c.RetryAfter)
	}
	if len(c.Codecs) == 0 {
		bad("codecs", "empty: list PCMU and/or PCMA")
	}
	for _, name := range c.Codecs {
		if _, ok := codecByName(name); !ok {
			bad("codecs", "%q is not PCMU or PCMA", name)
		}
	}
	if p := c.Ptime; p < 10*time.Millisecond || p > 40*time.Millisecond || p%(10*time.Millisecond) != 0 {
		bad("ptime", "%s is not 10ms, 20ms, 30ms or 40ms", p)
	}
	if c.SessionExpires != 0 && c.SessionExpires < c.MinSE {
		bad("session_expires", "%s is below min_se %s", c.SessionExpires, c.MinSE)
	}
	if c.MinSE < time.Second {
		bad("min_se", "%s is below 1s", c.MinSE)
	}
	if c.RingTime < 0 || c.RingTime > 5*time.Minute {
		bad("ring_time", "%s is outside 0–5m", c.RingTime)
	}
	if c.EarlyMediaWAV != "" {
		if _, err := os.Stat(c.EarlyMediaWAV); err != nil {
			bad("early_media_wav", "%v", err)
		}
	}
	if c.Timers.T1 <= 0 || c.Timers.T2 < c.Timers.T1 || c.Timers.T4 <= 0 {
		bad("timers", "t1 %s, t2 %s, t4 %s: need 0 < t1 <= t2 and t4 > 0", c.Timers.T1, c.Timers.T2, c.Timers.T4)
	}
	for i, r := range c.Registrations {
		key := fmt.Sprintf("registrations[%d]", i)
		var u sip.Uri
		if err := sip.ParseUri(r.Registrar, &u); err != nil || u.Host == "" {
			bad(key+".registrar", "%q is not a SIP URI", r.Registrar)
		}
		if r.User == "" {
			bad(key+".user", "empty")
		}
		if r.Expiry != 0 && r.Expiry < 30*time.Second {
			bad(key+".expiry", "%s is below 30s", r.Expiry)
		}
	}
	for i, t := range c.Trunks {
		key := fmt.Sprintf("trunks[%d]", i)
		var u sip.Uri
		if err := sip.ParseUri(t.URI, &u); err != nil || u.Host == "" {
			bad(key+".uri", "%q is not a SIP URI", t.URI)
		}
		if t.KeepAlive != 0 && t.KeepAlive < time.Second {
			bad(key+".keep_alive", "%s is below 1s", t.KeepAlive)
		}
	}
	return errors.Join(errs...)
}

// parseAllowList turns CIDRs or single addresses into prefixes.
func parseAllowList(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%q: %v", s, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR nor an IP address", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

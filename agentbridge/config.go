package agentbridge

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Config is the `agents:` section of the configuration file. Durations are Go durations ("15s").
type Config struct {
	// ring_timeout: how long a call rings at one agent before it goes to the next ("15s").
	RingTimeout time.Duration `yaml:"ring_timeout"`
	// max_wait: how long a caller may wait for an agent before the overflow policy applies ("5m").
	MaxWait time.Duration `yaml:"max_wait"`
	// overflow: what happens to a call that no agent can take (nobody logged in, closed, max_wait passed):
	// bot (back to the voice-bot), voicemail (record a message) or refer (blind transfer to call.fallback_refer) ("bot").
	Overflow string `yaml:"overflow"`
	// on_agent_lost: when the agent's page or network dies mid-call, after the apology: requeue (offer the call to
	// the next agent, ahead of newer calls) or bot ("requeue").
	OnAgentLost string `yaml:"on_agent_lost"`
	// reconnect_grace: how long a call waits for an agent whose page lost its connection mid-call to come back
	// before the agent counts as lost ("10s").
	ReconnectGrace time.Duration `yaml:"reconnect_grace"`
	// wrapup_timeout: how long an agent may stay in wrap-up after a call before becoming available again ("2m").
	WrapUpTimeout time.Duration `yaml:"wrapup_timeout"`
	// away_on_missed_ring: an agent who lets a call ring out is set away, so the next calls don't ring there (true).
	AwayOnMissedRing bool `yaml:"away_on_missed_ring"`
	// hold_music: play the generated hold music while the caller waits or is on hold (true).
	HoldMusic bool `yaml:"hold_music"`
	// reassure_every: how often a waiting caller hears the reassurance with the expected wait; 0 never ("40s").
	ReassureEvery time.Duration `yaml:"reassure_every"`
	// reassure_text: what the waiting caller hears; {minutes} becomes the expected wait ("1 minute", "3 minutes").
	ReassureText string `yaml:"reassure_text"`
	// apology_text: what the caller hears when the agent's connection is lost mid-call.
	ApologyText string `yaml:"apology_text"`
	// business_hours: when agents take calls; outside them the overflow policy applies at once (empty: always open).
	BusinessHours BusinessHours `yaml:"business_hours"`
	// session_ttl: how long a login lasts without activity ("12h").
	SessionTTL time.Duration `yaml:"session_ttl"`
	// secure_cookies: mark the session cookie Secure even on plain HTTP (behind a TLS proxy); it is always Secure
	// when the request came over TLS (false).
	SecureCookies bool `yaml:"secure_cookies"`
	// allowed_origins: extra Origin values (scheme://host:port) accepted on logins and WebSockets besides the
	// page's own host ([]).
	AllowedOrigins []string `yaml:"allowed_origins"`
	// heartbeat: the WebSocket ping interval; a page silent for three intervals is disconnected ("10s").
	Heartbeat time.Duration `yaml:"heartbeat"`
	// demo_agent: the name of the agent `hotline serve` creates, with a random password it logs, when there are no
	// accounts at all ("demo").
	DemoAgent string `yaml:"demo_agent"`
	// ice: how the WebRTC leg finds a path to the browser.
	ICE ICEConfig `yaml:"ice"`
}

// ICEConfig is the WebRTC network setup.
type ICEConfig struct {
	// stun_urls: STUN servers for server-reflexive candidates, e.g. stun:stun.example.org:3478 ([]: none).
	STUNURLs []string `yaml:"stun_urls"`
	// turn_urls: TURN servers for relayed candidates, e.g. turn:turn.example.org:3478?transport=udp ([]: none).
	TURNURLs []string `yaml:"turn_urls"`
	// turn_username, turn_password: credentials for turn_urls ("").
	TURNUsername string `yaml:"turn_username"`
	TURNPassword string `yaml:"turn_password"`
	// interfaces: network interfaces whose addresses become host candidates ([]: all).
	Interfaces []string `yaml:"interfaces"`
	// ips: only these local IP addresses become host candidates ([]: all).
	IPs []string `yaml:"ips"`
	// loopback: offer loopback addresses as host candidates, for a browser on the same machine (true).
	Loopback bool `yaml:"loopback"`
	// nat_1to1_ips: public addresses to announce instead of the host addresses (a server behind 1:1 NAT) ([]).
	NAT1To1IPs []string `yaml:"nat_1to1_ips"`
	// udp_port_min, udp_port_max: the UDP port range for WebRTC media (0, 0: any ephemeral port).
	UDPPortMin uint16 `yaml:"udp_port_min"`
	UDPPortMax uint16 `yaml:"udp_port_max"`
}

// BusinessHours are the opening hours of the queue.
type BusinessHours struct {
	// timezone: an IANA zone name such as Europe/Berlin ("": the server's local time).
	Timezone string `yaml:"timezone"`
	// days: open days as mon, tue, wed, thu, fri, sat, sun ([]: every day when open/close are set).
	Days []string `yaml:"days"`
	// open, close: opening and closing time of day, HH:MM ("" and "": always open).
	Open  string `yaml:"open"`
	Close string `yaml:"close"`
}

// Overflow and agent-lost actions (Outcome.Next).
const (
	NextNone      = ""          // end the caller's leg: the call is over
	NextBot       = "bot"       // give the call back to the voice-bot
	NextVoicemail = "voicemail" // record a message
	NextRefer     = "refer"     // blind-transfer to the fallback number
	NextRequeue   = "requeue"   // Enqueue again (keep QueuedSince so the caller keeps the place)
)

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		RingTimeout:      15 * time.Second,
		MaxWait:          5 * time.Minute,
		Overflow:         NextBot,
		OnAgentLost:      NextRequeue,
		ReconnectGrace:   10 * time.Second,
		WrapUpTimeout:    2 * time.Minute,
		AwayOnMissedRing: true,
		HoldMusic:        true,
		ReassureEvery:    40 * time.Second,
		ReassureText:     "Thank you for waiting. All our agents are helping other callers; your expected wait is about {minutes}.",
		ApologyText:      "We are sorry, the connection to our agent was lost. Please stay on the line.",
		SessionTTL:       12 * time.Hour,
		Heartbeat:        10 * time.Second,
		DemoAgent:        "demo",
		ICE:              ICEConfig{Loopback: true},
	}
}

// Validate checks the values and names the key at fault.
func (c Config) Validate() error {
	pos := func(name string, d time.Duration) error {
		if d <= 0 {
			return fmt.Errorf("agents.%s: %v must be positive", name, d)
		}
		return nil
	}
	for _, e := range []error{
		pos("ring_timeout", c.RingTimeout), pos("max_wait", c.MaxWait), pos("reconnect_grace", c.ReconnectGrace),
		pos("wrapup_timeout", c.WrapUpTimeout), pos("session_ttl", c.SessionTTL), pos("heartbeat", c.Heartbeat),
	} {
		if e != nil {
			return e
		}
	}
	if c.ReassureEvery < 0 {
		return fmt.Errorf("agents.reassure_every: %v must not be negative", c.ReassureEvery)
	}
	switch c.Overflow {
	case NextBot, NextVoicemail, NextRefer:
	default:
		return fmt.Errorf("agents.overflow: %q is not bot, voicemail or refer", c.Overflow)
	}
	switch c.OnAgentLost {
	case NextRequeue, NextBot:
	default:
		return fmt.Errorf("agents.on_agent_lost: %q is not requeue or bot", c.OnAgentLost)
	}
	if c.DemoAgent == "" {
		return errors.New("agents.demo_agent: must not be empty")
	}
	for _, o := range c.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("agents.allowed_origins: %q is not scheme://host[:port]", o)
		}
	}
	if _, err := c.BusinessHours.compile(); err != nil {
		return fmt.Errorf("agents.business_hours: %w", err)
	}
	return c.ICE.validate()
}

func (c ICEConfig) validate() error {
	for _, u := range c.STUNURLs {
		if !strings.HasPrefix(u, "stun:") && !strings.HasPrefix(u, "stuns:") {
			return fmt.Errorf("agents.ice.stun_urls: %q is not a stun or stuns URL", u)
		}
	}
	for _, u := range c.TURNURLs {
		if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			return fmt.Errorf("agents.ice.turn_urls: %q is not a turn or turns URL", u)
		}
	}
	for _, ip := range append(append([]string{}, c.IPs...), c.NAT1To1IPs...) {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("agents.ice: %q is not an IP address", ip)
		}
	}
	if (c.UDPPortMin == 0) != (c.UDPPortMax == 0) || c.UDPPortMin > c.UDPPortMax {
		return fmt.Errorf("agents.ice.udp_port_min/udp_port_max: %d-%d is not a range (set both, min <= max)", c.UDPPortMin, c.UDPPortMax)
	}
	return nil
}

// hours is BusinessHours ready to answer "open now?".
type hours struct {
	always      bool
	loc         *time.Location
	days        [7]bool
	open, close int // minutes after midnight
}

func (b BusinessHours) compile() (hours, error) {
	h := hours{loc: time.Local}
	if b.Open == "" && b.Close == "" {
		h.always = true
		return h, nil
	}
	if b.Timezone != "" {
		loc, err := time.LoadLocation(b.Timezone)
		if err != nil {
			return h, fmt.Errorf("timezone %q: %w", b.Timezone, err)
		}
		h.loc = loc
	}
	var err error
	if h.open, err = clock(b.Open); err != nil {
		return h, fmt.Errorf("open: %w", err)
	}
	if h.close, err = clock(b.Close); err != nil {
		return h, fmt.Errorf("close: %w", err)
	}
	names := map[string]time.Weekday{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
	if len(b.Days) == 0 {
		h.days = [7]bool{true, true, true, true, true, true, true}
	}
	for _, d := range b.Days {
		wd, ok := names[strings.ToLower(d)]
		if !ok {
			return h, fmt.Errorf("days: %q is not one of mon tue wed thu fri sat sun", d)
		}
		h.days[wd] = true
	}
	return h, nil
}

func clock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// isOpen reports whether the queue takes calls at t. A close before open spans midnight.
func (h hours) isOpen(t time.Time) bool {
	if h.always {
		return true
	}
	t = t.In(h.loc)
	m := t.Hour()*60 + t.Minute()
	if h.open <= h.close {
		return h.days[t.Weekday()] && m >= h.open && m < h.close
	}
	if m >= h.open {
		return h.days[t.Weekday()]
	}
	return m < h.close && h.days[(t.Weekday()+6)%7]
}

package sip

import (
	"bytes"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
)

var errDropped = errors.New("source not in sip.allow_from (refuse_action drop)")

// readFilter sees every datagram or TCP read before sipgo parses it. It silently drops sources outside the allow
// list when refuse_action is "drop" (so scanners learn nothing), and answers unparseable UDP requests with a
// stateless 400 built from their raw headers, which sipgo would otherwise drop without a word.
func (s *Server) readFilter(p sip.TransportReadProps, data []byte) ([]byte, error) {
	if s.closing.Load() {
		if p.Transport == "UDP" {
			return nil, nil
		}
		return nil, errDropped
	}
	pol := s.policy()
	if pol.drop && p.RemoteAddr != nil && !pol.allowed(p.RemoteAddr.String()) {
		if bytes.HasPrefix(data, []byte("INVITE ")) {
			s.m.request("INVITE")
			s.m.refusedCall("forbidden_source")
		}
		if s.dropLog.allow(time.Now()) {
			s.log.Warn("sip packet dropped: source not in sip.allow_from (refuse_action drop)",
				"source", p.RemoteAddr.String(), "transport", p.Transport, "first_line", firstLine(data))
		}
		if p.Transport == "UDP" {
			return nil, nil
		}
		return nil, errDropped // closes the TCP/TLS connection
	}
	if p.Transport != "UDP" {
		return data, nil
	}
	if len(bytes.Trim(data, "\r\n\x00 ")) == 0 {
		return data, nil // keep-alive
	}
	if _, err := parser.ParseSIP(data); err != nil {
		s.badDatagram(p, data, err)
		return nil, nil
	}
	return data, nil
}

var parser = sip.NewParser()

// badDatagram answers a request sipgo cannot parse with 400 when its raw headers let us address a response, and
// logs one line either way.
func (s *Server) badDatagram(p sip.TransportReadProps, data []byte, perr error) {
	res := stateless400(data, perr)
	if res == nil {
		if s.dropLog.allow(time.Now()) {
			s.log.Info("sip garbage datagram ignored", "source", p.RemoteAddr.String(), "bytes", len(data),
				"error", perr)
		}
		return
	}
	for _, c := range s.udpConn {
		if c.LocalAddr().String() != p.LocalAddr.String() {
			continue
		}
		if _, err := c.WriteTo(res, p.RemoteAddr); err == nil {
			s.m.response(400)
		}
		break
	}
	s.log.Warn("sip malformed request answered 400", "source", p.RemoteAddr.String(), "first_line", firstLine(data),
		"error", perr)
}

// stateless400 builds "400 Bad Request" for a raw request by copying its Via, From, To, Call-ID and CSeq lines
// (RFC 3261 §8.2.6.2); nil when data is no request or lacks a Via to answer to.
func stateless400(data []byte, perr error) []byte {
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	lines := strings.Split(strings.ReplaceAll(string(head), "\r\n", "\n"), "\n")
	if len(lines) < 2 {
		return nil
	}
	start := strings.Fields(lines[0])
	if len(start) != 3 || start[2] != "SIP/2.0" || strings.HasPrefix(start[0], "SIP/") || start[0] == "ACK" {
		return nil
	}
	var b strings.Builder
	b.WriteString("SIP/2.0 400 Bad Request\r\n")
	hasVia := false
	for _, l := range lines[1:] {
		name, _, ok := strings.Cut(l, ":")
		if !ok || len(l) > 1024 {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "via", "v":
			hasVia = true
		case "from", "f", "to", "t", "call-id", "i", "cseq":
		default:
			continue
		}
		b.WriteString(strings.TrimRight(l, "\r"))
		b.WriteString("\r\n")
	}
	if !hasVia {
		return nil
	}
	reason := strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r > 0x7e {
			return ' '
		}
		return r
	}, perr.Error())
	if len(reason) > 120 {
		reason = reason[:120]
	}
	b.WriteString(`Warning: 399 hotline "` + reason + "\"\r\nContent-Length: 0\r\n\r\n")
	return []byte(b.String())
}

func firstLine(data []byte) string {
	l, _, _ := bytes.Cut(data, []byte("\n"))
	if len(l) > 80 {
		l = l[:80]
	}
	return strings.ToValidUTF8(strings.TrimSpace(string(l)), "?")
}

// dropLimiter keeps refusal and garbage logging to a few lines a second under a flood.
type dropLimiter struct {
	mu     sync.Mutex
	window time.Time
	n      int
}

func (d *dropLimiter) allow(now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Sub(d.window) > time.Second {
		d.window, d.n = now, 0
	}
	d.n++
	return d.n <= 5
}

var _ net.Addr = (*net.UDPAddr)(nil)

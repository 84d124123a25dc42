package sip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"
)

// Direction is an SDP media direction attribute (RFC 3264 §5.1, §6.1).
type Direction string

// The four SDP directions.
const (
	SendRecv Direction = "sendrecv"
	SendOnly Direction = "sendonly"
	RecvOnly Direction = "recvonly"
	Inactive Direction = "inactive"
)

// answer returns the direction an answerer puts in its answer to an offer with direction d (RFC 3264 §6.1).
func (d Direction) answer() Direction {
	switch d {
	case SendOnly:
		return RecvOnly
	case RecvOnly:
		return SendOnly
	case Inactive:
		return Inactive
	}
	return SendRecv
}

// Errors SDP negotiation returns; callers branch on them to pick the SIP status.
var (
	// ErrNoCommonCodec means the offer has no audio stream with PCMU or PCMA (488 Not Acceptable Here).
	ErrNoCommonCodec = errors.New("no common audio codec (we take PCMU, PCMA)")
	// ErrBadSDP means the body is not parseable SDP or has no usable connection address (400 / 488).
	ErrBadSDP = errors.New("malformed SDP")
)

// audioCodec is one G.711 codec we speak: its encoding name and static RTP payload type.
type audioCodec struct {
	Name string
	PT   uint8
}

var knownCodecs = []audioCodec{{"PCMU", 0}, {"PCMA", 8}}

func codecByName(name string) (audioCodec, bool) {
	for _, c := range knownCodecs {
		if strings.EqualFold(c.Name, name) {
			return c, true
		}
	}
	return audioCodec{}, false
}

// remoteMedia is what an SDP offer or answer says about the peer's audio stream.
type remoteMedia struct {
	Addr      netip.AddrPort // where to send RTP; zero address (0.0.0.0) means "on hold" in RFC 2543 style
	Codec     audioCodec     // the chosen codec, with the peer's payload type for it
	DTMFPT    uint8          // telephone-event payload type, 0 when the peer offered none
	PtimeMs   int            // packetisation time, clamped to 10–40 ms (20 when absent)
	Dir       Direction      // the peer's direction attribute
	index     int            // the m= line of the audio stream
	numMedia  int            // how many m= lines the offer had (the answer must have as many)
	mediaKind []string       // media names of every m= line, for rejecting the others
	formats   [][]string     // formats of every m= line
}

const (
	minPtime     = 10
	maxPtime     = 40
	defaultPtime = 20
	// defaultDTMFPT is the telephone-event payload type we offer (the common choice of Asterisk and FreeSWITCH).
	defaultDTMFPT = 101
	maxSDPSize    = 16 << 10
)

// parseRemoteSDP parses an offer or answer and picks the first audio stream carrying a codec in allowed
// (allowed is in our order of preference only when the peer's list is ambiguous: we follow the offerer's order, as
// RFC 3264 §6.1 recommends).
func parseRemoteSDP(body []byte, allowed []string) (remoteMedia, error) {
	var rm remoteMedia
	if len(body) == 0 {
		return rm, fmt.Errorf("%w: empty body", ErrBadSDP)
	}
	if len(body) > maxSDPSize {
		return rm, fmt.Errorf("%w: %d bytes is larger than %d", ErrBadSDP, len(body), maxSDPSize)
	}
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(string(body)); err != nil {
		return rm, fmt.Errorf("%w: %v", ErrBadSDP, err)
	}
	rm.numMedia = len(sd.MediaDescriptions)
	rm.index = -1
	for i, md := range sd.MediaDescriptions {
		if md == nil {
			rm.mediaKind = append(rm.mediaKind, "")
			rm.formats = append(rm.formats, nil)
			continue
		}
		rm.mediaKind = append(rm.mediaKind, md.MediaName.Media)
		rm.formats = append(rm.formats, md.MediaName.Formats)
		if rm.index >= 0 || md.MediaName.Media != "audio" || md.MediaName.Port.Value == 0 {
			continue
		}
		if !isPlainRTP(md.MediaName.Protos) {
			continue
		}
		codec, dtmf, ok := pickCodec(md, allowed)
		if !ok {
			continue
		}
		addr, err := connectionAddr(&sd, md)
		if err != nil {
			return rm, err
		}
		port := md.MediaName.Port.Value
		if port <= 0 || port > 65535 {
			return rm, fmt.Errorf("%w: audio port %d", ErrBadSDP, port)
		}
		rm.index = i
		rm.Codec = codec
		rm.DTMFPT = dtmf
		rm.Addr = netip.AddrPortFrom(addr, uint16(port))
		rm.PtimeMs = ptimeOf(md)
		rm.Dir = directionOf(&sd, md)
	}
	if rm.index < 0 {
		return rm, ErrNoCommonCodec
	}
	return rm, nil
}

// OnHold reports whether the peer put us on hold (sendonly, inactive, or the RFC 2543 c=0.0.0.0).
func (rm remoteMedia) OnHold() bool {
	return rm.Dir == SendOnly || rm.Dir == Inactive || (rm.Addr.Addr().IsUnspecified())
}

func isPlainRTP(protos []string) bool {
	p := strings.ToUpper(strings.Join(protos, "/"))
	return p == "RTP/AVP" || p == "RTP/AVPF"
}

// pickCodec walks the offer's formats in order and returns the first one we speak, plus telephone-event/8000.
func pickCodec(md *sdp.MediaDescription, allowed []string) (audioCodec, uint8, bool) {
	rtpmap := map[uint8]string{} // payload type -> "NAME/RATE"
	for _, a := range md.Attributes {
		if a.Key != "rtpmap" {
			continue
		}
		ptStr, enc, ok := strings.Cut(strings.TrimSpace(a.Value), " ")
		if !ok {
			continue
		}
		pt, err := strconv.ParseUint(ptStr, 10, 7)
		if err != nil {
			continue
		}
		rtpmap[uint8(pt)] = strings.TrimSpace(enc)
	}
	var chosen audioCodec
	found := false
	var dtmf uint8
	for _, f := range md.MediaName.Formats {
		pt64, err := strconv.ParseUint(f, 10, 7)
		if err != nil {
			continue
		}
		pt := uint8(pt64)
		enc, mapped := rtpmap[pt]
		name, rate := "", 8000
		if mapped {
			n, r, _ := strings.Cut(enc, "/")
			name = n
			if r != "" {
				r, _, _ = strings.Cut(r, "/")
				if v, err := strconv.Atoi(r); err == nil {
					rate = v
				}
			}
		} else {
			switch pt {
			case 0:
				name = "PCMU"
			case 8:
				name = "PCMA"
			}
		}
		if rate != 8000 {
			continue
		}
		if strings.EqualFold(name, "telephone-event") {
			if dtmf == 0 {
				dtmf = pt
			}
			continue
		}
		if found {
			continue
		}
		c, ok := codecByName(name)
		if !ok || !allowedCodec(allowed, c.Name) {
			continue
		}
		c.PT = pt
		chosen, found = c, true
	}
	return chosen, dtmf, found
}

func allowedCodec(allowed []string, name string) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		if strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}

func connectionAddr(sd *sdp.SessionDescription, md *sdp.MediaDescription) (netip.Addr, error) {
	ci := md.ConnectionInformation
	if ci == nil {
		ci = sd.ConnectionInformation
	}
	if ci == nil || ci.Address == nil {
		return netip.Addr{}, fmt.Errorf("%w: audio stream has no c= line", ErrBadSDP)
	}
	host, _, _ := strings.Cut(ci.Address.Address, "/") // multicast TTL suffix
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%w: connection address %q is not an IP address", ErrBadSDP, ci.Address.Address)
	}
	if addr.IsMulticast() {
		return netip.Addr{}, fmt.Errorf("%w: multicast connection address %s", ErrBadSDP, addr)
	}
	return addr.Unmap(), nil
}

func ptimeOf(md *sdp.MediaDescription) int {
	p := defaultPtime
	if v, ok := md.Attribute("ptime"); ok {
		if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && n > 0 {
			p = int(n + 0.5)
		}
	}
	if v, ok := md.Attribute("maxptime"); ok {
		if n, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && n > 0 && int(n) < p {
			p = int(n)
		}
	}
	// G.711 frames are built from 10 ms blocks; round down to one and keep to the range we honour.
	p = p / 10 * 10
	return min(max(p, minPtime), maxPtime)
}

func directionOf(sd *sdp.SessionDescription, md *sdp.MediaDescription) Direction {
	for _, attrs := range [][]sdp.Attribute{md.Attributes, sd.Attributes} {
		for _, a := range attrs {
			switch Direction(a.Key) {
			case SendRecv, SendOnly, RecvOnly, Inactive:
				return Direction(a.Key)
			}
		}
	}
	return SendRecv
}

// localSDP describes our side of the audio stream for building an offer or an answer.
type localSDP struct {
	Addr    netip.AddrPort // address and port written in c= and m= (the public address when configured)
	SessID  uint64         // o= session id, fixed for the dialog
	Version uint64         // o= version, bumped for every new offer or answer that changes
	Codecs  []audioCodec   // in order of preference; one for an answer
	DTMFPT  uint8          // telephone-event payload type, 0 for none
	PtimeMs int
	Dir     Direction
	UA      string
}

// buildSDP writes the SDP for l. For an answer, offer is the peer's parsed offer so that the answer has the same
// number of m= lines, the others rejected with port 0 (RFC 3264 §6).
func buildSDP(l localSDP, offer *remoteMedia) []byte {
	ip := l.Addr.Addr()
	addrType := "IP4"
	if ip.Is6() && !ip.Is4In6() {
		addrType = "IP6"
	}
	ipStr := ip.Unmap().String()
	var b strings.Builder
	b.Grow(512)
	b.WriteString("v=0\r\n")
	fmt.Fprintf(&b, "o=hotline %d %d IN %s %s\r\n", l.SessID, l.Version, addrType, ipStr)
	b.WriteString("s=hotline\r\n")
	fmt.Fprintf(&b, "c=IN %s %s\r\n", addrType, ipStr)
	b.WriteString("t=0 0\r\n")
	writeAudio := func() {
		fmt.Fprintf(&b, "m=audio %d RTP/AVP", l.Addr.Port())
		for _, c := range l.Codecs {
			fmt.Fprintf(&b, " %d", c.PT)
		}
		if l.DTMFPT != 0 {
			fmt.Fprintf(&b, " %d", l.DTMFPT)
		}
		b.WriteString("\r\n")
		for _, c := range l.Codecs {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/8000\r\n", c.PT, c.Name)
		}
		if l.DTMFPT != 0 {
			fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", l.DTMFPT, l.DTMFPT)
		}
		fmt.Fprintf(&b, "a=ptime:%d\r\n", l.PtimeMs)
		fmt.Fprintf(&b, "a=%s\r\n", l.Dir)
	}
	if offer == nil {
		writeAudio()
		return []byte(b.String())
	}
	for i := 0; i < offer.numMedia; i++ {
		if i == offer.index {
			writeAudio()
			continue
		}
		kind, fmts := "audio", "0"
		if i < len(offer.mediaKind) && offer.mediaKind[i] != "" {
			kind = offer.mediaKind[i]
		}
		if i < len(offer.formats) && len(offer.formats[i]) > 0 {
			fmts = offer.formats[i][0]
		}
		fmt.Fprintf(&b, "m=%s 0 RTP/AVP %s\r\n", sanitizeToken(kind), sanitizeToken(fmts))
	}
	return []byte(b.String())
}

// sanitizeToken keeps a token copied from an offer from breaking our SDP lines.
func sanitizeToken(s string) string {
	if strings.ContainsAny(s, " \r\n\t") || s == "" {
		return "0"
	}
	return s
}

// answerFor builds the local side of an answer to offer rm.
func answerFor(rm remoteMedia, local netip.AddrPort, sessID, version uint64, ua string) localSDP {
	return localSDP{
		Addr: local, SessID: sessID, Version: version,
		Codecs:  []audioCodec{rm.Codec},
		DTMFPT:  rm.DTMFPT,
		PtimeMs: rm.PtimeMs,
		Dir:     answerDirection(rm),
		UA:      ua,
	}
}

// answerDirection is our direction in an answer: the RFC 3264 complement, with c=0.0.0.0 treated as sendonly hold.
func answerDirection(rm remoteMedia) Direction {
	if rm.Addr.Addr().IsUnspecified() && rm.Dir == SendRecv {
		return RecvOnly
	}
	return rm.Dir.answer()
}

// offerFor builds the local side of an offer (late offer in a 200, an outbound INVITE) with the allowed codecs.
func offerFor(local netip.AddrPort, sessID, version uint64, allowed []string, ptime int, ua string) localSDP {
	var codecs []audioCodec
	for _, name := range allowed {
		if c, ok := codecByName(name); ok {
			codecs = append(codecs, c)
		}
	}
	if len(codecs) == 0 {
		codecs = append(codecs, knownCodecs...)
	}
	if ptime == 0 {
		ptime = defaultPtime
	}
	return localSDP{Addr: local, SessID: sessID, Version: version, Codecs: codecs, DTMFPT: defaultDTMFPT,
		PtimeMs: ptime, Dir: SendRecv, UA: ua}
}

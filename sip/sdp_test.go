package sip

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func offerSDP(mline string, attrs ...string) string {
	s := "v=0\r\no=peer 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" + mline + "\r\n"
	for _, a := range attrs {
		s += a + "\r\n"
	}
	return s
}

func TestSDPOfferNegotiation(t *testing.T) {
	cases := []struct {
		name      string
		offer     string
		allowed   []string
		wantErr   error
		wantCodec string
		wantPT    uint8
		wantDTMF  uint8
		wantPtime int
		wantDir   Direction // our answer's direction
	}{
		{"PCMU with telephone-event is answered with both",
			offerSDP("m=audio 4000 RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"),
			nil, nil, "PCMU", 0, 101, 20, SendRecv},
		{"offerer's order wins: PCMA first",
			offerSDP("m=audio 4000 RTP/AVP 8 0", "a=rtpmap:8 PCMA/8000", "a=rtpmap:0 PCMU/8000"),
			nil, nil, "PCMA", 8, 0, 20, SendRecv},
		{"static payload types need no rtpmap",
			offerSDP("m=audio 4000 RTP/AVP 8"), nil, nil, "PCMA", 8, 0, 20, SendRecv},
		{"comfort noise (13) alongside is accepted",
			offerSDP("m=audio 4000 RTP/AVP 0 13 101", "a=rtpmap:13 CN/8000", "a=rtpmap:101 telephone-event/8000"),
			nil, nil, "PCMU", 0, 101, 20, SendRecv},
		{"dynamic payload type for PCMU keeps the offerer's number",
			offerSDP("m=audio 4000 RTP/AVP 96 97", "a=rtpmap:96 PCMU/8000", "a=rtpmap:97 telephone-event/8000"),
			nil, nil, "PCMU", 96, 97, 20, SendRecv},
		{"only G.729 and G.722: no common codec",
			offerSDP("m=audio 4000 RTP/AVP 18 9", "a=rtpmap:18 G729/8000", "a=rtpmap:9 G722/8000"),
			nil, ErrNoCommonCodec, "", 0, 0, 0, ""},
		{"PCMA offered but only PCMU allowed",
			offerSDP("m=audio 4000 RTP/AVP 8"), []string{"PCMU"}, ErrNoCommonCodec, "", 0, 0, 0, ""},
		{"SRTP profile is not plain RTP",
			offerSDP("m=audio 4000 RTP/SAVP 0"), nil, ErrNoCommonCodec, "", 0, 0, 0, ""},
		{"ptime 10 honoured", offerSDP("m=audio 4000 RTP/AVP 0", "a=ptime:10"), nil, nil, "PCMU", 0, 0, 10, SendRecv},
		{"ptime 30 honoured", offerSDP("m=audio 4000 RTP/AVP 0", "a=ptime:30"), nil, nil, "PCMU", 0, 0, 30, SendRecv},
		{"ptime 60 capped to 40", offerSDP("m=audio 4000 RTP/AVP 0", "a=ptime:60"), nil, nil, "PCMU", 0, 0, 40, SendRecv},
		{"ptime 5 raised to 10", offerSDP("m=audio 4000 RTP/AVP 0", "a=ptime:5"), nil, nil, "PCMU", 0, 0, 10, SendRecv},
		{"maxptime below ptime wins", offerSDP("m=audio 4000 RTP/AVP 0", "a=ptime:40", "a=maxptime:20"), nil, nil, "PCMU", 0, 0, 20, SendRecv},
		{"sendonly (hold) gets recvonly", offerSDP("m=audio 4000 RTP/AVP 0", "a=sendonly"), nil, nil, "PCMU", 0, 0, 20, RecvOnly},
		{"inactive gets inactive", offerSDP("m=audio 4000 RTP/AVP 0", "a=inactive"), nil, nil, "PCMU", 0, 0, 20, Inactive},
		{"recvonly gets sendonly", offerSDP("m=audio 4000 RTP/AVP 0", "a=recvonly"), nil, nil, "PCMU", 0, 0, 20, SendOnly},
		{"RFC 2543 hold (c=0.0.0.0) gets recvonly",
			strings.Replace(offerSDP("m=audio 4000 RTP/AVP 0"), "c=IN IP4 192.0.2.10", "c=IN IP4 0.0.0.0", 1),
			nil, nil, "PCMU", 0, 0, 20, RecvOnly},
		{"no c= line is malformed",
			"v=0\r\no=peer 1 1 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
			nil, ErrBadSDP, "", 0, 0, 0, ""},
		{"not SDP at all", "hello", nil, ErrBadSDP, "", 0, 0, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rm, err := parseRemoteSDP([]byte(tc.offer), tc.allowed)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if rm.Codec.Name != tc.wantCodec || rm.Codec.PT != tc.wantPT || rm.DTMFPT != tc.wantDTMF || rm.PtimeMs != tc.wantPtime {
				t.Fatalf("got codec %s/%d dtmf %d ptime %d, want %s/%d dtmf %d ptime %d",
					rm.Codec.Name, rm.Codec.PT, rm.DTMFPT, rm.PtimeMs, tc.wantCodec, tc.wantPT, tc.wantDTMF, tc.wantPtime)
			}
			local := netip.MustParseAddrPort("198.51.100.7:30000")
			ans := answerFor(rm, local, 42, 1, "test")
			if ans.Dir != tc.wantDir {
				t.Fatalf("answer direction %s, want %s", ans.Dir, tc.wantDir)
			}
			body := string(buildSDP(ans, &rm))
			for _, want := range []string{"c=IN IP4 198.51.100.7", "m=audio 30000 RTP/AVP", "a=" + string(tc.wantDir)} {
				if !strings.Contains(body, want) {
					t.Fatalf("answer lacks %q:\n%s", want, body)
				}
			}
			// Our answer must itself parse back to the same choice.
			back, err := parseRemoteSDP([]byte(body), nil)
			if err != nil || back.Codec != rm.Codec || back.DTMFPT != rm.DTMFPT {
				t.Fatalf("answer does not parse back to the same stream (%v): %+v\n%s", err, back, body)
			}
		})
	}
}

func TestSDPAnswerRejectsOtherStreamsWithPortZero(t *testing.T) {
	offer := "v=0\r\no=peer 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n" +
		"m=video 5000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n" +
		"m=audio 4000 RTP/AVP 0\r\n"
	rm, err := parseRemoteSDP([]byte(offer), nil)
	if err != nil {
		t.Fatal(err)
	}
	body := string(buildSDP(answerFor(rm, netip.MustParseAddrPort("127.0.0.1:20000"), 1, 1, "t"), &rm))
	vi, ai := strings.Index(body, "m=video 0 RTP/AVP 96"), strings.Index(body, "m=audio 20000")
	if vi < 0 || ai < 0 || vi > ai {
		t.Fatalf("answer must keep the m= order with video rejected:\n%s", body)
	}
}

func TestSDPOfferListsAllowedCodecsAndTelephoneEvent(t *testing.T) {
	o := offerFor(netip.MustParseAddrPort("[::1]:20002"), 7, 1, []string{"PCMA", "PCMU"}, 20, "t")
	body := string(buildSDP(o, nil))
	for _, want := range []string{"c=IN IP6 ::1", "m=audio 20002 RTP/AVP 8 0 101", "a=rtpmap:101 telephone-event/8000", "a=sendrecv"} {
		if !strings.Contains(body, want) {
			t.Fatalf("offer lacks %q:\n%s", want, body)
		}
	}
}

func TestDTMFInfoBodies(t *testing.T) {
	cases := []struct {
		body string
		want rune
		dur  int
	}{
		{"Signal=5\r\nDuration=160\r\n", '5', 160},
		{"Signal= *\nDuration= 250", '*', 250},
		{"signal=11\r\n", '#', 0},
		{"Signal=A\r\n", 'A', 0},
		{"Signal=Z\r\n", 0, 0},
		{"garbage", 0, 0},
	}
	for _, tc := range cases {
		d, dur := parseDTMFRelay([]byte(tc.body))
		if d != tc.want || int(dur.Milliseconds()) != tc.dur {
			t.Errorf("%q: got %q %v, want %q %dms", tc.body, d, dur, tc.want, tc.dur)
		}
	}
}

func TestSipfragStatus(t *testing.T) {
	for body, want := range map[string]int{
		"SIP/2.0 100 Trying\r\n": 100, "SIP/2.0 200 OK": 200, "SIP/2.0 486 Busy Here\r\n": 486,
		"": 0, "hello": 0, "SIP/2.0 99 x": 0,
	} {
		if got := sipfragStatus([]byte(body)); got != want {
			t.Errorf("%q: %d, want %d", body, got, want)
		}
	}
}

func TestStateless400CopiesTheAddressingHeaders(t *testing.T) {
	req := "INVITE sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1\r\nFrom: <sip:b@x>;tag=1\r\n" +
		"To: <sip:a@x>\r\nCall-ID: abc\r\nCSeq: nonsense\r\nX-Other: y\r\n\r\n"
	res := string(stateless400([]byte(req), errors.New("bad cseq")))
	for _, want := range []string{"SIP/2.0 400 Bad Request\r\n", "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bK1", "Call-ID: abc", "CSeq: nonsense"} {
		if !strings.Contains(res, want) {
			t.Fatalf("400 lacks %q:\n%s", want, res)
		}
	}
	if strings.Contains(res, "X-Other") {
		t.Fatalf("400 copied an unrelated header:\n%s", res)
	}
	if stateless400([]byte("SIP/2.0 200 OK\r\nVia: x\r\n\r\n"), errors.New("x")) != nil {
		t.Fatal("a response must never be answered")
	}
	if stateless400([]byte("\x00\x01garbage"), errors.New("x")) != nil {
		t.Fatal("garbage has nobody to answer")
	}
}

// FuzzSDPNegotiation feeds arbitrary offers to the negotiation: it must never panic, and whatever it accepts it
// must answer with SDP that parses back to the same stream.
func FuzzSDPNegotiation(f *testing.F) {
	f.Add(offerSDP("m=audio 4000 RTP/AVP 0 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:101 telephone-event/8000"))
	f.Add(offerSDP("m=audio 4000 RTP/AVP 8", "a=sendonly", "a=ptime:30"))
	f.Add("v=0\r\no=- 0 0 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 1 RTP/AVP 96\r\na=rtpmap:96 PCMA/8000/1\r\n")
	f.Add(offerSDP("m=video 5000 RTP/AVP 96") + "m=audio 4000 RTP/AVP 0\r\n")
	f.Add("v=0\r\n")
	f.Fuzz(func(t *testing.T, offer string) {
		rm, err := parseRemoteSDP([]byte(offer), []string{"PCMU", "PCMA"})
		if err != nil {
			return
		}
		ans := answerFor(rm, netip.MustParseAddrPort("127.0.0.1:20000"), 1, 1, "fuzz")
		body := buildSDP(ans, &rm)
		back, err := parseRemoteSDP(body, nil)
		if err != nil {
			t.Fatalf("our answer does not parse: %v\noffer:\n%q\nanswer:\n%s", err, offer, body)
		}
		if back.Codec.Name != rm.Codec.Name || back.Codec.PT != rm.Codec.PT {
			t.Fatalf("answer codec %+v, negotiated %+v", back.Codec, rm.Codec)
		}
	})
}

// FuzzStateless400 feeds arbitrary datagrams to the 400 builder: it must never panic, and what it sends must be
// a 400 that copies only the addressing headers.
func FuzzStateless400(f *testing.F) {
	f.Add([]byte("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: x\r\n\r\n"))
	f.Add([]byte("SIP/2.0 200 OK\r\n\r\n"))
	f.Add([]byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		res := stateless400(data, errors.New("fuzz"))
		if res == nil {
			return
		}
		if !strings.HasPrefix(string(res), "SIP/2.0 400 Bad Request\r\n") || !strings.HasSuffix(string(res), "\r\n\r\n") {
			t.Fatalf("bad 400: %q", res)
		}
	})
}

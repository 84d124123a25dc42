package sip

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// resources is what a server holds that must come back to idle after calls.
type resources struct {
	goroutines int
	fds        int
	udp        int // UDP sockets of this process
}

func (r resources) String() string {
	return fmt.Sprintf("%d goroutines, %d fds, %d UDP sockets", r.goroutines, r.fds, r.udp)
}

func measure(t testing.TB) resources {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	inodes := map[string]bool{}
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	udp := 0
	for _, f := range []string{"/proc/self/net/udp", "/proc/self/net/udp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 9 && inodes[fields[9]] {
				udp++
			}
		}
		fh.Close()
	}
	return resources{goroutines: runtime.NumGoroutine(), fds: len(ents), udp: udp}
}

// udpSockets lists this process's UDP sockets as "local -> remote" (hex, as /proc shows them).
func udpSockets() []string {
	ents, _ := os.ReadDir("/proc/self/fd")
	inodes := map[string]bool{}
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var out []string
	for _, f := range []string{"/proc/self/net/udp", "/proc/self/net/udp6"} {
		data, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(data), "\n") {
			fields := strings.Fields(line)
			if len(fields) > 9 && inodes[fields[9]] {
				out = append(out, fields[1]+" -> "+fields[2])
			}
		}
	}
	return out
}

// waitBaseline polls until resources are back to base (goroutines within slack), failing after limit.
func waitBaseline(t *testing.T, base resources, limit time.Duration) resources {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		now := measure(t)
		if now.goroutines <= base.goroutines+2 && now.fds <= base.fds && now.udp <= base.udp {
			return now
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			n := runtime.Stack(buf, true)
			t.Fatalf("not back to baseline after %s: now %s, idle was %s\nUDP sockets: %v\n%s", limit, now, base, udpSockets(), buf[:n])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestNoLeaksAfter200SequentialAnd50ConcurrentCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("leak check places 250 calls")
	}
	ts := startServer(t, nil, func(ctx context.Context, c *Call) {
		// Answer, hear a moment of audio, hang up: the server's BYE ends the call.
		select {
		case <-c.Media().Subscribe("leak"):
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
		}
	})
	call := func() error {
		res, err := Dial(context.Background(), DialOptions{Target: "sip:1@" + ts.Addr("udp"), Media: dialMedia(),
			Play: tone(300, 100*time.Millisecond, 0.2)})
		if err != nil {
			return err
		}
		if !res.Answered || res.By != "remote" {
			return fmt.Errorf("call %+v, want answered and hung up by the server", res)
		}
		return nil
	}
	// Warm up once so that lazily started pools and timers count in the baseline.
	if err := call(); err != nil {
		t.Fatal(err)
	}
	ts.nextEnd(t)
	time.Sleep(500 * time.Millisecond)
	base := waitBaseline(t, measure(t), 10*time.Second)

	for i := 0; i < 200; i++ {
		if err := call(); err != nil {
			t.Fatalf("sequential call %d: %v", i, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := call(); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}
	for i := 0; i < 250; i++ {
		ts.nextEnd(t)
	}
	ts.waitNoActiveCalls(t)
	now := waitBaseline(t, base, 20*time.Second)
	t.Logf("idle %s; after 250 calls %s", base, now)
}

func TestGarbageOnTheSIPPortNeitherCrashesNorLeaks(t *testing.T) {
	ts := startServer(t, nil, func(ctx context.Context, c *Call) {})
	options := func() error {
		conn, err := net.Dial("udp", ts.Addr("udp"))
		if err != nil {
			return err
		}
		defer conn.Close()
		msg := "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP " + conn.LocalAddr().String() +
			";branch=z9hG4bK" + fmt.Sprint(rand.Int()) + "\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\n" +
			"Call-ID: " + fmt.Sprint(rand.Int()) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
		// Like a real UAC, retransmit (the socket buffer may still hold the flood).
		buf := make([]byte, 4096)
		var n int
		for try := 0; try < 5; try++ {
			if _, err = conn.Write([]byte(msg)); err != nil {
				return err
			}
			_ = conn.SetReadDeadline(time.Now().Add(time.Second))
			if n, err = conn.Read(buf); err == nil {
				break
			}
		}
		if err != nil {
			return err
		}
		if !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
			return fmt.Errorf("OPTIONS answered %q", firstLine(buf[:n]))
		}
		return nil
	}
	if err := options(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	base := measure(t)

	valid := "INVITE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\n" +
		"To: <sip:1@127.0.0.1>\r\nCall-ID: g\r\nCSeq: 1 INVITE\r\nContact: <sip:a@127.0.0.1:9>\r\nContent-Type: application/sdp\r\n" +
		"Content-Length: 20\r\n\r\nv=0\r\nm=audio 1 RTP/AVP"
	rng := rand.New(rand.NewPCG(1, 2))
	udp, err := net.Dial("udp", ts.Addr("udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	for i := 0; i < 3000; i++ {
		var pkt []byte
		switch i % 3 {
		case 0: // random bytes
			pkt = make([]byte, 1+rng.IntN(1400))
			for j := range pkt {
				pkt[j] = byte(rng.IntN(256))
			}
		case 1: // a request with bytes flipped
			pkt = []byte(valid)
			for k := 0; k < 1+rng.IntN(8); k++ {
				pkt[rng.IntN(len(pkt))] = byte(rng.IntN(256))
			}
		case 2: // truncated
			pkt = []byte(valid[:rng.IntN(len(valid))])
		}
		_, _ = udp.Write(pkt)
		if i%200 == 0 {
			time.Sleep(5 * time.Millisecond) // let the server keep up; this is about correctness, not load
		}
	}
	udp.Close() // our own socket must not count against the server
	// Garbage over TCP too.
	if c, err := net.Dial("tcp", ts.Addr("tcp")); err == nil {
		junk := make([]byte, 64<<10)
		for j := range junk {
			junk[j] = byte(rng.IntN(256))
		}
		_, _ = c.Write(junk)
		_, _ = c.Write([]byte(valid))
		c.Close()
	}
	if err := options(); err != nil {
		t.Fatalf("server no longer answers after garbage: %v", err)
	}
	// Mutated INVITEs that parsed may have started transactions; they end by Timer H/J (64*T1).
	waitBaseline(t, base, 20*time.Second)
}

func TestRetransmittedINVITEWithoutACKIsOneCallThatEndsAndIsReleased(t *testing.T) {
	ts := startServer(t, nil, func(ctx context.Context, c *Call) { t.Error("handler must not run without an ACK") })
	conn, err := net.Dial("udp", ts.Addr("udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	la := conn.LocalAddr().String()
	sdp := "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
	invite := "INVITE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP " + la + ";branch=z9hG4bKnoack;rport\r\n" +
		"From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:1@127.0.0.1>\r\nCall-ID: noack-1\r\nCSeq: 1 INVITE\r\n" +
		"Contact: <sip:x@" + la + ">\r\nContent-Type: application/sdp\r\nContent-Length: " + fmt.Sprint(len(sdp)) + "\r\n\r\n" + sdp
	// The INVITE and two retransmissions of it: one call, never a second.
	for i := 0; i < 3; i++ {
		if _, err := conn.Write([]byte(invite)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	end := ts.nextEnd(t)
	if got := metricValue(t, ts.m.calls); got != 1 {
		t.Fatalf("calls_total %v after an INVITE and its retransmissions, want 1", got)
	}
	if end.Cause != causeNoAck || !end.AnsweredAt.IsZero() {
		t.Fatalf("call end %+v, want no_ack and never answered", end)
	}
	ts.waitNoActiveCalls(t)
}

func TestSameINVITEOnAnotherBranchGets482(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.RingTime = 2 * time.Second }, func(ctx context.Context, c *Call) {})
	conn, err := net.Dial("udp", ts.Addr("udp"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	la := conn.LocalAddr().String()
	sdp := "v=0\r\no=x 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
	invite := func(branch string) string {
		return "INVITE sip:1@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP " + la + ";branch=" + branch + ";rport\r\n" +
			"From: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:1@127.0.0.1>\r\nCall-ID: merged-1\r\nCSeq: 1 INVITE\r\n" +
			"Contact: <sip:x@" + la + ">\r\nContent-Type: application/sdp\r\nContent-Length: " + fmt.Sprint(len(sdp)) + "\r\n\r\n" + sdp
	}
	if _, err := conn.Write([]byte(invite("z9hG4bKfirst"))); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := conn.Write([]byte(invite("z9hG4bKsecond"))); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	_ = conn.SetReadDeadline(time.Now().Add(1500 * time.Millisecond))
	for {
		n, err := conn.Read(buf)
		if err != nil {
			t.Fatalf("no 482 for the second branch: %v", err)
		}
		if strings.HasPrefix(string(buf[:n]), "SIP/2.0 482") && strings.Contains(string(buf[:n]), "z9hG4bKsecond") {
			break
		}
	}
	if got := metricValue(t, ts.m.calls); got != 1 {
		t.Fatalf("calls_total %v, want 1", got)
	}
}

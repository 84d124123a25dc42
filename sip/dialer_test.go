package sip

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
)

func TestDialAgainstServerOverEachTransport(t *testing.T) {
	certFile, keyFile := selfSignedCert(t)
	cases := []struct {
		transport string
		dtmfMode  string
	}{
		{"udp", "rfc4733"},
		{"tcp", "info"},
		{"tls", "rfc4733"},
	}
	for _, tc := range cases {
		t.Run(tc.transport+" with DTMF by "+tc.dtmfMode, func(t *testing.T) {
			h := &heard{}
			ts := startServer(t, func(c *Config) {
				c.TLSAddr = "127.0.0.1:0"
				c.TLSCert, c.TLSKey = certFile, keyFile
			}, listeningHandler(h, 0))
			var events []DialEvent
			res, err := Dial(context.Background(), DialOptions{
				Target: "sip:100@" + ts.Addr(tc.transport), Transport: tc.transport, CAFile: certFile,
				Play: tone(440, 2*time.Second, 0.3), DTMF: "123", DTMFMode: tc.dtmfMode,
				HangupAfter: 2500 * time.Millisecond, Media: dialMedia(),
				OnEvent: func(e DialEvent) { events = append(events, e) },
			})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Answered || res.SIPStatus != 200 || res.By != "local" {
				t.Fatalf("dial result %+v, want answered and hung up by us", res)
			}
			end := ts.nextEnd(t)
			if end.Cause != causeRemoteBye || end.SIPCallID != res.CallID {
				t.Fatalf("server saw %+v, want the dialer's BYE for call %s", end, res.CallID)
			}
			frames, loud, digits := h.snapshot()
			if loud < 25 {
				t.Fatalf("server heard %d loud frames of %d, want the dialer's tone", loud, frames)
			}
			if digits != "123" {
				t.Fatalf("server got DTMF %q, want 123", digits)
			}
			if r := rms(res.Recorded); len(res.Recorded) < 8000 || r < 0.05 {
				t.Fatalf("dialer recorded %d samples at RMS %.3f, want the server's tone", len(res.Recorded), r)
			}
			if len(events) < 2 || events[len(events)-1].Event != "hangup" || events[len(events)-1].Stats.RTPSent < 25 {
				t.Fatalf("events %+v, want ... answered ... hangup with RTP stats", events)
			}
		})
	}
}

func TestDialAgainstSippUAS(t *testing.T) {
	port := freePort(t)
	cmd, out, errFile := (sippRun{scenario: "-sn uas", port: port, args: []string{"-rtp_echo"}}).start(t)
	time.Sleep(300 * time.Millisecond)
	res, err := Dial(context.Background(), DialOptions{
		Target: "sip:service@127.0.0.1:" + itoa(port), Play: tone(440, 2*time.Second, 0.3),
		HangupAfter: 1500 * time.Millisecond, Media: dialMedia(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if code := waitSipp(t, cmd, out, errFile); code != 0 {
		t.Fatalf("sipp uas exit %d", code)
	}
	if !res.Answered || res.SIPStatus != 200 {
		t.Fatalf("dial result %+v, want answered", res)
	}
	if r := rms(res.Recorded); r < 0.05 {
		t.Fatalf("echo RMS %.3f: sipp's -rtp_echo should return our tone", r)
	}
}

func TestHotlineDialCommand(t *testing.T) {
	bin := testenv.Hotline(t)
	ts := startServer(t, nil, func(ctx context.Context, c *Call) {
		_ = c.Media().Play(ctx, media.NewPCMSource(tone(500, 3*time.Second, 0.4)))
		<-ctx.Done()
	})
	dir := t.TempDir()
	rec := filepath.Join(dir, "heard.wav")
	events, code := runDialCLI(t, bin, "-record", rec, "-hangup-after", "1500ms", "sip:100@"+ts.Addr("udp"))
	if code != 0 {
		t.Fatalf("exit %d, want 0 for an answered call; events %v", code, events)
	}
	var answered, hangup map[string]any
	for _, e := range events {
		switch e["event"] {
		case "answered":
			answered = e
		case "hangup":
			hangup = e
		}
	}
	if answered == nil || answered["call_id"] == "" || hangup == nil {
		t.Fatalf("events %v: want answered with call_id and hangup", events)
	}
	if hangup["by"] != "local" || hangup["sip_status"] != float64(200) || hangup["stats"] == nil {
		t.Fatalf("hangup event %v", hangup)
	}
	pcm, err := media.ReadWAV8k(rec)
	if err != nil {
		t.Fatal(err)
	}
	if secs := float64(len(pcm)) / 8000; secs < 1 || secs > 2 || rms(pcm) < 0.05 {
		t.Fatalf("recording %.2f s at RMS %.3f, want ~1.5 s of the server's tone", secs, rms(pcm))
	}

	// A refused call exits 1 with the status in the last event.
	refusing := startServer(t, func(c *Config) { c.AllowFrom = []string{"192.0.2.1"} }, func(ctx context.Context, c *Call) {})
	events, code = runDialCLI(t, bin, "sip:100@"+refusing.Addr("udp"))
	if code != 1 || len(events) == 0 || events[len(events)-1]["sip_status"] != float64(403) {
		t.Fatalf("refused dial: exit %d events %v, want exit 1 and sip_status 403", code, events)
	}
}

func runDialCLI(t *testing.T, bin string, args ...string) ([]map[string]any, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"dial"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	var events []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("not a JSON line: %q (%v)\nstderr: %s", sc.Text(), err, stderr.String())
		}
		events = append(events, e)
	}
	return events, code
}

// selfSignedCert writes a certificate for 127.0.0.1 and its key, PEM, in a temporary directory.
func selfSignedCert(t *testing.T) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hotline test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, IsCA: true, BasicConstraintsValid: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cf, kf
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

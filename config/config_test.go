package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultsAreValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("default configuration is invalid: %v", err)
	}
}

func TestLoadReadsSectionsOverDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hotline.yaml")
	body := "data_dir: /var/lib/hotline\nhttp:\n  addr: 127.0.0.1:9090\nsip:\n  udp_addr: 127.0.0.1:5070\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "/var/lib/hotline" || c.HTTP.Addr != "127.0.0.1:9090" || c.SIP.UDPAddr != "127.0.0.1:5070" {
		t.Fatalf("file values not applied: %+v %+v %q", c.DataDir, c.HTTP, c.SIP.UDPAddr)
	}
	if c.SIP.TCPAddr != Default().SIP.TCPAddr {
		t.Fatalf("unset key lost its default: tcp_addr %q", c.SIP.TCPAddr)
	}
}

func TestBrokenFilesNameFileAndProblem(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"unknown key", "sip:\n  udp_adr: 1.2.3.4:5\n", "udp_adr"},
		{"bad yaml", "sip: [\n", "line"},
		{"bad value", "log:\n  level: loud\n", "log.level"},
		{"bad duration", "call:\n  drain_timeout: soon\n", "duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "broken.yaml")
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil {
				t.Fatal("no error for a broken file")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q should name %s and %q", err, path, tc.want)
			}
		})
	}
}

func TestMissingFileIsNamed(t *testing.T) {
	_, err := Load("/nonexistent/hotline.yaml")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/hotline.yaml") {
		t.Fatalf("error %v should name the file", err)
	}
}

package store

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAPIServesRecordsNewestFirstWithTheToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(func(*Config)) (Store, Config)) {
		s, cfg := open(nil)
		for i := 0; i < 7; i++ {
			if err := s.SaveCall(t.Context(), sampleCall(fmt.Sprintf("a%d", i), t0.Add(time.Duration(i)*time.Minute))); err != nil {
				t.Fatal(err)
			}
		}
		tok, err := EnsureAPIToken(cfg.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(APIHandler(s, cfg.DataDir, TokenAuth(tok)))
		defer srv.Close()
		get := func(path, token string) (*http.Response, []byte) {
			req, _ := http.NewRequest("GET", srv.URL+path, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			return resp, []byte(b.String())
		}
		for _, tc := range []struct {
			name, path, token string
			status            int
			ids               []string
			next              string
		}{
			{"no token is refused", "/api/calls", "", 401, nil, ""},
			{"a wrong token is refused", "/api/calls", "x" + tok, 401, nil, ""},
			{"a page of three, newest first", "/api/calls?limit=3", tok, 200, []string{"a6", "a5", "a4"}, "before=a4"},
			{"the next page", "/api/calls?limit=3&before=a4", tok, 200, []string{"a3", "a2", "a1"}, "before=a1"},
			{"the last page is short", "/api/calls?limit=3&before=a1", tok, 200, []string{"a0"}, ""},
			{"a date range", "/api/calls?from=" + t0.Add(2*time.Minute).Format(time.RFC3339) + "&to=" + t0.Add(4*time.Minute).Format(time.RFC3339), tok, 200, []string{"a3", "a2"}, ""},
			{"a bad limit", "/api/calls?limit=0", tok, 400, nil, ""},
			{"an unknown before", "/api/calls?before=zz", tok, 400, nil, ""},
			{"a bad date", "/api/calls?from=yesterday", tok, 400, nil, ""},
			{"one record", "/api/calls/a2", tok, 200, []string{"a2"}, ""},
			{"an unknown record", "/api/calls/zz", tok, 404, nil, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := get(tc.path, tc.token)
				if resp.StatusCode != tc.status {
					t.Fatalf("GET %s: %d %s, want %d", tc.path, resp.StatusCode, body, tc.status)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Fatalf("Content-Type %q", ct)
				}
				if tc.status != 200 {
					var e map[string]string
					if json.Unmarshal(body, &e) != nil || e["error"] == "" {
						t.Fatalf("error body %s is not {\"error\": …}", body)
					}
					return
				}
				var got []Call
				if strings.HasPrefix(tc.path, "/api/calls/") {
					var c Call
					if err := json.Unmarshal(body, &c); err != nil {
						t.Fatal(err)
					}
					got = []Call{c}
				} else if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				if strings.Join(idsOf(got), ",") != strings.Join(tc.ids, ",") {
					t.Fatalf("ids %v, want %v", idsOf(got), tc.ids)
				}
				if link := resp.Header.Get("Link"); (tc.next == "") != (link == "") || !strings.Contains(link, tc.next) {
					t.Fatalf("Link %q, want one with %q", link, tc.next)
				}
			})
		}

		// Audio: the recording named (relative to the data directory) by a record, and the voicemail.
		wav := []byte("RIFF....WAVEfmt fake audio")
		if err := os.MkdirAll(filepath.Join(cfg.DataDir, "recordings"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cfg.DataDir, "recordings", "a2.wav"), wav, 0o600); err != nil {
			t.Fatal(err)
		}
		vm := sampleCall("vm", t0.Add(time.Hour))
		vm.Recording = ""
		vm.Voicemail = &Voicemail{Path: "recordings/a2.wav", At: 12.5, DurationMS: 1500}
		if err := s.SaveCall(t.Context(), vm); err != nil {
			t.Fatal(err)
		}
		// The messages to call back.
		resp, body := get("/api/calls?voicemail=1", tok)
		var messages []Call
		if resp.StatusCode != 200 || json.Unmarshal(body, &messages) != nil || len(messages) != 1 || messages[0].ID != "vm" {
			t.Fatalf("voicemail=1: %d %s, want only vm", resp.StatusCode, body)
		}
		if resp, body := get("/api/calls?voicemail=maybe", tok); resp.StatusCode != 400 {
			t.Fatalf("voicemail=maybe: %d %s, want 400", resp.StatusCode, body)
		}
		for _, tc := range []struct {
			name, path, token string
			status            int
		}{
			{"a recording", "/api/calls/a2/recording", tok, 200},
			{"a voicemail", "/api/calls/vm/voicemail", tok, 200},
			{"a recording without a token", "/api/calls/a2/recording", "", 401},
			{"a recording gone from the disk", "/api/calls/a3/recording", tok, 404},
			{"no voicemail", "/api/calls/a2/voicemail", tok, 404},
			{"no recording", "/api/calls/vm/recording", tok, 404},
			{"neither", "/api/calls/a2/notes", tok, 404},
			{"an unknown call", "/api/calls/zz/recording", tok, 404},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, body := get(tc.path, tc.token)
				if resp.StatusCode != tc.status {
					t.Fatalf("GET %s: %d %s, want %d", tc.path, resp.StatusCode, body, tc.status)
				}
				if tc.status == 200 {
					if ct := resp.Header.Get("Content-Type"); ct != "audio/wav" || string(body) != string(wav) {
						t.Fatalf("GET %s: %s %q, want audio/wav %q", tc.path, ct, body, wav)
					}
					return
				}
				var e map[string]string
				if json.Unmarshal(body, &e) != nil || e["error"] == "" {
					t.Fatalf("error body %s is not {\"error\": …}", body)
				}
			})
		}
	})
}

func TestAPITokenIsWrittenOnceWithMode0600(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	tok, err := EnsureAPIToken(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, TokenFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("api.token mode %v, want 0600", st.Mode().Perm())
	}
	if len(tok) != 64 {
		t.Fatalf("token %q is not 32 random bytes in hex", tok)
	}
	again, err := EnsureAPIToken(dir)
	if err != nil || again != tok {
		t.Fatalf("second start gave %q, %v; want the same token", again, err)
	}
	other, _ := EnsureAPIToken(t.TempDir())
	if other == tok {
		t.Fatal("two data directories got the same token")
	}
	os.Chmod(filepath.Join(dir, TokenFile), 0o644)
	if _, err := EnsureAPIToken(dir); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(dir, TokenFile)); st.Mode().Perm() != 0o600 {
		t.Fatalf("a token file readable by others was left at %v", st.Mode().Perm())
	}
}

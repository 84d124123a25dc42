package store

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// TokenFile is the API token's file name under the data directory.
const TokenFile = "api.token"

// EnsureAPIToken returns the API token in dataDir/api.token, writing a new random one (32 bytes, hex, mode
// 0600) when the file does not exist. The token has supervisor rights: local tools and tests read it from there.
// A file readable by others is tightened to 0600.
func EnsureAPIToken(dataDir string) (string, error) {
	path := filepath.Join(dataDir, TokenFile)
	if tok, err := readToken(path); err == nil {
		return tok, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", fmt.Errorf("api token: creating %s: %w", dataDir, err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("api token: %w", err)
	}
	tok := hex.EncodeToString(b[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readToken(path) // another process wrote it first
	}
	if err != nil {
		return "", fmt.Errorf("api token %s: %w", path, err)
	}
	if _, err := f.WriteString(tok + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("api token %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("api token %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("api token %s: %w", path, err)
	}
	return tok, nil
}

func readToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(data))
	if len(tok) < 16 {
		return "", fmt.Errorf("api token %s: too short (%d characters); delete the file to get a new one", path, len(tok))
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return "", fmt.Errorf("api token %s: readable by others and chmod 0600 failed: %w", path, err)
		}
	}
	return tok, nil
}

// BearerToken returns the token of an "Authorization: Bearer TOKEN" header, or "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// TokenAuth returns an auth function for APIHandler that accepts requests bearing token (compared in constant
// time). Compose it with the session check of the web side: `func(r) bool { return tokenOK(r) || session(r) }`.
func TokenAuth(token string) func(*http.Request) bool {
	want := []byte(token)
	return func(r *http.Request) bool {
		got := BearerToken(r)
		return token != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), want) == 1
	}
}

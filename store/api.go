package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// API paging limits.
const (
	DefaultAPILimit = 50
	MaxAPILimit     = 1000
)

// APIHandler serves the stored call records (../shared/design.md):
//
//	GET /api/calls?limit=N&before=ID[&from=DATE&to=DATE&agent=NAME&voicemail=1]  records newest first, a JSON array
//	GET /api/calls/{id}                                              one record
//	GET /api/calls/{id}/recording, GET /api/calls/{id}/voicemail     the call's recording or message (audio/wav)
//
// limit defaults to 50 (at most 1000); before is the id of the last record of the previous page; from and to are
// RFC 3339 times or YYYY-MM-DD dates (UTC) bounding started_at to [from, to). A full page carries a
// `Link: <…before=LAST>; rel="next"` header. Audio paths in records are relative to dataDir. Requests for which
// auth returns false get 401; a nil auth refuses everything. Errors are JSON {"error": "…"}.
func APIHandler(s Store, dataDir string, auth func(*http.Request) bool) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/calls", func(w http.ResponseWriter, r *http.Request) { listCalls(s, w, r) })
	mux.HandleFunc("GET /api/calls/{id}", func(w http.ResponseWriter, r *http.Request) {
		if c, ok := pathCall(s, w, r); ok {
			writeJSON(w, http.StatusOK, c)
		}
	})
	mux.HandleFunc("GET /api/calls/{id}/{audio}", func(w http.ResponseWriter, r *http.Request) {
		serveAudio(s, dataDir, w, r)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if auth == nil || !auth(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hotline"`)
			writeError(w, http.StatusUnauthorized, "log in or send Authorization: Bearer TOKEN (DATA/api.token)")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func listCalls(s Store, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts := ListOptions{Limit: DefaultAPILimit, Before: q.Get("before"), Agent: q.Get("agent")}
	switch v := q.Get("voicemail"); v {
	case "", "0", "false":
	case "1", "true":
		opts.Voicemail = true
	default:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("voicemail=%q: want 1 (only calls with a message) or 0", v))
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxAPILimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit=%q: want a whole number from 1 to %d", v, MaxAPILimit))
			return
		}
		opts.Limit = n
	}
	var err error
	if opts.From, err = ParseTime(q.Get("from")); err != nil {
		writeError(w, http.StatusBadRequest, "from: "+err.Error())
		return
	}
	if opts.To, err = ParseTime(q.Get("to")); err != nil {
		writeError(w, http.StatusBadRequest, "to: "+err.Error())
		return
	}
	calls, err := s.ListCalls(r.Context(), opts)
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if len(calls) == opts.Limit {
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("before", calls[len(calls)-1].ID)
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, next.Encode()))
	}
	writeJSON(w, http.StatusOK, calls)
}

// ParseTime reads an RFC 3339 time or a YYYY-MM-DD date (midnight UTC); "" gives the zero time.
func ParseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a YYYY-MM-DD date", v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v) // the client went away; nothing to do
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// pathCall reads the record named by the request's {id}; when it cannot, it has written the error (404 for an
// unknown id).
func pathCall(s Store, w http.ResponseWriter, r *http.Request) (*Call, bool) {
	c, err := s.GetCall(r.Context(), r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		writeError(w, http.StatusNotFound, err.Error())
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return nil, false
	}
	return c, true
}

// serveAudio sends a call's recording or voicemail WAV (with range requests, for players that seek).
func serveAudio(s Store, dataDir string, w http.ResponseWriter, r *http.Request) {
	c, ok := pathCall(s, w, r)
	if !ok {
		return
	}
	var path string
	switch what := r.PathValue("audio"); what {
	case "recording":
		path = c.Recording
	case "voicemail":
		if c.Voicemail != nil {
			path = c.Voicemail.Path
		}
	default:
		writeError(w, http.StatusNotFound, fmt.Sprintf("%q: a call has a recording and a voicemail, nothing else", what))
		return
	}
	if path == "" {
		writeError(w, http.StatusNotFound, fmt.Sprintf("call %s has no %s (none was made, or it was purged)", c.ID, r.PathValue("audio")))
		return
	}
	if !filepath.IsAbs(path) && !filepath.IsLocal(path) {
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("call %s: audio path %q leaves the data directory", c.ID, path))
		return
	}
	path = audioFile(dataDir, path)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("call %s: %s is gone from the disk", c.ID, path))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s-%s.wav"`, c.ID, r.PathValue("audio")))
	http.ServeContent(w, r, "", st.ModTime(), f)
}

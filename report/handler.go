package report

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/hotline/hotline/store"
)

// Handler serves the report at /reports for supervisors:
//
//	GET /reports[?from=DATE&to=DATE&format=html|json|csv]
//
// DATE is YYYY-MM-DD (a day in UTC; to is inclusive) or an RFC 3339 time (to exclusive); the default is the last 7
// days up to now, HTML. It does no authentication: mount it behind the supervisor login.
func Handler(s store.Store) http.Handler {
	return HandlerWith(s, Options{})
}

// HandlerWith is Handler with report options (KB for clustering synonyms, time zone, surge knobs).
func HandlerWith(s store.Store, base Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		q := r.URL.Query()
		opts := base
		var err error
		if opts.From, opts.To, err = ParseRange(q.Get("from"), q.Get("to"), base.Location); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		format := q.Get("format")
		if format == "" {
			format = "html"
		}
		if format != "html" && format != "json" && format != "csv" {
			http.Error(w, fmt.Sprintf("format=%q: want html, json or csv", format), http.StatusBadRequest)
			return
		}
		rep, calls, err := Build(r.Context(), s, opts)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var buf bytes.Buffer
		switch format {
		case "json":
			err = rep.WriteJSON(&buf)
			w.Header().Set("Content-Type", "application/json")
		case "csv":
			err = WriteCSV(&buf, calls)
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="hotline-calls-%s-%s.csv"`,
				rep.From.Format("20060102"), rep.To.Format("20060102")))
		default:
			err = rep.WriteHTML(&buf)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		w.Write(buf.Bytes()) //nolint:errcheck // the client went away
	})
}

// ParseRange reads the -from/-to (or from=/to=) values: YYYY-MM-DD dates in loc (to inclusive: up to the end of
// that day) or RFC 3339 times (to exclusive). Empty from is to − 7 days; empty to is now.
func ParseRange(from, to string, loc *time.Location) (time.Time, time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	var f, t time.Time
	var err error
	if to != "" {
		if t, err = time.ParseInLocation(time.DateOnly, to, loc); err == nil {
			t = t.AddDate(0, 0, 1)
		} else if t, err = time.Parse(time.RFC3339, to); err != nil {
			return f, t, fmt.Errorf("to %q: want YYYY-MM-DD or an RFC 3339 time", to)
		}
	} else {
		t = time.Now().In(loc)
	}
	if from != "" {
		if f, err = time.ParseInLocation(time.DateOnly, from, loc); err != nil {
			if f, err = time.Parse(time.RFC3339, from); err != nil {
				return f, t, fmt.Errorf("from %q: want YYYY-MM-DD or an RFC 3339 time", from)
			}
		}
	} else {
		f = t.AddDate(0, 0, -7)
	}
	if !f.Before(t) {
		return f, t, fmt.Errorf("from %s is not before to %s", f.Format(time.RFC3339), t.Format(time.RFC3339))
	}
	return f, t, nil
}

package report

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline/hotline/internal/testbrowser"
)

func TestHTMLReportRendersNonEmptyChartsInChromium(t *testing.T) {
	s := monthStore(t)
	srv := httptest.NewServer(Handler(s))
	defer srv.Close()

	bctx := testbrowser.Start(t, "").Ctx
	ctx, tcancel := context.WithTimeout(bctx, 90*time.Second)
	defer tcancel()

	// For each chart: how many data marks are drawn with a non-zero size and a positive value, and how many are red.
	const countJS = `(() => {
		const out = {};
		for (const svg of document.querySelectorAll('svg[data-chart]')) {
			let drawn = 0, red = 0;
			for (const el of svg.querySelectorAll('.datum')) {
				const b = el.getBBox();
				if (b.width > 0 && b.height > 0 && parseFloat(el.dataset.value) > 0) drawn++;
				if (el.getAttribute('fill') === '#c62828') red++;
			}
			out[svg.dataset.chart] = {drawn, red, empty: svg.dataset.empty === 'true'};
		}
		return JSON.stringify(out);
	})()`
	url := srv.URL + "/reports?from=2026-11-01&to=2026-11-30"
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(`svg[data-chart="surges"]`)); err != nil {
		t.Fatalf("chromium on %s: %v", url, err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	countsJSON, err := chromedp.Run(ctx, chromedp.Evaluate[string](countJS))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testbrowser.ArtifactsDir(t, ""), "report-month.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	if len(shot) < 20000 || string(shot[1:4]) != "PNG" {
		t.Errorf("screenshot is only %d bytes: the page looks blank", len(shot))
	}
	if !strings.Contains(title, "collaboration report") {
		t.Errorf("title %q", title)
	}
	type chart struct {
		Drawn, Red int
		Empty      bool
	}
	var charts map[string]chart
	if err := json.Unmarshal([]byte(countsJSON), &charts); err != nil {
		t.Fatal(err)
	}
	t.Logf("charts: %s", countsJSON)
	for name, least := range map[string]int{
		"outcomes":   4,  // the four outcomes
		"daily":      30, // at least one bar a day
		"reasons":    5,  // the five reasons generated
		"surges":     100,
		"emotion":    8, // four states, start and end
		"agents":     3,
		"unanswered": 3,
	} {
		c, ok := charts[name]
		if !ok {
			t.Errorf("chart %s missing", name)
			continue
		}
		if c.Empty || c.Drawn < least {
			t.Errorf("chart %s draws %d data marks (empty=%v), want at least %d", name, c.Drawn, c.Empty, least)
		}
	}
	if charts["surges"].Red != 1 {
		t.Errorf("surge chart highlights %d hours, want the one constructed surge", charts["surges"].Red)
	}
}

func TestReportsHandlerServesEachFormat(t *testing.T) {
	s := monthStore(t)
	srv := httptest.NewServer(Handler(s))
	defer srv.Close()
	for _, tc := range []struct {
		query, ctype, contains string
		status                 int
	}{
		{"?from=2026-11-01&to=2026-11-30&format=json", "application/json", `"escalations_by_reason"`, 200},
		{"?from=2026-11-01&to=2026-11-30&format=csv", "text/csv; charset=utf-8", "id,sip_call_id,caller", 200},
		{"?from=2026-11-01&to=2026-11-30", "text/html; charset=utf-8", "<svg data-chart=", 200},
		{"?format=pdf", "", "", 400},
		{"?from=someday", "", "", 400},
	} {
		resp, err := http.Get(srv.URL + "/reports" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("GET /reports%s: %d %s", tc.query, resp.StatusCode, body)
			continue
		}
		if tc.status == 200 && (resp.Header.Get("Content-Type") != tc.ctype || !strings.Contains(string(body), tc.contains)) {
			t.Errorf("GET /reports%s: %s, body without %q", tc.query, resp.Header.Get("Content-Type"), tc.contains)
		}
	}
}

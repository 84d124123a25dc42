package agentbridge

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hotline/hotline/internal/testbrowser"
	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/quality"
)

func TestSupervisorPageIsForSupervisorsOnly(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("sup", "password-sup", RoleSupervisor)
	h.addAccount("ag", "password-ag", RoleAgent)
	supClient, _ := h.login("sup", "password-sup")
	agClient, _ := h.login("ag", "password-ag")
	anon := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	for _, tc := range []struct {
		name     string
		client   *http.Client
		path     string
		status   int
		contains string
	}{
		{"a supervisor gets the page", supClient, "/supervisor", 200, "Live quality alerts"},
		{"an agent is refused the page", agClient, "/supervisor", 403, ""},
		{"a visitor is sent to the login page", anon, "/supervisor", 303, ""},
		{"a supervisor gets the agent list", supClient, "/api/agents", 200, "["},
		{"an agent is refused the agent list", agClient, "/api/agents", 403, ""},
		{"a visitor is refused the agent list", anon, "/api/agents", 401, ""},
		{"the page's script is served", anon, "/static/supervisor.js", 200, "/ws/supervisor"},
		{"the page lists the messages to call back", supClient, "/supervisor", 200, "Messages to call back"},
		{"from the calls with a voicemail", anon, "/static/supervisor.js", 200, "/api/calls?voicemail=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.client.Get(h.srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("GET %s: status %d, want %d: %s", tc.path, resp.StatusCode, tc.status, body)
			}
			if tc.status == 303 {
				if loc := resp.Header.Get("Location"); loc != "/?next=/supervisor" {
					t.Fatalf("redirected to %q, want the login page /?next=/supervisor", loc)
				}
			}
			if !strings.Contains(string(body), tc.contains) {
				t.Fatalf("GET %s: body lacks %q:\n%s", tc.path, tc.contains, body)
			}
		})
	}
}

func TestSupervisorAgentListShowsPresence(t *testing.T) {
	h := newHarness(t, nil, Hooks{})
	h.addAccount("sup", "password-sup", RoleSupervisor)
	h.addAccount("ag", "password-ag", RoleAgent, "en")
	h.openPage("ag", "password-ag")
	cl, _ := h.login("sup", "password-sup")
	resp, err := cl.Get(h.srv.URL + "/api/agents")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := `[{"name":"ag","presence":"available","skills":["en"]}]`
	if strings.TrimSpace(string(body)) != want {
		t.Fatalf("/api/agents = %s, want %s", body, want)
	}
}

// A supervisor logs in through the login page, lands on /supervisor, sees the logged-in agent, and a quality
// alert published by the bridge appears on the page in real headless Chromium.
func TestBrowserSupervisorSeesLiveAlerts(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	testenv.Need(t, "chromium", "chromium")
	h := newHarness(t, nil, Hooks{})
	h.addAccount("sup", "password-sup", RoleSupervisor)
	h.addAccount("ag", "password-ag", RoleAgent)
	h.openPage("ag", "password-ag")
	wav := filepath.Join(t.TempDir(), "mic.wav")
	testbrowser.WriteMicTone(t, wav)
	br := testbrowser.Start(t, wav)
	br.Step = browserStep

	br.Run(t, "login via the supervisor page",
		chromedp.Navigate(h.srv.URL+"/supervisor"),
		chromedp.WaitVisible(testbrowser.TestID("login-user")),
		chromedp.SendKeys(testbrowser.TestID("login-user"), "sup"),
		chromedp.SendKeys(testbrowser.TestID("login-pass"), "password-sup"),
		chromedp.Click(testbrowser.TestID("login-submit")),
		chromedp.WaitVisible(testbrowser.TestID("alerts")),
	)
	br.WaitAttr(t, "ws-state", "data-value", 10*time.Second, func(v string) bool { return v == "connected" })
	br.Run(t, "the agent's row", chromedp.WaitVisible(`[data-testid="agent-row"][data-name="ag"] [data-testid="agent-presence"][data-value="available"]`))
	if href := br.Attr(t, "reports-link", "href"); href != "/reports" {
		t.Errorf("reports link = %q, want /reports", href)
	}

	h.b.PublishSupervisor(quality.Alert{CallID: "call-1", Agent: "ag", At: 12.5, Kind: quality.AlertRiskyPhrase,
		Severity: "critical", Text: "I guarantee you will get a refund", Phrase: "I guarantee",
		Suggestion: "I will do everything I can to help"})
	br.Run(t, "the alert", chromedp.WaitVisible(`[data-testid="alert"][data-kind="risky_phrase"][data-severity="critical"]`))
	text := testbrowser.Value(t, br, "alert text", chromedp.Text(testbrowser.TestID("alert")))
	for _, want := range []string{"I guarantee you will get a refund", "I will do everything I can to help", "ag"} {
		if !strings.Contains(text, want) {
			t.Errorf("the alert reads %q, want it to hold %q", text, want)
		}
	}
	if n := br.Attr(t, "alert-count", "data-value"); n != "1" {
		t.Errorf("alert-count = %q, want 1", n)
	}
	br.Screenshot(t, filepath.Join(testbrowser.ArtifactsDir(t, "agentbridge"), "supervisor.png"))

	// The softphone shows a supervisor the way back to this page.
	br.Run(t, "softphone link to the supervisor page",
		chromedp.Navigate(h.srv.URL+"/"),
		chromedp.WaitVisible(`#sup-link[href="/supervisor"]`),
	)
}

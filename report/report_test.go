package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline/hotline/store"
)

var update = flag.Bool("update", false, "rewrite testdata/month.golden.json from the current code")

func TestMonthReportMatchesGoldenJSON(t *testing.T) {
	s := monthStore(t)
	defer func(n int) { pageSize = n }(pageSize)
	pageSize = 97 // read the month in ten pages
	rep, calls, err := Build(context.Background(), s, Options{From: monthFrom, To: monthTo})
	if err != nil {
		t.Fatal(err)
	}
	// The clusters come from dialog's clustering, which has its own tests and may be tuned; the golden file
	// holds everything else, and the clusters are checked below against what the month was made of.
	clusters := rep.UnansweredClusters
	rep.UnansweredClusters = nil
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	rep.UnansweredClusters = clusters
	golden := filepath.Join("testdata", "month.golden.json")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run `go test ./report -run Golden -update` to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		os.WriteFile(filepath.Join(t.TempDir(), "got.json"), buf.Bytes(), 0o644)
		t.Fatalf("report differs from %s (if the change is intended, rerun with -update):\n%s", golden, firstDiff(buf.String(), string(want)))
	}

	// What the construction of the month promises, whatever the golden file says.
	var top map[string]any
	json.Unmarshal(buf.Bytes(), &top)
	for _, k := range []string{"from", "to", "calls", "bot_resolved", "transferred", "abandoned", "failed", "escalations_by_reason"} {
		if _, ok := top[k]; !ok {
			t.Errorf("report JSON lacks top-level %q", k)
		}
	}
	if rep.Voicemails == 0 || rep.Voicemails >= rep.Transferred {
		t.Errorf("voicemails %d of %d transferred: the month has some", rep.Voicemails, rep.Transferred)
	}
	if rep.Calls != len(calls) || rep.BotResolved+rep.Transferred+rep.Abandoned+rep.Failed != rep.Calls {
		t.Errorf("outcomes %d+%d+%d+%d do not add up to %d calls (%d read)", rep.BotResolved, rep.Transferred,
			rep.Abandoned, rep.Failed, rep.Calls, len(calls))
	}
	if len(rep.TransferSurges) == 0 || !rep.TransferSurges[0].Hour.Equal(surgeHour) ||
		rep.TransferSurges[0].TopReasons[0].Name != store.ReasonNotUnderstood ||
		rep.TransferSurges[0].TopIntents[0].Name != "roaming_charges" {
		t.Errorf("surges %+v, want the constructed one at %s caused by not_understood roaming calls", rep.TransferSurges, surgeHour)
	}
	if len(rep.Agents) != 3 || rep.Agents[0].Agent != "alice" || rep.Agents[2].Agent != "bob" {
		t.Errorf("agents %+v, want alice best and bob worst", rep.Agents)
	}
	// Four topics were asked: iPhones, 5G coverage, moving abroad, student discounts. Each topic's questions must
	// land in clusters of their own (no cluster mixes two topics), and together they cover every question.
	total := 0
	for _, c := range clusters {
		total += c.Count
		topics := map[int]bool{}
		for _, ex := range c.Examples {
			for ti, qs := range questions {
				for _, q := range qs {
					if q == ex {
						topics[ti] = true
					}
				}
			}
		}
		if len(topics) != 1 {
			t.Errorf("cluster %+v mixes %d topics", c, len(topics))
		}
	}
	if len(clusters) < 4 || total != rep.UnansweredQuestions {
		t.Errorf("%d clusters holding %d of %d questions, want at least the four topics covering all", len(clusters), total, rep.UnansweredQuestions)
	}
	if len(rep.Daily) != 30 {
		t.Errorf("%d days, want 30", len(rep.Daily))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "line " + itoa(i+1) + ":\n got  " + al[i] + "\n want " + bl[i]
		}
	}
	return "lengths differ: " + itoa(len(al)) + " against " + itoa(len(bl)) + " lines"
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestCSVHasOneRowPerCallAndDefusesFormulas(t *testing.T) {
	calls, _ := generateMonth()
	calls = calls[:50]
	calls[3].Notes = "=HYPERLINK(\"http://evil\")"
	calls[4].Caller = "+15551234567"
	var buf bytes.Buffer
	if err := WriteCSV(&buf, calls); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 51 || len(rows[0]) != len(CSVHeader) {
		t.Fatalf("%d rows of %d columns, want 51 of %d", len(rows), len(rows[0]), len(CSVHeader))
	}
	col := func(name string) int {
		for i, h := range CSVHeader {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	if got := rows[4][col("notes")]; got != "'=HYPERLINK(\"http://evil\")" {
		t.Errorf("formula cell written as %q", got)
	}
	if got := rows[5][col("caller")]; got != "'+15551234567" {
		t.Errorf("caller cell %q", got)
	}
	for i, c := range calls {
		if rows[i+1][col("id")] != c.ID || rows[i+1][col("outcome")] != string(c.Outcome) {
			t.Fatalf("row %d is %v, want call %s", i+1, rows[i+1][:8], c.ID)
		}
	}
}

func TestEmptyRangeGivesAReportWithZeros(t *testing.T) {
	s := monthStore(t)
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	rep, calls, err := Build(context.Background(), s, Options{From: from, To: from.AddDate(0, 0, 7)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Calls != 0 || len(calls) != 0 || rep.BotContainment != 0 || len(rep.Daily) != 7 {
		t.Fatalf("empty week: %+v", rep)
	}
	var buf bytes.Buffer
	if err := rep.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "no data in this range") {
		t.Fatal("empty report's charts do not say there is no data")
	}
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		from, to         string
		wantFrom, wantTo string
		bad              bool
	}{
		{"2026-11-01", "2026-11-30", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", false},
		{"", "2026-11-30", "2026-11-24T00:00:00Z", "2026-12-01T00:00:00Z", false},
		{"2026-11-01T10:00:00Z", "2026-11-01T12:00:00Z", "2026-11-01T10:00:00Z", "2026-11-01T12:00:00Z", false},
		{"2026-11-30", "2026-11-01", "", "", true},
		{"last week", "", "", "", true},
	} {
		f, to, err := ParseRange(tc.from, tc.to, time.UTC)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseRange(%q, %q) accepted", tc.from, tc.to)
			}
			continue
		}
		if err != nil || f.Format(time.RFC3339) != tc.wantFrom || to.Format(time.RFC3339) != tc.wantTo {
			t.Errorf("ParseRange(%q, %q) = %s, %s, %v", tc.from, tc.to, f.Format(time.RFC3339), to.Format(time.RFC3339), err)
		}
	}
}

//go:build eval

package dialog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
)

// TestEvalRecordDevASR records how the recogniser hears the development questions: each question of
// testdata/questions-dev.yaml spoken by four flite voices in turn, sent through the simulated phone line (sox:
// 300–3400 Hz, μ-law), recognised by the embedded recogniser with the domain model, and written with its expected
// intent to testdata/questions-dev-asr.yaml — the noisy-text development set TestEvalIntentAccuracyText scores.
// It is CPU heavy (minutes on two cores), so it runs only with HOTLINE_RECORD_DEV_ASR=1; re-record after the
// domain model (go generate ./asr/) or the recogniser changes.
func TestEvalRecordDevASR(t *testing.T) {
	if os.Getenv("HOTLINE_RECORD_DEV_ASR") == "" {
		t.Skip("set HOTLINE_RECORD_DEV_ASR=1 to re-record testdata/questions-dev-asr.yaml")
	}
	line := newSpokenLine(t)
	var b strings.Builder
	b.WriteString(`# The development questions (testdata/questions-dev.yaml) as the recogniser heard them: spoken by flite
# (voices slt, rms, awb, kal16 in turn), sent through the simulated phone line (300-3400 Hz, mu-law), recognised by
# the embedded recogniser with the domain model. Written by TestEvalRecordDevASR (HOTLINE_RECORD_DEV_ASR=1 go test
# -tags eval -run TestEvalRecordDevASR ./dialog); a development set like questions-dev.yaml, never the test set.
#
# text: what the recogniser heard; intent: the expected intent; said: what the voice said.

questions:
`)
	for i, q := range questionsFile(t, "questions-dev.yaml") {
		v, res, _ := line.hear(t, i, q.Text)
		fmt.Fprintf(&b, "  - {text: %q, intent: %q, voice: %s, said: %q}\n", res.Text, q.Intent, v, q.Text)
	}
	out := filepath.Join(testenv.ModuleRoot(t), "testdata", "questions-dev-asr.yaml")
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", out)
}

package quality

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestMaskingHandlerKeepsCardNumbersOutOfLogs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewMaskingHandler(slog.NewJSONHandler(&buf, nil))).With("ctx", "card 4111111111111111")
	log.Info("caller said 4111 1111 1111 1111", "call_id", "c1", "text", "five five five five five five five five five five five five four four four four",
		"err", errors.New("bad 378282246310005"), slog.Group("g", "inner", "6011000000000000001"), "phone", "+15551234567")
	out := buf.String()
	for _, leak := range []string{"4111111111111111", "4111 1111 1111 1111", "378282246310005", "6011000000000000001", "five five five five five"} {
		if strings.Contains(out, leak) {
			t.Errorf("log holds %q: %s", leak, out)
		}
	}
	for _, kept := range []string{"+15551234567", `"call_id":"c1"`, "**** **** **** 4444", "************1111"} {
		if !strings.Contains(out, kept) {
			t.Errorf("log lacks %q: %s", kept, out)
		}
	}
}

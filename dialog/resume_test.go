package dialog

import (
	"testing"

	"github.com/hotline/hotline/prosody"
)

func TestResumedConversationAnswersAgainAndKeepsTheReason(t *testing.T) {
	kb, _, err := ParseKB("telecom.yaml", DefaultKBData())
	if err != nil {
		t.Fatal(err)
	}
	bot := New(DefaultConfig(), NewKBStoreFrom(kb), nil, nil)
	conv := bot.NewConversation("c1")
	conv.Greeting()
	if r := conv.OnDTMF('0'); !r.Transfer || r.Reason != ReasonAskedForAgent {
		t.Fatalf("DTMF 0 should transfer with asked_for_agent, got %+v", r)
	}
	if !conv.Done() {
		t.Fatal("conversation should be done after the transfer")
	}
	r := conv.Resume("All our colleagues are busy; let me try to help.")
	if r.Say == "" || conv.Done() {
		t.Fatalf("resume: %+v done=%v", r, conv.Done())
	}
	r = conv.OnUtterance("how much does roaming cost in france", 0.9, prosody.Report{})
	if r.Act == ActIgnored || r.Transfer {
		t.Fatalf("resumed conversation should answer, got %+v", r)
	}
	if conv.TransferReason() != ReasonAskedForAgent {
		t.Fatalf("transfer reason lost: %q", conv.TransferReason())
	}
}

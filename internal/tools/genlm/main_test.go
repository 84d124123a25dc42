package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/internal/testenv"
)

// The domain model embedded in the recogniser (asr/model, made by go generate) is what the sample knowledge base
// gives with the dictionary the recogniser uses by default: so a hotline serving the sample knowledge base hears
// it without rebuilding the model at start (asr's TestSameDomainPhrasesKeepTheModel shows that the same model is
// not rebuilt), and an edit to dialog/kb/telecom.yaml without go generate ./asr/ fails here.
func TestCommittedModelIsWhatTheSampleKnowledgeBaseGives(t *testing.T) {
	testenv.Need(t, "t2p", "flite")
	files, summary, err := generate(asr.DefaultConfig().ModelDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(summary)
	dir := filepath.Join(testenv.ModuleRoot(t), "asr", "model")
	for _, f := range files {
		committed, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.data, committed) {
			t.Errorf("asr/model/%s is not what the sample knowledge base gives (%d bytes generated, %d committed): asr/model is stale (go generate ./asr/)",
				f.name, len(f.data), len(committed))
		}
	}
}

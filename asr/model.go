package asr

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hotline/hotline/asr/internal/sphinx"
)

// The derived model files (see model/NOTES.md for what each was made from).
//
//go:generate go run ./internal/tools/genlm -o model
var (
	//go:embed model/telephone.bwe
	telephoneMap []byte
	//go:embed model/domain.arpa
	domainARPA []byte
	//go:embed model/domain.dict
	domainDict string
)

// debianModelPackage is what to install when the model is missing.
const debianModelPackage = "pocketsphinx-en-us"

type modelPaths struct{ hmm, lm, dict string }

// findModel checks Debian's en-us model under dir and names the missing path and the package when it is not there.
func findModel(dir string) (modelPaths, error) {
	p := modelPaths{
		hmm:  filepath.Join(dir, "en-us"),
		lm:   filepath.Join(dir, "en-us.lm.bin"),
		dict: filepath.Join(dir, "cmudict-en-us.dict"),
	}
	for _, f := range []string{filepath.Join(p.hmm, "mdef"), p.lm, p.dict} {
		if _, err := os.Stat(f); err != nil {
			return p, fmt.Errorf("asr: PocketSphinx model file %s is missing (install the Debian package %s, or set asr.model_dir): %w",
				f, debianModelPackage, err)
		}
	}
	return p, nil
}

func (p modelPaths) decoderArgs() []string {
	return append([]string{"-hmm", p.hmm, "-lm", p.lm, "-dict", p.dict, "-cmn", "live", "-cmninit", sphinx.EnUSCMNInit},
		sphinx.EnUSFeatureArgs()...)
}

// domainWords parses model/domain.dict ("word PH ONES" per line).
func domainWords() [][2]string {
	var out [][2]string
	for _, line := range strings.Split(domainDict, "\n") {
		w, ph, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok {
			out = append(out, [2]string{w, ph})
		}
	}
	return out
}

package asr

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hotline/hotline/asr/internal/sphinx"
)

// The derived model files (see model/NOTES.md for what each was made from).
//
//go:generate go run ../internal/tools/genlm -o model
var (
	//go:embed model/telephone.bwe
	telephoneMap []byte
	//go:embed model/domain.arpa
	domainARPA []byte
	//go:embed model/domain.dict
	domainDict string
	//go:embed model/telephone.cmn
	telephoneCMN string
)

// parseCMN reads comma-separated cepstral means.
func parseCMN(s string) ([]float32, error) {
	var out []float32
	for _, f := range strings.Split(strings.TrimSpace(s), ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil {
			return nil, fmt.Errorf("cepstral mean %q: %w", s, err)
		}
		out = append(out, float32(v))
	}
	if len(out) != sphinx.NCep {
		return nil, fmt.Errorf("cepstral mean %q: %d values, want %d", s, len(out), sphinx.NCep)
	}
	return out, nil
}

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

// decoderArgs are the decoder's arguments; withLM adds the general model as the default search (domain decoders
// are loaded without it and get one interpolated search instead).
func (p modelPaths) decoderArgs(withLM bool) []string {
	// -fwdflat no: the second search pass runs over the whole utterance after it ends, so it adds to every
	// reply's wait in proportion to what the caller said; the lattice pass (bestpath) that remains is enough
	// (phone-line test questions: WER 15.2 % with it, 17.6 % without; intent accuracy unchanged).
	a := []string{"-hmm", p.hmm, "-dict", p.dict, "-cmn", "live", "-cmninit", sphinx.EnUSCMNInit, "-fwdflat", "no"}
	if withLM {
		a = append(a, "-lm", p.lm)
	}
	return append(a, sphinx.EnUSFeatureArgs()...)
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

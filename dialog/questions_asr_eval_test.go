//go:build eval

package dialog_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline/hotline/asr"
	"github.com/hotline/hotline/dialog"
	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/internal/worderr"
	"github.com/hotline/hotline/media"
	"gopkg.in/yaml.v3"
)

// TestEvalQuestions synthesises the test questions (testdata/questions.yaml) with flite voices kal, awb, rms and
// slt in turn, passes them through the phone line, recognises them with the domain and the general model, and
// prints WER, keyword recall and (with this package's matcher) intent accuracy next to the accuracy on the
// reference text. It lives here, not in package asr, because it scores the recogniser and the matcher together
// (asr must not depend on dialog). The ASR_* variables tune the recogniser (see questionsRecognizer) and the run.
func TestEvalQuestions(t *testing.T) {
	testenv.Need(t, "flite", "flite")
	testenv.Need(t, "sox", "sox")
	root := testenv.ModuleRoot(t)
	file := filepath.Join(root, "testdata", "questions.yaml")
	if f := os.Getenv("HOTLINE_QUESTIONS"); f != "" {
		file = f // e.g. testdata/questions-dev.yaml, to tune on the development set instead
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Skipf("no test questions yet: %v", err)
	}
	var qf struct {
		Questions []struct {
			Text   string `yaml:"text"`
			Intent string `yaml:"intent"`
		} `yaml:"questions"`
	}
	if err := yaml.Unmarshal(data, &qf); err != nil {
		t.Fatal(err)
	}
	kb, _, err := dialog.ParseKB("embedded", dialog.DefaultKBData())
	if err != nil {
		t.Fatal(err)
	}
	bot := dialog.New(dialog.DefaultConfig(), dialog.NewKBStoreFrom(kb), nil, nil)
	r := questionsRecognizer(t)
	voices := []string{"kal", "awb", "rms", "slt"}
	if v := os.Getenv("ASR_EVAL_VOICES"); v != "" {
		voices = strings.Fields(v) // e.g. "slt kal rms awb", the end-to-end evaluation's order
	}
	models := []bool{true, false}
	if os.Getenv("ASR_EVAL_DOMAIN_ONLY") != "" {
		models = models[:1]
	}
	dir, lineDir := t.TempDir(), t.TempDir()
	type score struct{ e, n, kw, kwN, ok, okRef, intents, callOK, callOKNoConf, all int }
	scores := map[bool]*score{true: {}, false: {}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, q := range qf.Questions {
		wav := filepath.Join(dir, "q"+strconv.Itoa(i)+".wav")
		voice := voices[i%len(voices)]
		if out, err := exec.Command("flite", "-voice", voice, "-t", q.Text, "-o", wav).CombinedOutput(); err != nil {
			t.Fatalf("flite: %v: %s", err, out)
		}
		pcm, rate := phoneLineWAV(t, lineDir, wav), 8000
		if os.Getenv("ASR_EVAL_WIDEBAND") != "" { // no phone line: what the line itself costs
			pcm, rate = wideband(t, wav), 16000
		}
		if lead, err := strconv.ParseFloat(os.Getenv("ASR_EVAL_LEAD"), 64); err == nil { // silence first, as on a call
			pcm = append(make([]int16, int(lead*float64(rate))), append(pcm, make([]int16, 2*rate)...)...)
		}
		for _, domain := range models {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				hyp := recognise(t, r, pcm, rate, domain)
				ref := worderr.Words(q.Text)
				hw := worderr.Words(hyp.Text)
				kw, kwN := keywordRecall(ref, hw)
				mu.Lock()
				defer mu.Unlock()
				s := scores[domain]
				s.e += worderr.Count(ref, hw)
				s.n += len(ref)
				s.kw += kw
				s.kwN += kwN
				// As a call acts on it: asking for a person, or an answer or "Is this about …?" when the match
				// confidence, lowered by the recogniser's own (dialog.asr_confidence_weight), is high enough.
				var wc float64
				for _, w := range hyp.Words {
					wc += w.Conf
				}
				if len(hyp.Words) > 0 {
					wc /= float64(len(hyp.Words))
				}
				s.all++
				if bot.Decide(hyp.Text, wc).Intent == q.Intent {
					s.callOK++
				}
				if bot.Decide(hyp.Text, -1).Intent == q.Intent {
					s.callOKNoConf++
				}
				if q.Intent != "" && kb.Entry(q.Intent) != nil {
					s.intents++
					if bot.Understand(hyp.Text).Intent == q.Intent {
						s.ok++
					}
					if bot.Understand(q.Text).Intent == q.Intent {
						s.okRef++
					}
				}
				if os.Getenv("ASR_EVAL_VERBOSE") != "" && domain {
					got := bot.Decide(hyp.Text, wc).Intent
					t.Logf("  %-4s ok=%-5v %-22s %-22s %q -> %q", voice, got == q.Intent, q.Intent, got, q.Text, hyp.Text)
				}
			}()
		}
	}
	wg.Wait()
	for _, domain := range models {
		s := scores[domain]
		name := map[bool]string{true: "domain", false: "general"}[domain]
		t.Logf("  as a call acts on it (all %d questions, answered or confirmed): %.1f%% (%.1f%% ignoring the recogniser's confidence)",
			s.all, 100*float64(s.callOK)/float64(s.all), 100*float64(s.callOKNoConf)/float64(s.all))
		t.Logf("QUESTIONS %d synthesised (flite kal/awb/rms/slt), phone line, %s model: WER %.1f%% (%d/%d), keyword recall %.1f%%, intent accuracy %.1f%% (%d/%d KB-intent questions; on the reference text %.1f%%)",
			len(qf.Questions), name, 100*float64(s.e)/float64(s.n), s.e, s.n, 100*float64(s.kw)/float64(s.kwN),
			100*float64(s.ok)/float64(s.intents), s.ok, s.intents, 100*float64(s.okRef)/float64(s.intents))
	}
}

// questionsRecognizer is an embedded recogniser with up to 4 streams, tuned by ASR_DOMAIN_WEIGHT (domain-model
// weight), ASR_VOCAB (vocabulary size, 0 for the whole dictionary) and ASR_DECODER_ARGS (extra PocketSphinx
// arguments, e.g. "-lw 8").
func questionsRecognizer(t *testing.T) *asr.Embedded {
	t.Helper()
	cfg := asr.DefaultConfig()
	cfg.MaxStreams = 4
	if v := os.Getenv("ASR_DOMAIN_WEIGHT"); v != "" {
		cfg.DomainWeight, _ = strconv.ParseFloat(v, 64)
	}
	if v := os.Getenv("ASR_VOCAB"); v != "" {
		cfg.Vocabulary, _ = strconv.Atoi(v)
	}
	if a := os.Getenv("ASR_DECODER_ARGS"); a != "" {
		cfg.DecoderArgs = strings.Fields(a)
	}
	r, err := asr.NewEmbedded(cfg, nil, nil)
	if err != nil {
		t.Fatalf("embedded recogniser: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// recognise runs one recording through a stream of r as fast as it takes it (ASR_NOENDPOINT: one utterance,
// no end-of-turn detection).
func recognise(t testing.TB, r asr.Recognizer, pcm []int16, rate int, domain bool) asr.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := asr.TranscribeWith(ctx, r, pcm, asr.StreamOptions{SampleRate: rate, Domain: domain, NoEndpoint: os.Getenv("ASR_NOENDPOINT") != ""})
	if err != nil {
		t.Fatalf("transcribe: %v", err)
	}
	return res
}

// wideband reads a recording at 16 kHz.
func wideband(t testing.TB, path string) []int16 {
	t.Helper()
	f, err := media.ReadWAV(path, 16000)
	if err != nil {
		t.Fatal(err)
	}
	return asr.PCM16(f)
}

// keywordRecall counts the reference's content words (not stop words) found in the hypothesis.
func keywordRecall(ref, hyp []string) (found, total int) {
	have := map[string]bool{}
	for _, w := range hyp {
		have[w] = true
	}
	for _, w := range ref {
		if stopWords[w] {
			continue
		}
		total++
		if have[w] {
			found++
		}
	}
	return found, total
}

var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the i i'm i'd i've you your my me we our it it's is are was be been am do does did
		to of in on at for with from by and or but so if that this what how why when where which who can could would will
		should have has had just not no yes there here they them their some any up out about like want need get
		hi yeah hey please okay ok guys right now`) {
		stopWords[w] = true
	}
}

// Package sphinx is the thin cgo binding to CMU PocketSphinx 5prealpha and SphinxBase (Debian packages
// libpocketsphinx-dev, libsphinxbase-dev) that the asr package builds on. It owns the C objects (decoder, front end,
// language models) and frees them; it knows nothing about streams, pools or phone lines. A Decoder and a FrontEnd are
// not safe for concurrent use: the caller owns each one from one goroutine at a time.
package sphinx

/*
#cgo pkg-config: pocketsphinx sphinxbase
#include <stdlib.h>
#include <pocketsphinx.h>
#include <sphinxbase/fe.h>
#include <sphinxbase/err.h>
#include <sphinxbase/ngram_model.h>
#include <sphinxbase/logmath.h>
#include <sphinxbase/feat.h>
#include <sphinxbase/cmn.h>

static int hl_set_cmn(ps_decoder_t *ps, const float *vec, int n) {
	feat_t *f = ps_get_feat(ps);
	if (f == NULL || f->cmn_struct == NULL || f->cmn_struct->veclen != n) return -1;
	cmn_live_set(f->cmn_struct, vec);
	return 0;
}

static cmd_ln_t *hl_parse(int argc, char **argv) {
	return cmd_ln_parse_r(NULL, ps_args(), argc, argv, FALSE);
}
// hl_max_block: frames handed to ps_process_cep per call. Without a second search pass (-fwdflat no) the acoustic
// model keeps a fixed queue of 12 frames, and 5prealpha's acmod_process_cep loses the frames of a larger block that
// overflow it ("Frame N outside queue ... cannot score"), so the search sees nothing; 4 frames stay inside it.
static const int hl_max_block = 4;

// hl_unigrams fills words/scores with the model's first n unigrams.
static void hl_unigrams(ngram_model_t *m, const char **words, int *scores, int n) {
	for (int i = 0; i < n; i++) {
		int32 used;
		words[i] = ngram_word(m, i);
		scores[i] = ngram_ng_score(m, i, NULL, 0, &used);
	}
}

static int hl_process_cep(ps_decoder_t *ps, float *data, int nframes, int ncep) {
	mfcc_t *rows[256];
	int done = 0;
	while (done < nframes) {
		int n = nframes - done;
		if (n > hl_max_block) n = hl_max_block;
		for (int i = 0; i < n; i++) rows[i] = data + (size_t)(done + i) * ncep;
		int r = ps_process_cep(ps, rows, n, FALSE, FALSE);
		if (r < 0) return r;
		done += n;
	}
	return nframes;
}
static int hl_fe_process(fe_t *fe, const int16 *spch, size_t nsamps, float *out, int maxframes, int ncep, int *consumed) {
	mfcc_t *rows[512];
	if (maxframes > 512) maxframes = 512;
	for (int i = 0; i < maxframes; i++) rows[i] = out + (size_t)i * ncep;
	const int16 *p = spch;
	size_t left = nsamps;
	int32 nfr = maxframes;
	int r = fe_process_frames(fe, &p, &left, rows, &nfr, NULL);
	if (r < 0) return r;
	*consumed = (int)(nsamps - left);
	return nfr;
}
static void hl_quiet(void) { err_set_logfp(NULL); }
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"unsafe"
)

// NCep is the number of cepstral coefficients per frame of the en-us model (-ceplen 13).
const NCep = 13

var quietOnce sync.Once

// Quiet stops SphinxBase writing its log to stderr (it logs every model load).
func Quiet() { quietOnce.Do(func() { C.hl_quiet() }) }

func parseArgs(args []string) (*C.cmd_ln_t, error) {
	cargs := make([]*C.char, len(args))
	for i, a := range args {
		cargs[i] = C.CString(a)
	}
	defer func() {
		for _, c := range cargs {
			C.free(unsafe.Pointer(c))
		}
	}()
	var argv **C.char
	if len(cargs) > 0 {
		argv = (**C.char)(unsafe.Pointer(&cargs[0]))
	}
	cfg := C.hl_parse(C.int(len(args)), argv)
	if cfg == nil {
		return nil, fmt.Errorf("pocketsphinx rejected the arguments %s", strings.Join(args, " "))
	}
	return cfg, nil
}

// Decoder is one PocketSphinx decoder (acoustic model, dictionary, language models, search).
type Decoder struct {
	ps    *C.ps_decoder_t
	lmath *C.logmath_t
	cep   []float32 // scratch for frames handed to C (C must not keep Go pointers)
	cbuf  *C.float
	ncap  int
}

// NewDecoder loads a decoder from pocketsphinx command-line style arguments ("-hmm", dir, "-lm", file, …).
func NewDecoder(args []string) (*Decoder, error) {
	cfg, err := parseArgs(args)
	if err != nil {
		return nil, err
	}
	ps := C.ps_init(cfg)
	C.cmd_ln_free_r(cfg)
	if ps == nil {
		return nil, fmt.Errorf("pocketsphinx could not load a decoder with %s", strings.Join(args, " "))
	}
	d := &Decoder{ps: ps, lmath: C.ps_get_logmath(ps)}
	d.ncap = 512
	d.cbuf = (*C.float)(C.malloc(C.size_t(d.ncap * NCep * 4)))
	return d, nil
}

// Free releases the decoder. It is safe to call twice.
func (d *Decoder) Free() {
	if d.ps != nil {
		C.ps_free(d.ps)
		d.ps = nil
	}
	if d.cbuf != nil {
		C.free(unsafe.Pointer(d.cbuf))
		d.cbuf = nil
	}
}

// AddWord adds a pronunciation ("phones" like "IY S IH M") to the dictionary. update=true rebuilds the search now.
func (d *Decoder) AddWord(word, phones string, update bool) error {
	cw, cp := C.CString(word), C.CString(phones)
	defer C.free(unsafe.Pointer(cw))
	defer C.free(unsafe.Pointer(cp))
	u := C.int(0)
	if update {
		u = 1
	}
	if C.ps_add_word(d.ps, cw, cp, u) < 0 {
		return fmt.Errorf("pocketsphinx refused the pronunciation %q for %q", phones, word)
	}
	return nil
}

// HasWord reports whether the dictionary knows word.
func (d *Decoder) HasWord(word string) bool {
	cw := C.CString(word)
	defer C.free(unsafe.Pointer(cw))
	p := C.ps_lookup_word(d.ps, cw)
	if p == nil {
		return false
	}
	C.free(unsafe.Pointer(p))
	return true
}

// AddInterpolatedLM reads the language models general and extra (ARPA or binary) and registers a search called
// name whose model interpolates them, giving extra the weight w (0..1). Load the decoder without -lm first, so
// that this is its only n-gram search (each search builds its own lexicon tree, the costliest part of a load).
func (d *Decoder) AddInterpolatedLM(name, general, extra string, w float64) error {
	cfg := C.ps_get_config(d.ps)
	read := func(path string) *C.ngram_model_t {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		return C.ngram_model_read(cfg, cpath, C.NGRAM_AUTO, d.lmath)
	}
	gen := read(general)
	if gen == nil {
		return fmt.Errorf("pocketsphinx could not read the language model %s", general)
	}
	dom := read(extra)
	if dom == nil {
		C.ngram_model_free(gen)
		return fmt.Errorf("pocketsphinx could not read the language model %s", extra)
	}
	models := (*[2]*C.ngram_model_t)(C.malloc(C.size_t(2 * unsafe.Sizeof(gen))))
	names := (*[2]*C.char)(C.malloc(C.size_t(2 * unsafe.Sizeof((*C.char)(nil)))))
	weights := (*[2]C.float32)(C.malloc(8))
	defer C.free(unsafe.Pointer(models))
	defer C.free(unsafe.Pointer(names))
	defer C.free(unsafe.Pointer(weights))
	models[0], models[1] = gen, dom
	n0, n1 := C.CString("general"), C.CString("domain")
	defer C.free(unsafe.Pointer(n0))
	defer C.free(unsafe.Pointer(n1))
	names[0], names[1] = n0, n1
	weights[0], weights[1] = C.float32(1-w), C.float32(w)
	set := C.ngram_model_set_init(cfg, &models[0], &names[0], &weights[0], 2)
	if set == nil {
		C.ngram_model_free(gen)
		C.ngram_model_free(dom)
		return fmt.Errorf("pocketsphinx could not interpolate %s with %s", extra, general)
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if C.ps_set_lm(d.ps, cname, set) < 0 {
		C.ngram_model_free(set)
		return fmt.Errorf("pocketsphinx could not add the search %q", name)
	}
	C.ngram_model_free(set) // ps_set_lm retained it
	return nil
}

// SetSearch activates a search by name ("_default" is the general model given with -lm). Call it between utterances.
func (d *Decoder) SetSearch(name string) error {
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	if C.ps_set_search(d.ps, cname) < 0 {
		return fmt.Errorf("pocketsphinx has no search %q", name)
	}
	return nil
}

// SetCMN sets the live cepstral mean (NCep values), as if it had been learnt from 500 frames. Call it between
// utterances.
func (d *Decoder) SetCMN(mean []float32) error {
	if len(mean) != NCep {
		return fmt.Errorf("pocketsphinx: cepstral mean needs %d values, got %d", NCep, len(mean))
	}
	if C.hl_set_cmn(d.ps, (*C.float)(unsafe.Pointer(&mean[0])), NCep) < 0 {
		return errors.New("pocketsphinx: decoder has no live cepstral mean normalisation")
	}
	return nil
}

// StartUtt begins an utterance.
func (d *Decoder) StartUtt() error {
	if C.ps_start_utt(d.ps) < 0 {
		return errors.New("pocketsphinx: start of utterance failed")
	}
	return nil
}

// EndUtt finishes the utterance (final search passes run here).
func (d *Decoder) EndUtt() error {
	if C.ps_end_utt(d.ps) < 0 {
		return errors.New("pocketsphinx: end of utterance failed")
	}
	return nil
}

// ProcessCep decodes frames of NCep cepstra laid out one after another.
func (d *Decoder) ProcessCep(cep []float32) error {
	n := len(cep) / NCep
	for done := 0; done < n; {
		k := n - done
		if k > d.ncap {
			k = d.ncap
		}
		dst := unsafe.Slice((*float32)(unsafe.Pointer(d.cbuf)), k*NCep)
		copy(dst, cep[done*NCep:(done+k)*NCep])
		if C.hl_process_cep(d.ps, d.cbuf, C.int(k), NCep) < 0 {
			return errors.New("pocketsphinx: decoding features failed")
		}
		done += k
	}
	return nil
}

// Hyp returns the current best hypothesis ("" when none).
func (d *Decoder) Hyp() string {
	var score C.int32
	h := C.ps_get_hyp(d.ps, &score)
	if h == nil {
		return ""
	}
	return C.GoString(h)
}

// Seg is one recognised word with its frames (100 a second) and posterior probability (0..1).
type Seg struct {
	Word       string
	Start, End int
	Prob       float64
}

// Segs appends the words of the best hypothesis to dst, fillers included (they start with '<' or '[' or '+').
func (d *Decoder) Segs(dst []Seg) []Seg {
	for it := C.ps_seg_iter(d.ps); it != nil; it = C.ps_seg_next(it) {
		var sf, ef C.int
		C.ps_seg_frames(it, &sf, &ef)
		var a, l, b C.int32
		p := C.ps_seg_prob(it, &a, &l, &b)
		prob := float64(C.logmath_exp(d.lmath, p))
		if prob > 1 {
			prob = 1
		}
		dst = append(dst, Seg{Word: C.GoString(C.ps_seg_word(it)), Start: int(sf), End: int(ef), Prob: prob})
	}
	return dst
}

// FrontEnd computes MFCC frames (100 a second) from 16-bit PCM with the acoustic model's feature settings.
type FrontEnd struct {
	fe  *C.fe_t
	out *C.float
	max int
	in  *C.int16
	inN int
}

// NewFrontEnd creates a front end from pocketsphinx-style arguments (the -hmm directory's feat.params apply when
// -hmm is given, as in the decoder).
func NewFrontEnd(args []string) (*FrontEnd, error) {
	cfg, err := parseArgs(args)
	if err != nil {
		return nil, err
	}
	// ps_init applies feat.params; a bare front end must have them on the command line, which the caller does.
	fe := C.fe_init_auto_r(cfg)
	C.cmd_ln_free_r(cfg)
	if fe == nil {
		return nil, fmt.Errorf("sphinxbase could not create a front end with %s", strings.Join(args, " "))
	}
	f := &FrontEnd{fe: fe, max: 512, inN: 16000}
	f.out = (*C.float)(C.malloc(C.size_t(f.max * NCep * 4)))
	f.in = (*C.int16)(C.malloc(C.size_t(f.inN * 2)))
	return f, nil
}

// Free releases the front end.
func (f *FrontEnd) Free() {
	if f.fe != nil {
		C.fe_free(f.fe)
		f.fe = nil
	}
	if f.out != nil {
		C.free(unsafe.Pointer(f.out))
		C.free(unsafe.Pointer(f.in))
		f.out, f.in = nil, nil
	}
}

// Start begins a new utterance (clears the overlap buffer).
func (f *FrontEnd) Start() { C.fe_start_utt(f.fe) }

// Process appends the cepstra of pcm to dst.
func (f *FrontEnd) Process(pcm []int16, dst []float32) ([]float32, error) {
	for len(pcm) > 0 {
		n := len(pcm)
		if n > f.inN {
			n = f.inN
		}
		copy(unsafe.Slice((*int16)(unsafe.Pointer(f.in)), n), pcm[:n])
		off := 0
		for off < n {
			var consumed C.int
			nfr := C.hl_fe_process(f.fe, (*C.int16)(unsafe.Add(unsafe.Pointer(f.in), off*2)), C.size_t(n-off), f.out, C.int(f.max), NCep, &consumed)
			if nfr < 0 {
				return dst, errors.New("sphinxbase: feature extraction failed")
			}
			dst = append(dst, unsafe.Slice((*float32)(unsafe.Pointer(f.out)), int(nfr)*NCep)...)
			off += int(consumed)
			if consumed == 0 && nfr == 0 {
				break
			}
		}
		pcm = pcm[n:]
	}
	return dst, nil
}

// End flushes the last partial frame of the utterance and appends it to dst.
func (f *FrontEnd) End(dst []float32) []float32 {
	var n C.int32
	C.fe_end_utt(f.fe, (*C.mfcc_t)(unsafe.Pointer(f.out)), &n)
	return append(dst, unsafe.Slice((*float32)(unsafe.Pointer(f.out)), int(n)*NCep)...)
}

// EnUSFeatureArgs are the front-end settings of Debian's en-us model (its feat.params) with the front end's own
// silence remover off, so frames keep their timing (hotline does its own voice activity detection).
func EnUSFeatureArgs() []string {
	return []string{"-lowerf", "130", "-upperf", "6800", "-nfilt", "25", "-transform", "dct", "-lifter", "22",
		"-samprate", "16000", "-remove_silence", "no"}
}

// EnUSCMNInit is the model's initial cepstral mean (feat.params -cmninit), used with live normalisation.
const EnUSCMNInit = "41.00,-5.29,-0.12,5.09,2.48,-4.07,-1.37,-1.78,-5.08,-2.05,-6.45,-1.42,1.17"

// Unigrams reads a language model (ARPA or binary) and returns each word's unigram log10 probability.
func Unigrams(path string) (map[string]float64, error) {
	cfg, err := parseArgs(nil)
	if err != nil {
		return nil, err
	}
	defer C.cmd_ln_free_r(cfg)
	lmath := C.logmath_init(1.0001, 0, 0)
	defer C.logmath_free(lmath)
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	m := C.ngram_model_read(cfg, cpath, C.NGRAM_AUTO, lmath)
	if m == nil {
		return nil, fmt.Errorf("pocketsphinx could not read the language model %s", path)
	}
	defer C.ngram_model_free(m)
	n := int(*C.ngram_model_get_counts(m))
	words := (**C.char)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	scores := (*C.int)(C.malloc(C.size_t(n) * C.size_t(unsafe.Sizeof(C.int(0)))))
	defer C.free(unsafe.Pointer(words))
	defer C.free(unsafe.Pointer(scores))
	C.hl_unigrams(m, words, scores, C.int(n))
	ws, ss := unsafe.Slice(words, n), unsafe.Slice(scores, n)
	out := make(map[string]float64, n)
	for i := range n {
		out[C.GoString(ws[i])] = float64(C.logmath_log_to_log10(lmath, ss[i]))
	}
	return out, nil
}

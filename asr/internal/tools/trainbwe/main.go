// Command trainbwe fits the telephone feature map in asr/model/telephone.bwe (see asr/model/NOTES.md): stereo
// pairs of wideband speech and the same speech through the simulated G.711 line of ../shared/audio/README.md,
// features from the en-us model's front end, a ridge least-squares map from a window of phone-line frames to the
// wideband frame. Sources: ../shared/audio/emotion (EmoDB, real speech, German) and flite voices awb, rms, slt and
// kal16 reading sentences.txt. It never reads ../shared/audio/asr or pitch (those are the evaluation sets).
//
//	go run ./asr/internal/tools/trainbwe -o asr/model/telephone.bwe
package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hotline/hotline/asr/internal/bwe"
	"github.com/hotline/hotline/asr/internal/dsp"
	"github.com/hotline/hotline/asr/internal/sphinx"
)

//go:embed sentences.txt
var sentences string

func main() {
	out := flag.String("o", "asr/model/telephone.bwe", "output map")
	cmnOut := flag.String("cmn", "asr/model/telephone.cmn", "output initial cepstral mean")
	ctx := flag.Int("ctx", 2, "context frames each side")
	lambda := flag.Float64("lambda", 1e-4, "ridge")
	shared := flag.String("shared", "../shared/audio", "shared recordings")
	flite := flag.Bool("flite", true, "add flite speech")
	flag.Parse()
	sphinx.Quiet()
	fe, err := sphinx.NewFrontEnd(sphinx.EnUSFeatureArgs())
	if err != nil {
		fail(err)
	}
	tmp, err := os.MkdirTemp("", "trainbwe")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(tmp)
	var wavs []string
	emo, _ := filepath.Glob(filepath.Join(*shared, "emotion", "*.wav"))
	wavs = append(wavs, emo...)
	if *flite {
		sc := bufio.NewScanner(strings.NewReader(sentences))
		i := 0
		for sc.Scan() {
			for _, v := range []string{"awb", "rms", "slt", "kal16"} {
				if i%2 == 1 && v == "kal16" {
					continue
				}
				p := filepath.Join(tmp, fmt.Sprintf("f%03d_%s.wav", i, v))
				run("flite", "-voice", v, "-t", sc.Text(), "-o", p)
				wavs = append(wavs, p)
			}
			i++
		}
	}
	tr := bwe.NewTrainer(sphinx.NCep, *ctx)
	var phones [][]float32
	for _, w := range wavs {
		wide := raw(w, tmp, false)
		phone := dsp.NewResampler(8000, 16000).Process(raw(w, tmp, true), nil)
		pf := feats(fe, phone)
		tr.Add(pf, feats(fe, wide))
		phones = append(phones, pf)
	}
	m, err := tr.Solve(*lambda)
	if err != nil {
		fail(err)
	}
	// The initial cepstral mean for live CMN on the telephone path: the mean of mapped training frames.
	mean := make([]float64, sphinx.NCep)
	nfr := 0
	for _, pf := range phones {
		mp := bwe.NewMapper(m)
		out := mp.Flush(mp.Push(pf, nil))
		for i := 0; i+sphinx.NCep <= len(out); i += sphinx.NCep {
			for d := 0; d < sphinx.NCep; d++ {
				mean[d] += float64(out[i+d])
			}
			nfr++
		}
	}
	var cmn []string
	for d := range mean {
		cmn = append(cmn, fmt.Sprintf("%.2f", mean[d]/float64(nfr)))
	}
	if err := os.WriteFile(*cmnOut, []byte(strings.Join(cmn, ",")+"\n"), 0o644); err != nil {
		fail(err)
	}
	f, err := os.Create(*out)
	if err != nil {
		fail(err)
	}
	if _, err := m.WriteTo(f); err != nil {
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
	fmt.Printf("trained on %d files, %d frames (%.1f min), ctx %d, lambda %g -> %s\n", len(wavs), tr.Frames(), float64(tr.Frames())/6000, *ctx, *lambda, *out)
}

func feats(fe *sphinx.FrontEnd, pcm []int16) []float32 {
	fe.Start()
	c, err := fe.Process(pcm, nil)
	if err != nil {
		fail(err)
	}
	return fe.End(c)
}

func raw(path, tmp string, phone bool) []int16 {
	rate := "16000"
	if phone {
		b, l, o := filepath.Join(tmp, "b.wav"), filepath.Join(tmp, "l.wav"), filepath.Join(tmp, "o.wav")
		run("sox", "-D", path, "-r", "8000", "-c", "1", "-b", "16", b, "sinc", "300-3400")
		run("sox", "-D", b, "-e", "u-law", l)
		run("sox", "-D", l, "-e", "signed", "-b", "16", o)
		path, rate = o, "8000"
	}
	var buf bytes.Buffer
	cmd := exec.Command("sox", "-D", path, "-t", "raw", "-r", rate, "-c", "1", "-b", "16", "-e", "signed", "-")
	cmd.Stdout = &buf
	if err := cmd.Run(); err != nil {
		fail(fmt.Errorf("sox %s: %w", path, err))
	}
	s := make([]int16, buf.Len()/2)
	if err := binary.Read(&buf, binary.LittleEndian, s); err != nil {
		fail(err)
	}
	return s
}

func run(a ...string) {
	if out, err := exec.Command(a[0], a[1:]...).CombinedOutput(); err != nil {
		fail(fmt.Errorf("%s: %v: %s", strings.Join(a, " "), err, out))
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "trainbwe:", err)
	os.Exit(1)
}

package asr

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

	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
)

// shared is one embedded recogniser for the package's tests (decoders take about a second to load).
var (
	sharedOnce sync.Once
	sharedRec  *Embedded
	sharedErr  error
)

func testRecognizer(t testing.TB) *Embedded {
	t.Helper()
	sharedOnce.Do(func() {
		cfg := DefaultConfig()
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
		sharedRec, sharedErr = NewEmbedded(cfg, nil, nil)
	})
	if sharedErr != nil {
		t.Fatalf("embedded recogniser: %v", sharedErr)
	}
	return sharedRec
}

// wideband reads a recording at 16 kHz.
func wideband(t testing.TB, path string) []int16 {
	t.Helper()
	f, err := media.ReadWAV(path, 16000)
	if err != nil {
		t.Fatal(err)
	}
	return PCM16(f)
}

// phoneLine passes a recording through the simulated G.711 line of ../shared/audio/README.md and returns it at
// 8 kHz.
func phoneLine(t testing.TB, path string) []int16 {
	t.Helper()
	testenv.Need(t, "sox", "sox")
	dir := t.TempDir()
	band, line, out := filepath.Join(dir, "band.wav"), filepath.Join(dir, "line.wav"), filepath.Join(dir, "out.wav")
	for _, args := range [][]string{
		{"-D", path, "-r", "8000", "-c", "1", "-b", "16", band, "sinc", "300-3400"},
		{"-D", band, "-e", "u-law", line},
		{"-D", line, "-e", "signed", "-b", "16", out},
	} {
		if b, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
			t.Fatalf("sox %s: %v: %s", strings.Join(args, " "), err, b)
		}
	}
	f, err := media.ReadWAV(out, 8000)
	if err != nil {
		t.Fatal(err)
	}
	return PCM16(f)
}

// transcript is one recording with its reference text.
type transcript struct{ name, path, text string }

// asrTranscripts are the recordings of ../shared/audio/asr (transcripts from its README).
func asrTranscripts(dir string) []transcript {
	ts := []transcript{
		{"osr_us_000_0034_8k", "", "A gold ring will please most any girl. The long journey home took a year. She saw a cat in the neighbor's house. A pink shell was found on the sandy beach. Small children came to see him. The grass and bushes were wet with dew. The blind man counted his old coins. A severe storm tore down the barn. She called his name many times. When you hear the bell, come quickly."},
		{"jfk", "", "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."},
		{"digits", "", "one zero zero zero one nine oh two one oh zero one eight zero three"},
		{"arctic_aew_a0001", "", "Author of the danger trail, Philip Steels, etc."},
		{"arctic_aew_a0002", "", "Not at this particular case, Tom, apologized Whittemore."},
		{"arctic_aew_a0003", "", "For the twentieth time that evening the two men shook hands."},
	}
	for i := range ts {
		ts[i].path = filepath.Join(dir, ts[i].name+".wav")
	}
	return ts
}

// recognise runs one recording through a stream of r as fast as it takes it.
func recognise(t testing.TB, r Recognizer, pcm []int16, rate int, domain bool) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := TranscribeWith(ctx, r, pcm, StreamOptions{SampleRate: rate, Domain: domain, NoEndpoint: os.Getenv("ASR_NOENDPOINT") != ""})
	if err != nil {
		t.Fatalf("transcribe: %v", err)
	}
	return res
}

func init() {
	if v := os.Getenv("ASR_CMN_FRAMES"); v != "" {
		n, _ := strconv.Atoi(v)
		cmnFirstFrames = n
	}
	if v := os.Getenv("ASR_CMN_BLEND"); v != "" {
		f, _ := strconv.ParseFloat(v, 32)
		cmnBlend = float32(f)
	}
}

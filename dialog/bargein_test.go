package dialog

import (
	"context"
	"math"
	"math/rand"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
	"github.com/hotline/hotline/media"
)

// phoneLine returns the recording as it arrives over a G.711 phone line (8 kHz, 300–3400 Hz band, μ-law), made
// with sox as ../shared/audio/README.md describes.
func phoneLine(t testing.TB, wav string) []int16 {
	t.Helper()
	testenv.Need(t, "sox", "sox")
	dir := t.TempDir()
	band, line, back := filepath.Join(dir, "band.wav"), filepath.Join(dir, "line.wav"), filepath.Join(dir, "back.wav")
	for _, args := range [][]string{
		{"-D", wav, "-r", "8000", "-c", "1", "-b", "16", band, "sinc", "300-3400"},
		{"-D", band, "-e", "u-law", line},
		{"-D", line, "-e", "signed", "-b", "16", back},
	} {
		if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
			t.Fatalf("sox %v: %v\n%s", args, err, out)
		}
	}
	pcm, err := media.ReadWAV8k(back)
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

// speechOnset is the first 20 ms frame where the clean recording is within 30 dB of its loudest frame and stays
// there (with gaps under 60 ms) for 100 ms: the ground truth the detector is timed against.
func speechOnset(pcm []int16) int {
	peak := -100.0
	for i := 0; i+FrameSamples <= len(pcm); i += FrameSamples {
		peak = math.Max(peak, levelDB(pcm[i:i+FrameSamples]))
	}
	nf := len(pcm) / FrameSamples
	for f := 0; f < nf; f++ {
		ok := 0
		for g := f; g < nf && g < f+5; g++ {
			if levelDB(pcm[g*FrameSamples:(g+1)*FrameSamples]) > peak-30 {
				ok++
			}
		}
		if ok >= 4 && levelDB(pcm[f*FrameSamples:(f+1)*FrameSamples]) > peak-30 {
			return f
		}
	}
	return -1
}

// noise is white Gaussian noise at an RMS level in dBFS, from a fixed seed.
func noise(n int, db float64, seed int64) []int16 {
	r := rand.New(rand.NewSource(seed))
	amp := 32768 * math.Pow(10, db/20)
	out := make([]int16, n)
	for i := range out {
		out[i] = clip16(r.NormFloat64() * amp)
	}
	return out
}

func clip16(v float64) int16 { return int16(math.Max(-32768, math.Min(32767, math.Round(v)))) }

// mix adds b (scaled by gainDB) into a starting at offset.
func mix(a, b []int16, offset int, gainDB float64) {
	g := math.Pow(10, gainDB/20)
	for i, s := range b {
		if j := offset + i; j >= 0 && j < len(a) {
			a[j] = clip16(float64(a[j]) + g*float64(s))
		}
	}
}

// run feeds caller and sent audio frame by frame and returns the frame where barge-in fired (-1: never).
func run(d *BargeIn, caller, sent []int16) int {
	for f := 0; (f+1)*FrameSamples <= len(caller); f++ {
		var s []int16
		if (f+1)*FrameSamples <= len(sent) {
			s = sent[f*FrameSamples : (f+1)*FrameSamples]
		}
		if d.Frame(caller[f*FrameSamples:(f+1)*FrameSamples], s) {
			return f
		}
	}
	return -1
}

var speechFiles = []string{"jfk.wav", "arctic_aew_a0001.wav", "arctic_aew_a0002.wav", "arctic_aew_a0003.wav", "osr_us_000_0034_8k.wav"}

// The aim is 300 ms from the start of sustained speech. A first word shorter than min_speech followed by a pause
// ("And … so my fellow Americans") is, by design, not yet sustained speech, so single cases may take longer: the
// tests allow 500 ms per case and want the median within 300 ms; `make eval` prints the distribution.
const bargeInBound, bargeInMedian = 500, 300

func median(x []int) int {
	s := append([]int{}, x...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func TestBargeInFiresWithin300msOfRealSpeechInLineNoise(t *testing.T) {
	dir := testenv.SharedAudio(t, "asr")
	var delays []int
	defer func() {
		if m := median(delays); m > bargeInMedian {
			t.Errorf("median delay %d ms over %d cases, want at most %d", m, len(delays), bargeInMedian)
		}
	}()
	for _, name := range speechFiles {
		speech := phoneLine(t, filepath.Join(dir, name))
		if len(speech) > 4*Rate {
			speech = speech[:4*Rate]
		}
		onset := speechOnset(speech)
		for _, noiseDB := range []float64{-60, -45, -38} {
			lead := Rate // a second of line noise before the caller speaks
			caller := noise(lead+len(speech), noiseDB, 1)
			mix(caller, speech, lead, 0)
			d := NewBargeIn(DefaultBargeInConfig())
			fired := run(d, caller, nil)
			truth := lead/FrameSamples + onset
			delay := (fired - truth) * 20
			t.Logf("%s in %.0f dBFS noise: fired %d ms after speech start", name, noiseDB, delay)
			if fired < 0 {
				t.Errorf("%s in %.0f dBFS noise: never fired", name, noiseDB)
				continue
			}
			delays = append(delays, delay)
			if delay < 0 || delay > bargeInBound {
				t.Errorf("%s in %.0f dBFS noise: fired %d ms after the speech started, want 0..%d", name, noiseDB, delay, bargeInBound)
			}
		}
	}
}

func TestBargeInIgnoresLineNoiseAndNoiseBursts(t *testing.T) {
	for _, db := range []float64{-60, -45, -35, -25} {
		caller := noise(5*Rate, db, 2)
		// A burst 15 dB louder for half a second (a crackle on the line).
		burst := noise(Rate/2, db+15, 3)
		mix(caller, burst, 2*Rate, 0)
		if f := run(NewBargeIn(DefaultBargeInConfig()), caller, nil); f >= 0 {
			t.Errorf("noise at %.0f dBFS with a burst fired barge-in at %d ms", db, f*20)
		}
	}
}

func TestBargeInIgnoresTheEchoOfOurOwnPrompt(t *testing.T) {
	f, err := NewFlite("slt")
	if err != nil {
		t.Fatal(err)
	}
	f.LevelDB = DefaultConfig().Speech.LevelDB
	prompt, err := f.Synthesize(context.Background(), "Our travel pass costs five dollars a day in over one hundred countries and lets you use your normal allowance.")
	if err != nil {
		t.Fatal(err)
	}
	for _, erl := range []float64{15, 20, 30} {
		for _, delayMS := range []int{20, 60, 150} {
			caller := noise(len(prompt)+Rate, -50, 4)
			mix(caller, prompt, delayMS*Rate/1000, -erl)
			if fr := run(NewBargeIn(DefaultBargeInConfig()), caller, prompt); fr >= 0 {
				t.Errorf("echo at -%.0f dB, %d ms delay fired barge-in at %d ms", erl, delayMS, fr*20)
			}
		}
	}
}

func TestBargeInHearsTheCallerOverThePromptAndItsEcho(t *testing.T) {
	dir := testenv.SharedAudio(t, "asr")
	f, err := NewFlite("slt")
	if err != nil {
		t.Fatal(err)
	}
	f.LevelDB = DefaultConfig().Speech.LevelDB
	prompt, _ := f.Synthesize(context.Background(), "Roaming is on by default for most plans. Before you travel, check that data roaming is switched on.")
	var delays []int
	defer func() {
		if m := median(delays); m > bargeInMedian {
			t.Errorf("median delay %d ms over %d cases, want at most %d", m, len(delays), bargeInMedian)
		}
	}()
	for _, name := range speechFiles[:4] {
		speech := phoneLine(t, filepath.Join(dir, name))
		onset := speechOnset(speech)
		start := Rate * 3 / 2 // the caller starts talking 1.5 s into the prompt
		caller := noise(len(prompt)+len(speech), -50, 5)
		mix(caller, prompt, 60*Rate/1000, -15) // echo of the prompt
		mix(caller, speech, start, 0)
		fr := run(NewBargeIn(DefaultBargeInConfig()), caller, prompt)
		delay := (fr - (start/FrameSamples + onset)) * 20
		t.Logf("%s over the prompt: fired %d ms after speech start", name, delay)
		delays = append(delays, delay)
		if fr < 0 || delay < 0 || delay > bargeInBound {
			t.Errorf("%s over the prompt: fired at frame %d, %d ms after speech start; want 0..%d ms", name, fr, delay, bargeInBound)
		}
	}
}

func TestBargeInIgnoresShortBackchannels(t *testing.T) {
	dir := testenv.SharedAudio(t, "asr")
	n := Rate / 4
	for _, name := range speechFiles {
		speech := phoneLine(t, filepath.Join(dir, name))
		// The loudest 250 ms of the recording: a short "mm-hm"-like burst of real voice (the issue: backchannels
		// under about 300 ms must not stop the prompt), alone and over our prompt's echo.
		best, bestDB := 0, -100.0
		for i := 0; i+n <= len(speech); i += FrameSamples {
			if db := levelDB(speech[i : i+n]); db > bestDB {
				best, bestDB = i, db
			}
		}
		burst := append([]int16{}, speech[best:best+n]...)
		caller := noise(3*Rate, -50, 6)
		mix(caller, burst, Rate, 0)
		if fr := run(NewBargeIn(DefaultBargeInConfig()), caller, nil); fr >= 0 {
			t.Errorf("%s: a 250 ms burst of speech fired barge-in", name)
		}
	}
}

// BenchmarkBargeInFrame measures one 20 ms frame in the worst case: caller audio loud enough to need the
// periodicity check on every frame.
func BenchmarkBargeInFrame(b *testing.B) {
	d := NewBargeIn(DefaultBargeInConfig())
	quiet := noise(FrameSamples, -70, 1)
	for i := 0; i < 50; i++ {
		d.Frame(quiet, nil)
	}
	caller := noise(FrameSamples, -20, 1)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d.Frame(caller, nil)
		if d.fired {
			d.Reset()
		}
	}
}

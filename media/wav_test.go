package media

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hotline/hotline/internal/testenv"
)

// soxTone writes a 0.5 s, 440 Hz sine at amplitude 0.5 with sox, in the given output format arguments.
func soxTone(t *testing.T, name string, args ...string) string {
	t.Helper()
	testenv.Need(t, "sox", "sox")
	path := filepath.Join(t.TempDir(), name)
	cmd := append([]string{"-D", "-n"}, args...)
	cmd = append(cmd, path, "synth", "0.5", "sine", "440", "vol", "0.5")
	if out, err := exec.Command("sox", cmd...).CombinedOutput(); err != nil {
		t.Fatalf("sox %v: %v\n%s", cmd, err, out)
	}
	return path
}

func TestReadWAVDecodesEveryFormatToMono8k(t *testing.T) {
	cases := []struct {
		name string
		args []string
		tol  float64 // allowed RMS error against the ideal sine
	}{
		{"pcm8", []string{"-r", "8000", "-c", "1", "-b", "8", "-e", "unsigned-integer"}, 0.01},
		{"pcm16", []string{"-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"}, 0.002},
		{"pcm24", []string{"-r", "16000", "-c", "1", "-b", "24", "-e", "signed-integer"}, 0.002},
		{"pcm32", []string{"-r", "22050", "-c", "1", "-b", "32", "-e", "signed-integer"}, 0.002},
		{"float32", []string{"-r", "44100", "-c", "1", "-b", "32", "-e", "floating-point"}, 0.002},
		{"float64", []string{"-r", "48000", "-c", "1", "-b", "64", "-e", "floating-point"}, 0.002},
		{"ulaw", []string{"-r", "8000", "-c", "1", "-e", "u-law"}, 0.01},
		{"alaw", []string{"-r", "8000", "-c", "1", "-e", "a-law"}, 0.01},
		{"stereo16", []string{"-r", "44100", "-c", "2", "-b", "16"}, 0.002},
		{"extensible6ch", []string{"-r", "16000", "-c", "6", "-b", "16"}, 0.002},
		{"extensible24", []string{"-t", "wav", "-r", "11025", "-c", "1", "-b", "24"}, 0.002},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := soxTone(t, tc.name+".wav", tc.args...)
			got, err := ReadWAV(path, 8000)
			if err != nil {
				t.Fatalf("ReadWAV: %v", err)
			}
			if len(got) < 3990 || len(got) > 4010 {
				t.Fatalf("got %d samples, want about 4000 (0.5 s at 8 kHz)", len(got))
			}
			// Compare with the ideal sine away from the edges (the resampler's filter spreads the ends).
			var errSum, n float64
			best := math.Inf(1)
			for _, phase := range []float64{0} {
				errSum, n = 0, 0
				for i := 200; i < len(got)-200; i++ {
					want := 0.5 * math.Sin(2*math.Pi*440*float64(i)/8000+phase)
					d := float64(got[i]) - want
					errSum += d * d
					n++
				}
				best = math.Min(best, math.Sqrt(errSum/n))
			}
			if best > tc.tol {
				t.Errorf("RMS error against the ideal 440 Hz sine %.4f, want <= %.4f", best, tc.tol)
			}
		})
	}
}

func TestReadWAV8kGivesPCMForPlayback(t *testing.T) {
	path := soxTone(t, "tone.wav", "-r", "16000", "-c", "1", "-b", "16")
	pcm, err := ReadWAV8k(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(pcm) < 3990 || len(pcm) > 4010 {
		t.Fatalf("got %d samples, want about 4000", len(pcm))
	}
	peak := 0
	for _, v := range pcm {
		peak = max(peak, int(max(v, -v)))
	}
	if peak < 15000 || peak > 17500 {
		t.Errorf("peak %d, want about 16384 (amplitude 0.5)", peak)
	}
}

// wavBytes builds a WAV file by hand: a RIFF header and the given chunks.
func wavBytes(chunks ...[]byte) []byte {
	var body bytes.Buffer
	body.WriteString("WAVE")
	for _, c := range chunks {
		body.Write(c)
	}
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(body.Len()))
	b.Write(body.Bytes())
	return b.Bytes()
}

func chunk(id string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(id)
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	b.Write(data)
	if len(data)%2 == 1 {
		b.WriteByte(0)
	}
	return b.Bytes()
}

func fmtChunk(tag, channels, rate, bits int) []byte {
	d := make([]byte, 16)
	le := binary.LittleEndian
	le.PutUint16(d[0:], uint16(tag))
	le.PutUint16(d[2:], uint16(channels))
	le.PutUint32(d[4:], uint32(rate))
	align := channels * ((bits + 7) / 8)
	le.PutUint32(d[8:], uint32(rate*align))
	le.PutUint16(d[12:], uint16(align))
	le.PutUint16(d[14:], uint16(bits))
	return chunk("fmt ", d)
}

func TestReadWAVErrorsNameTheFileAndTheProblem(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"text.wav", []byte("hello, this is not audio at all"), "not a RIFF/WAVE file"},
		{"short.wav", []byte("RIF"), "not a RIFF/WAVE file"},
		{"mp3.wav", wavBytes(fmtChunk(85, 1, 8000, 16), chunk("data", make([]byte, 100))), "unsupported format tag 85"},
		{"nodata.wav", wavBytes(fmtChunk(1, 1, 8000, 16)), "no data chunk"},
		{"nofmt.wav", wavBytes(chunk("LIST", []byte("abcd"))), "no fmt chunk"},
		{"empty.wav", wavBytes(fmtChunk(1, 1, 8000, 16), chunk("data", nil)), "no samples"},
		{"zerochannels.wav", wavBytes(fmtChunk(1, 0, 8000, 16), chunk("data", make([]byte, 10))), "invalid channel count 0"},
		{"zerorate.wav", wavBytes(fmtChunk(1, 1, 0, 16), chunk("data", make([]byte, 10))), "invalid sample rate 0"},
		{"pcm12.wav", wavBytes(fmtChunk(7, 1, 8000, 16), chunk("data", make([]byte, 10))), "unsupported sample size"},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadWAV(path, 8000)
			if err == nil {
				t.Fatal("ReadWAV succeeded, want an error")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to name %s and say %q", err, path, tc.want)
			}
		})
	}
	if _, err := ReadWAV(filepath.Join(dir, "missing.wav"), 8000); err == nil || !strings.Contains(err.Error(), "missing.wav") {
		t.Errorf("missing file: error %v, want it to name the file", err)
	}
}

func TestReadWAVSkipsUnknownChunksAndOddPadding(t *testing.T) {
	pcm := make([]byte, 320)
	for i := 0; i < 160; i++ {
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(1000*(i%2*2-1))))
	}
	data := wavBytes(chunk("bext", []byte("odd")), fmtChunk(1, 1, 8000, 16), chunk("LIST", []byte("x")), chunk("data", pcm))
	got, err := DecodeWAV(bytes.NewReader(data), 8000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 160 || math.Abs(float64(got[1])-1000.0/32768) > 1e-6 {
		t.Errorf("got %d samples (second %v), want 160 alternating ±1000/32768", len(got), got[1])
	}
}

func TestWriteWAVRoundTripsAndSoxAgrees(t *testing.T) {
	testenv.Need(t, "sox", "sox")
	dir := t.TempDir()
	path := filepath.Join(dir, "stereo.wav")
	w, err := CreateWAV(path, 8000, 2)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 2*160)
	for i := 0; i < 160; i++ {
		frame[2*i] = int16(8000 * math.Sin(2*math.Pi*float64(i)/16))
		frame[2*i+1] = 0
	}
	for i := 0; i < 50; i++ { // 1 s
		if err := w.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("soxi", path).CombinedOutput()
	if err != nil {
		t.Fatalf("soxi: %v\n%s", err, out)
	}
	for _, want := range []string{"Channels       : 2", "Sample Rate    : 8000", "00:00:01.00 = 8000 samples", "16-bit"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("soxi output lacks %q:\n%s", want, out)
		}
	}
	mono, err := ReadWAV(path, 8000)
	if err != nil {
		t.Fatal(err)
	}
	if len(mono) != 8000 {
		t.Fatalf("read back %d samples, want 8000", len(mono))
	}
	if want := float32(8000 * math.Sin(2*math.Pi*3/16) / 2 / 32768); math.Abs(float64(mono[3]-want)) > 1e-4 {
		t.Errorf("mixed-down sample %v, want %v (left/2)", mono[3], want)
	}
	if err := WriteWAV(filepath.Join(dir, "mono.wav"), 8000, 1, []int16{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if pcm, err := ReadWAV8k(filepath.Join(dir, "mono.wav")); err != nil || len(pcm) != 3 || pcm[2] != 3 {
		t.Errorf("WriteWAV/ReadWAV8k round trip: %v %v", pcm, err)
	}
}

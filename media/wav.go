package media

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/zaf/g711"
)

// WAV format tags (the first two bytes of the sub-format GUID for WAVE_FORMAT_EXTENSIBLE).
const (
	wavPCM        = 1
	wavFloat      = 3
	wavALaw       = 6
	wavMuLaw      = 7
	wavExtensible = 0xFFFE
)

// maxWAVBytes bounds the sample data read from one file (about 50 minutes of 16-bit stereo 44.1 kHz).
const maxWAVBytes = 512 << 20

// ReadWAV reads a WAV file and returns its audio mixed down to mono, as float32 in [-1, 1], resampled to rate.
// It reads PCM 8/16/24/32-bit, IEEE float 32/64, μ-law, A-law and WAVE_FORMAT_EXTENSIBLE of any rate and channel
// count. Errors name the file and the problem.
func ReadWAV(path string, rate int) ([]float32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError already names the file
	}
	defer f.Close()
	out, err := DecodeWAV(f, rate)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// ReadWAV8k reads a WAV file as 8 kHz mono 16-bit PCM, ready for NewPCMSource.
func ReadWAV8k(path string) ([]int16, error) {
	s, err := ReadWAV(path, SampleRate)
	if err != nil {
		return nil, err
	}
	return FloatToPCM(s), nil
}

// wavInfo describes the sample format of a WAV file.
type wavInfo struct {
	FormatTag     int // 1 PCM, 3 float, 6 A-law, 7 μ-law (the sub-format for WAVE_FORMAT_EXTENSIBLE)
	Channels      int
	SampleRate    int
	BitsPerSample int
}

// DecodeWAV decodes WAV data (see ReadWAV) to mono float32 at rate. Errors describe the problem without a file
// name; ReadWAV adds it.
func DecodeWAV(r io.ReadSeeker, rate int) ([]float32, error) {
	if rate <= 0 {
		return nil, fmt.Errorf("invalid target sample rate %d", rate)
	}
	mono, info, err := decodeWAVMono(r)
	if err != nil {
		return nil, err
	}
	if info.SampleRate == rate {
		return mono, nil
	}
	return Resample(mono, info.SampleRate, rate), nil
}

// decodeWAVMono parses the RIFF chunks and returns the samples mixed down to mono at the file's own rate.
func decodeWAVMono(r io.Reader) ([]float32, wavInfo, error) {
	br := bufio.NewReader(r)
	var hdr [12]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, wavInfo{}, errors.New("not a RIFF/WAVE file (too short)")
	}
	if string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		if string(hdr[0:4]) == "RF64" {
			return nil, wavInfo{}, errors.New("RF64 (64-bit WAV) is not supported")
		}
		return nil, wavInfo{}, errors.New("not a RIFF/WAVE file")
	}
	var info wavInfo
	var blockAlign int
	haveFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(br, ch[:]); err != nil {
			if !haveFmt {
				return nil, info, errors.New("no fmt chunk")
			}
			return nil, info, errors.New("no data chunk")
		}
		id := string(ch[0:4])
		size := int64(binary.LittleEndian.Uint32(ch[4:8]))
		switch id {
		case "fmt ":
			if size < 16 || size > 1<<16 {
				return nil, info, fmt.Errorf("fmt chunk of invalid size %d", size)
			}
			b := make([]byte, size+size&1)
			if _, err := io.ReadFull(br, b); err != nil {
				return nil, info, errors.New("truncated fmt chunk")
			}
			var err error
			info, blockAlign, err = parseFmt(b[:size])
			if err != nil {
				return nil, info, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, info, errors.New("data chunk before fmt chunk")
			}
			// Streamed files may carry a placeholder size (0 or 0xFFFFFFFF): read what is there.
			limit := size
			if size == 0 || size == 0xFFFFFFFF || size > maxWAVBytes {
				limit = maxWAVBytes
			}
			data, err := io.ReadAll(io.LimitReader(br, limit))
			if err != nil {
				return nil, info, fmt.Errorf("reading data chunk: %w", err)
			}
			data = data[:len(data)-len(data)%blockAlign]
			if len(data) == 0 {
				return nil, info, errors.New("no samples")
			}
			return mixDown(data, info, blockAlign), info, nil
		default:
			if _, err := io.CopyN(io.Discard, br, size+size&1); err != nil {
				if !haveFmt {
					return nil, info, errors.New("no fmt chunk")
				}
				return nil, info, errors.New("no data chunk")
			}
		}
	}
}

// parseFmt validates a fmt chunk and returns the format and the block alignment.
func parseFmt(b []byte) (wavInfo, int, error) {
	le := binary.LittleEndian
	tag := int(le.Uint16(b[0:2]))
	info := wavInfo{
		FormatTag:     tag,
		Channels:      int(le.Uint16(b[2:4])),
		SampleRate:    int(le.Uint32(b[4:8])),
		BitsPerSample: int(le.Uint16(b[14:16])),
	}
	blockAlign := int(le.Uint16(b[12:14]))
	if tag == wavExtensible {
		if len(b) < 40 {
			return info, 0, errors.New("WAVE_FORMAT_EXTENSIBLE fmt chunk too short")
		}
		// The sub-format GUID starts with the plain format tag. Valid bits only narrow the range: samples are
		// stored left-justified in the container, so they decode like full-width ones.
		info.FormatTag = int(le.Uint16(b[24:26]))
	}
	switch info.FormatTag {
	case wavPCM, wavFloat, wavALaw, wavMuLaw:
	default:
		return info, 0, fmt.Errorf("unsupported format tag %d", info.FormatTag)
	}
	if info.Channels <= 0 {
		return info, 0, fmt.Errorf("invalid channel count %d", info.Channels)
	}
	if info.SampleRate < 1000 || info.SampleRate > 768000 {
		return info, 0, fmt.Errorf("invalid sample rate %d", info.SampleRate)
	}
	// The container size comes from the block alignment; fall back to the bit depth when it is missing.
	bytesPer := 0
	if blockAlign > 0 && blockAlign%info.Channels == 0 {
		bytesPer = blockAlign / info.Channels
	} else {
		bytesPer = (info.BitsPerSample + 7) / 8
		blockAlign = bytesPer * info.Channels
	}
	ok := false
	switch info.FormatTag {
	case wavPCM:
		ok = bytesPer >= 1 && bytesPer <= 4
	case wavFloat:
		ok = bytesPer == 4 || bytesPer == 8
	case wavALaw, wavMuLaw:
		ok = bytesPer == 1
	}
	if !ok || blockAlign <= 0 {
		return info, 0, fmt.Errorf("unsupported sample size: format tag %d with %d bits (%d bytes per sample)",
			info.FormatTag, info.BitsPerSample, bytesPer)
	}
	return info, blockAlign, nil
}

// mixDown converts interleaved samples to mono float32 by averaging the channels.
func mixDown(data []byte, info wavInfo, blockAlign int) []float32 {
	nch := info.Channels
	bps := blockAlign / nch
	frames := len(data) / blockAlign
	out := make([]float32, frames)
	gain := 1 / float64(nch)
	le := binary.LittleEndian
	for i := 0; i < frames; i++ {
		var acc float64
		for c := 0; c < nch; c++ {
			s := data[i*blockAlign+c*bps : i*blockAlign+(c+1)*bps]
			var v float64
			switch info.FormatTag {
			case wavPCM:
				switch bps {
				case 1:
					v = (float64(s[0]) - 128) / 128
				case 2:
					v = float64(int16(le.Uint16(s))) / 32768
				case 3:
					v = float64(int32(uint32(s[0])<<8|uint32(s[1])<<16|uint32(s[2])<<24)) / 2147483648
				case 4:
					v = float64(int32(le.Uint32(s))) / 2147483648
				}
			case wavFloat:
				if bps == 4 {
					v = float64(math.Float32frombits(le.Uint32(s)))
				} else {
					v = math.Float64frombits(le.Uint64(s))
				}
				if math.IsNaN(v) {
					v = 0
				}
				v = math.Max(-1, math.Min(1, v))
			case wavALaw:
				v = float64(g711.DecodeAlawFrame(s[0])) / 32768
			case wavMuLaw:
				v = float64(g711.DecodeUlawFrame(s[0])) / 32768
			}
			acc += v
		}
		out[i] = float32(acc * gain)
	}
	return out
}

// WriteWAV writes 16-bit PCM samples (interleaved when channels > 1) to a new WAV file at path.
func WriteWAV(path string, rate, channels int, samples []int16) error {
	w, err := CreateWAV(path, rate, channels)
	if err != nil {
		return err
	}
	if err := w.Write(samples); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// WAVWriter streams 16-bit PCM to a WAV file; Close patches the sizes in the header.
type WAVWriter struct {
	f        *os.File
	bw       *bufio.Writer
	path     string
	channels int
	bytes    int64
	buf      []byte
	err      error
}

// CreateWAV creates (or truncates) path and writes a 16-bit PCM WAV header for rate and channels.
func CreateWAV(path string, rate, channels int) (*WAVWriter, error) {
	if rate <= 0 || channels <= 0 || channels > 64 {
		return nil, fmt.Errorf("%s: invalid WAV format: rate %d, %d channels", path, rate, channels)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := &WAVWriter{f: f, bw: bufio.NewWriterSize(f, 32<<10), path: path, channels: channels, buf: make([]byte, 0, 2*1024)}
	if _, err := w.bw.Write(wavHeader(rate, channels, 0)); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// Write appends interleaved samples (a multiple of the channel count).
func (w *WAVWriter) Write(samples []int16) error {
	if w.err != nil {
		return w.err
	}
	for len(samples) > 0 {
		n := min(len(samples), cap(w.buf)/2)
		b := w.buf[:2*n]
		for i, s := range samples[:n] {
			binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
		}
		if _, err := w.bw.Write(b); err != nil {
			w.err = fmt.Errorf("%s: %w", w.path, err)
			return w.err
		}
		w.bytes += int64(len(b))
		samples = samples[n:]
	}
	return nil
}

// Close flushes the data, writes the final sizes into the header and closes the file. It is safe to call twice.
func (w *WAVWriter) Close() error {
	if w.f == nil {
		return w.err
	}
	f := w.f
	w.f = nil
	err := w.bw.Flush()
	if err == nil && w.bytes&1 == 1 {
		_, err = f.Write([]byte{0})
	}
	if err == nil {
		var sz [4]byte
		binary.LittleEndian.PutUint32(sz[:], uint32(min(36+w.bytes+w.bytes&1, math.MaxUint32)))
		_, err = f.WriteAt(sz[:], 4)
		if err == nil {
			binary.LittleEndian.PutUint32(sz[:], uint32(min(w.bytes, math.MaxUint32)))
			_, err = f.WriteAt(sz[:], 40)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil && w.err == nil {
		w.err = fmt.Errorf("%s: %w", w.path, err)
	}
	return w.err
}

func wavHeader(rate, channels int, dataBytes uint32) []byte {
	h := make([]byte, 44)
	le := binary.LittleEndian
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], 36+dataBytes)
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], wavPCM)
	le.PutUint16(h[22:], uint16(channels))
	le.PutUint32(h[24:], uint32(rate))
	le.PutUint32(h[28:], uint32(rate*channels*2))
	le.PutUint16(h[32:], uint16(channels*2))
	le.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	le.PutUint32(h[40:], dataBytes)
	return h
}

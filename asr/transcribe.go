package asr

import (
	"context"
	"errors"
	"strings"
)

// Transcribe recognises a whole recording (16-bit mono PCM at rate) through a stream of r, feeding 20 ms frames
// as fast as the recogniser takes them, and joins the final results. domain selects the domain model.
func Transcribe(ctx context.Context, r Recognizer, pcm []int16, rate int, domain bool) (Result, error) {
	return TranscribeWith(ctx, r, pcm, StreamOptions{SampleRate: rate, Domain: domain})
}

// TranscribeWith is Transcribe with every stream option (Offline is always set).
func TranscribeWith(ctx context.Context, r Recognizer, pcm []int16, opts StreamOptions) (Result, error) {
	opts.Offline = true
	rate := opts.SampleRate
	if rate <= 0 {
		rate = 8000
	}
	st, err := r.NewStream(ctx, opts)
	if err != nil {
		return Result{}, err
	}
	var out Result
	var text []string
	collected := make(chan error, 1)
	go func() {
		var ferr error
		for res := range st.Results() {
			if res.Err != nil {
				ferr = res.Err
				continue
			}
			if res.Final && res.Text != "" {
				text = append(text, res.Text)
				out.Words = append(out.Words, res.Words...)
			}
		}
		collected <- ferr
	}()
	frame := rate / 50
	if frame < 1 {
		frame = 1
	}
	var werr error
	for i := 0; i < len(pcm) && werr == nil; i += frame {
		werr = st.Write(pcm[i:min(i+frame, len(pcm))])
	}
	// A little silence so the last words are not cut by the end of the file.
	silence := make([]int16, frame)
	for i := 0; i < 25 && werr == nil; i++ {
		werr = st.Write(silence)
	}
	cerr := st.Close()
	ferr := <-collected
	out.Text = strings.Join(text, " ")
	out.Final = true
	if err := errors.Join(werr, cerr, ferr); err != nil {
		return out, err
	}
	return out, nil
}

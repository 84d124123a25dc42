package media

import "testing"

func TestMutedRecorderWritesSilence(t *testing.T) {
	r := &recorder{q: make(chan stereoFrame, 2)}
	var f stereoFrame
	for i := range f.left {
		f.left[i], f.right[i] = 1000, -1000
	}
	r.muted.Store(true)
	r.push(&f)
	r.muted.Store(false)
	r.push(&f)
	if got := <-r.q; got != (stereoFrame{}) {
		t.Fatal("a muted recorder wrote audio")
	}
	if got := <-r.q; got != f {
		t.Fatal("an unmuted recorder lost the audio")
	}
}

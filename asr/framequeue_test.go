package asr

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A live stream's queue never makes the media path wait: once its buffers are all queued, frames are dropped and
// reported as dropped; what was queued is delivered in order, as copies.
func TestFrameQueueDropsWhenFullInsteadOfBlocking(t *testing.T) {
	q := newFrameQueue(2, 160, false)
	ctx := context.Background()
	frame := []int16{1, 2, 3}
	for i, wantDropped := range []bool{false, false, true, true} {
		frame[0] = int16(i)
		dropped, failure, err := q.put(ctx, frame)
		if dropped != wantDropped || failure != nil || err != nil {
			t.Fatalf("put %d: dropped %v, failure %v, err %v; want dropped %v and no error", i, dropped, failure, err, wantDropped)
		}
	}
	for i := range 2 {
		f := <-q.frames()
		if f[0] != int16(i) || len(f) != 3 {
			t.Fatalf("frame %d is %v", i, f)
		}
		q.recycle(f)
	}
	if dropped, _, _ := q.put(ctx, frame); dropped {
		t.Fatal("a recycled buffer was not reused")
	}
}

// An offline queue (files, not calls) waits for a free buffer instead of dropping, until its context ends.
func TestOfflineFrameQueueWaitsForRoom(t *testing.T) {
	q := newFrameQueue(1, 160, true)
	ctx, cancel := context.WithCancel(context.Background())
	if dropped, _, err := q.put(ctx, []int16{1}); dropped || err != nil {
		t.Fatalf("first put: dropped %v, err %v", dropped, err)
	}
	put := make(chan error, 1)
	go func() {
		dropped, _, err := q.put(ctx, []int16{2})
		if dropped {
			err = errors.New("dropped")
		}
		put <- err
	}()
	select {
	case err := <-put:
		t.Fatalf("put into a full offline queue returned at once (%v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	q.recycle(<-q.frames())
	if err := <-put; err != nil {
		t.Fatalf("put after room was made: %v", err)
	}
	go func() {
		_, _, err := q.put(ctx, []int16{3})
		put <- err
	}()
	cancel()
	if err := <-put; !errors.Is(err, ErrClosed) {
		t.Fatalf("put waiting when the context ended: %v, want ErrClosed", err)
	}
}

// Close lets the worker take what is still queued, waits until it has finished, and returns the error it failed
// with; a later put is refused with ErrClosed and that failure.
func TestFrameQueueCloseFlushesWaitsAndReportsTheFailure(t *testing.T) {
	q := newFrameQueue(4, 160, false)
	ctx := context.Background()
	for i := range 3 {
		q.put(ctx, []int16{int16(i)})
	}
	failure := errors.New("decoder broke")
	var got []int16
	go func() { // a worker: drains the queue, fails, sends nothing more, ends
		for f := range q.frames() {
			got = append(got, f[0])
			q.recycle(f)
		}
		q.fail(failure)
		close(q.results)
		close(q.done)
	}()
	closed := make(chan error, 1)
	go func() { closed <- q.Close() }()
	select {
	case err := <-closed:
		if err != failure {
			t.Fatalf("Close: %v, want the worker's failure", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return after the worker ended")
	}
	if len(got) != 3 || got[0] != 0 || got[2] != 2 {
		t.Fatalf("the worker got %v, want the 3 queued frames in order", got)
	}
	if r := <-q.Results(); r.Err != failure || !r.Final {
		t.Fatalf("last result %+v, want a final one carrying the failure", r)
	}
	if _, ok := <-q.Results(); ok {
		t.Fatal("results not closed")
	}
	dropped, f, err := q.put(ctx, []int16{9})
	if dropped || f != failure || !errors.Is(err, ErrClosed) {
		t.Fatalf("put after Close: dropped %v, failure %v, err %v; want ErrClosed with the failure", dropped, f, err)
	}
	if err := q.Close(); err != failure {
		t.Fatalf("second Close: %v", err)
	}
}

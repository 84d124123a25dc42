package asr

import (
	"context"
	"sync"
)

// frameQueue is what both engines' streams share between the media path that writes audio and the stream's
// goroutine (the worker) that recognises it: a bounded queue of frame copies in recycled buffers, the results,
// and the error the stream ended with. put never blocks a live stream: with no free buffer the frame is dropped
// (the caller counts it). Close ends the queue after the frames already in it and waits for the worker, which
// takes frames from frames(), gives each buffer back with recycle, sends its last results, then closes results
// and done.
type frameQueue struct {
	results chan Result
	done    chan struct{} // closed by the worker when it has finished
	offline bool          // put waits for a free buffer instead of dropping the frame (StreamOptions.Offline)

	mu     sync.Mutex
	closed bool
	queue  chan []int16
	free   chan []int16
	err    error // why the stream failed (what Close returns)
}

// newFrameQueue makes a queue of n buffers of frameLen samples' capacity (they grow for longer frames).
func newFrameQueue(n, frameLen int, offline bool) *frameQueue {
	q := &frameQueue{results: make(chan Result, 32), done: make(chan struct{}), offline: offline,
		queue: make(chan []int16, n), free: make(chan []int16, n)}
	for i := 0; i < n; i++ {
		q.free <- make([]int16, 0, frameLen)
	}
	return q
}

func (q *frameQueue) Results() <-chan Result { return q.results }

// put queues a copy of frame for the worker. A live stream never waits: with no free buffer the frame is dropped
// and dropped is true. An offline one waits for a buffer, or for ctx. After Close, or once ctx is done, it returns
// ErrClosed, with failure the error the stream failed with (nil if none) when it had already failed.
func (q *frameQueue) put(ctx context.Context, frame []int16) (dropped bool, failure, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || ctx.Err() != nil {
		return false, q.err, ErrClosed
	}
	if q.offline {
		select {
		case buf := <-q.free:
			q.queue <- append(buf[:0], frame...)
		case <-ctx.Done():
			return false, nil, ErrClosed
		}
		return false, nil, nil
	}
	select {
	case buf := <-q.free:
		q.queue <- append(buf[:0], frame...)
		return false, nil, nil
	default:
		return true, nil, nil
	}
}

// frames is what the worker reads; it is closed by Close once the frames in it are taken.
func (q *frameQueue) frames() <-chan []int16 { return q.queue }

// recycle gives a frame's buffer back once the worker is done with it.
func (q *frameQueue) recycle(f []int16) { q.free <- f }

// Close ends the queue (the worker still gets the frames in it), waits for the worker to finish and returns the
// error the stream failed with.
func (q *frameQueue) Close() error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.queue)
	}
	q.mu.Unlock()
	<-q.done
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// fail records err as the stream's error and sends it as a final result if there is room.
func (q *frameQueue) fail(err error) {
	q.mu.Lock()
	q.err = err
	q.mu.Unlock()
	select {
	case q.results <- Result{Final: true, Err: err}:
	default:
	}
}

package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkSaveCall is the cost of writing one complete record (synchronous=FULL on SQLite: a committed record
// is on disk), which bounds the records per second the Writer can absorb.
func BenchmarkSaveCall(b *testing.B) {
	for _, be := range []struct {
		name string
		open func(testing.TB, func(*Config)) (Store, Config)
	}{{"sqlite", openSQLiteForTest}, {"postgres", openPostgresForTest}} {
		b.Run(be.name, func(b *testing.B) {
			s, _ := be.open(b, nil)
			c := sampleCall("x", t0)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				c.ID = fmt.Sprintf("b%08d", i)
				c.StartedAt = t0.Add(time.Duration(i) * time.Second)
				if err := s.SaveCall(ctx, c); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkEnqueue is what the call path pays to hand a finished record over.
func BenchmarkEnqueue(b *testing.B) {
	w := NewWriterWith(nil, nil, nil, Config{QueueSize: 1 << 20})
	c := sampleCall("x", t0)
	b.ReportAllocs()
	for b.Loop() {
		if !w.Enqueue(c) {
			<-w.q // keep room: the benchmark measures the hand-over, not a full queue
			w.pending.Add(-1)
		}
	}
}

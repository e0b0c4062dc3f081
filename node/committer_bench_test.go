package node

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"

	"github.com/heliosdb/nano/storage"
)

// BenchmarkCommitter commits one-key batches through the committer alone
// (no SQL, no network), from 1 and 8 goroutines, without synchronous
// replication. Besides ns/op (dominated by the fsync) it reports the
// process's CPU time per commit (user+system, getrusage), the steady
// measure of the commit path's own cost on a loaded machine, and its
// context switches per commit.
//
//	go test -run '^$' -bench Committer -benchmem ./node/
func BenchmarkCommitter(b *testing.B) {
	for _, writers := range []int{1, 8} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			c, db, _ := openTestCommitter(b)
			kv := &storage.Batch{}
			kv.CreateBucket([]byte("kv"))
			if _, err := c.Commit(context.Background(), kv, 0); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			start, startCsw := cpuTime(), ctxSwitches()
			b.ResetTimer()
			var wg sync.WaitGroup
			per := b.N / writers
			for g := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range per {
						key := fmt.Sprintf("%d-%d", g, i)
						if _, err := c.Commit(context.Background(), putKV(key, "v"), db.AppliedLSN()); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if n := per * writers; n > 0 {
				b.ReportMetric(float64(cpuTime()-start)/1e3/float64(n), "cpu-µs/op")
				b.ReportMetric(float64(ctxSwitches()-startCsw)/float64(n), "csw/op")
			}
		})
	}
}

// ctxSwitches is the process's voluntary and involuntary context switches
// (getrusage): a goroutine hand-off that parks a thread costs one or more.
func ctxSwitches() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Nvcsw + ru.Nivcsw
}

// cpuTime is the process's user+system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

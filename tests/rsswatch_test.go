package tests

import (
	"sync"
	"time"
)

// rssWatch samples VmRSS of processes every 100 ms and keeps the peaks.
type rssWatch struct {
	pids map[string]int
	mu   sync.Mutex
	peak map[string]int64
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

func newRSSWatch(pids map[string]int) *rssWatch {
	w := &rssWatch{pids: pids, peak: map[string]int64{}, done: make(chan struct{})}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			for name, pid := range w.pids {
				v := vmRSS(pid)
				w.mu.Lock()
				w.peak[name] = max(w.peak[name], v)
				w.mu.Unlock()
			}
			select {
			case <-w.done:
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *rssWatch) stop() {
	w.once.Do(func() { close(w.done) })
	w.wg.Wait()
}

func (w *rssWatch) peaks() map[string]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int64{}
	for k, v := range w.peak {
		out[k] = v
	}
	return out
}

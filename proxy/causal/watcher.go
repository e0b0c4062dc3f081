package causal

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/proxy/backend"
)

// DialFunc opens a connection to the node named node.
type DialFunc func(ctx context.Context, node string) (*backend.Conn, error)

// Config configures a Watcher.
type Config struct {
	Nodes []string // configured node names
	Dial  DialFunc // required
	// Wait bounds one helios_wait_for_applied_lsn call (default 1s).
	Wait time.Duration
	// Backoff after a failed dial or query (default 500ms).
	Backoff time.Duration
	Logger  *slog.Logger // nil discards
}

// Watcher learns how far each node has applied the WAL, on demand.
type Watcher struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	applied map[string]lsn.LSN
	want    lsn.LSN       // the highest LSN a read has needed
	demand  chan struct{} // closed (and replaced) when want grows
	changed chan struct{} // closed (and replaced) when an applied LSN is published

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

// New returns a Watcher that has not started.
func New(cfg Config) *Watcher {
	if cfg.Wait <= 0 {
		cfg.Wait = time.Second
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Watcher{cfg: cfg, log: cfg.Logger, applied: map[string]lsn.LSN{}, demand: make(chan struct{}),
		changed: make(chan struct{}), stop: make(chan struct{})}
}

// Start runs one watch loop per node.
func (w *Watcher) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	w.wg.Go(func() {
		<-w.stop
		cancel()
	})
	for _, n := range w.cfg.Nodes {
		w.wg.Go(func() { w.loop(ctx, n) })
	}
}

// Close stops the loops and waits for them.
func (w *Watcher) Close() {
	w.once.Do(func() { close(w.stop) })
	w.wg.Wait()
}

// Applied returns how far node was last known to have applied (0 when
// not known).
func (w *Watcher) Applied(node string) lsn.LSN {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.applied[node]
}

// Changed returns a channel closed when an applied LSN is next published.
func (w *Watcher) Changed() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

// Need says a read waits for a node to have applied at: the loops of
// nodes known to be behind it ask their node.
func (w *Watcher) Need(at lsn.LSN) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if at > w.want {
		w.want = at
		close(w.demand)
		w.demand = make(chan struct{})
	}
}

// Forget drops what is known of node (its role or term changed: what it
// applied in an earlier term says nothing now).
func (w *Watcher) Forget(node string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.applied, node)
}

func (w *Watcher) publish(node string, at lsn.LSN) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.applied[node] = at
	close(w.changed)
	w.changed = make(chan struct{})
}

// pending returns the LSN to ask node for, or a channel to wait on until
// there is one.
func (w *Watcher) pending(node string) (lsn.LSN, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.want > w.applied[node] {
		return w.want, nil
	}
	return 0, w.demand
}

func (w *Watcher) loop(ctx context.Context, node string) {
	var conn *backend.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for {
		want, wait := w.pending(node)
		if wait != nil {
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return
			}
		}
		var err error
		if conn == nil {
			conn, err = w.cfg.Dial(ctx, node)
		}
		if err == nil {
			var at lsn.LSN
			if at, err = w.ask(ctx, conn, want); err == nil {
				w.publish(node, at)
				continue
			}
			conn.Close()
			conn = nil
		}
		if ctx.Err() != nil {
			return
		}
		w.log.Debug("causal: cannot ask a node how far it has applied", "node", node, "err", err)
		t := time.NewTimer(w.cfg.Backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// ask runs helios_wait_for_applied_lsn on conn.
func (w *Watcher) ask(ctx context.Context, conn *backend.Conn, want lsn.LSN) (lsn.LSN, error) {
	qctx, cancel := context.WithTimeout(ctx, w.cfg.Wait+5*time.Second)
	defer cancel()
	rows, err := conn.SimpleQuery(qctx, fmt.Sprintf("SELECT helios_wait_for_applied_lsn('%s', %d)", want, w.cfg.Wait.Milliseconds()))
	if err != nil {
		return 0, err
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return 0, fmt.Errorf("causal: helios_wait_for_applied_lsn returned %d rows", len(rows))
	}
	at, err := lsn.Parse(rows[0][0])
	if err != nil {
		return 0, fmt.Errorf("causal: helios_wait_for_applied_lsn returned %q: %w", rows[0][0], err)
	}
	return at, nil
}

package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"

	"github.com/heliosdb/nano/forward"
	"github.com/heliosdb/nano/httpapi"
	"github.com/heliosdb/nano/internal/fsutil"
	"github.com/heliosdb/nano/internal/httpauth"
	"github.com/heliosdb/nano/internal/pgauth"
	"github.com/heliosdb/nano/internal/tlsfiles"
	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/node/cluster"
	"github.com/heliosdb/nano/pgwire"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/exec/spill"
	"github.com/heliosdb/nano/sql/session"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/wal"
)

// Version is the product version reported by version() and the CLI.
const Version = "0.1.0"

// Node is one running database node. Create it with Open, serve with Run,
// stop with Shutdown (Run does that when its context ends).
type Node struct {
	cfg       Config
	log       *slog.Logger
	reg       *prometheus.Registry
	metrics   *nodeMetrics
	lock      *fsutil.Lock
	wal       *wal.Log
	db        *storage.DB
	committer *committer
	engine    *exec.Engine
	sessCfg   session.Config
	// stmtMemLimit is the per-statement memory limit in effect (0 = none).
	stmtMemLimit int64
	pg           *pgwire.Server
	tls          *tlsfiles.Server // the PostgreSQL port's certificate; nil = no TLS
	nativeCA     *tlsfiles.Pool   // with NativeTLS: the CAs peers must chain to
	// httpAdmit applies --hba-file to HTTP API requests (nil without it).
	httpAdmit func(user string, r *http.Request) (string, bool)
	scram     *pgauth.SCRAM // HTTP Basic checks (users.go)
	httpSrv   *http.Server
	// httpStop cancels the context of every HTTP request (POST /query
	// statements) when Shutdown's deadline passes.
	httpStop  context.CancelFunc
	pgLn      net.Listener
	httpLn    net.Listener
	nativeLn  net.Listener
	startedAt time.Time

	repl    *replication.Server // native port service; sync-commit tracking
	grpcSrv *grpc.Server
	standby *replication.Standby // nil unless following a primary

	fwdServer *forward.Server // runs standbys' forwarded transactions (forward.go)
	fwdClient *forward.Client // nil unless --write-forwarding
	// topoClient asks the primary for its topology (SHOW TOPOLOGY on a standby).
	topoClient *forward.Client

	roleMu  sync.Mutex // serialises promote, demote and lease grants
	stateMu sync.Mutex // serialises transitions of st (cluster.go)
	degMu   sync.Mutex // serialises the record of acknowledgements while degraded (degraded.go)
	degSeq  uint64     // the degradation recorded there (0: none)
	// gate refuses SQL while a restarted sync primary's WAL tail is not
	// released by synchronous replication (gate.go).
	gate gate

	mu           sync.Mutex
	st           cluster.State      // role, primary, cluster id, history, lease, fencing, peers (cluster.go)
	leaseTimer   *time.Timer        // calls leaseExpired
	bgCtx        context.Context    // set by Run; background tasks end with it
	bgCancel     context.CancelFunc // stops the background tasks Run started
	followCancel context.CancelFunc // stops the standby receiver
	followDone   chan struct{}
	bg           sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Open validates cfg, locks and opens the data directory, recovers by
// replaying the WAL into storage, and binds the listeners. Nothing is served
// until Run.
//
// Steps: validate → lock data dir → open WAL (repairs a torn tail) → open
// storage → load the cluster state → replay WAL records after storage's
// applied LSN (a primary; a standby's receiver applies them) → build the SQL
// engine and servers → bind listeners.
func Open(cfg Config) (_ *Node, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	n := &Node{cfg: cfg, log: log, reg: prometheus.NewRegistry(), startedAt: cfg.now(), scram: pgauth.NewSCRAM()}
	defer func() {
		if err != nil {
			n.abortOpen()
		}
	}()
	n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.metrics = newNodeMetrics(n.reg)
	if err := n.openStores(); err != nil {
		return nil, err
	}
	stored := n.db.AppliedLSN() // what the storage file holds (gate.go)
	if err := n.loadState(); err != nil {
		return nil, err
	}
	// A standby makes visible only the WAL its primary has released
	// (replication/standby.go): its local WAL past storage's LSN may hold
	// commits the primary never released, so the receiver applies it once
	// the primary says it may. Recovery only checks that it can.
	if err := n.replayRole(); err != nil {
		return nil, err
	}
	n.committer = newCommitter(n.wal, n.db, log, cfg.now, n.term, n.metrics)
	n.committer.readOnly = n.readOnly
	// Step 5 of the commit pipeline: synchronous replication releases a
	// group before it is visible (n.repl is built below, before any commit).
	// In async mode the release is immediate (the mode is fixed at start),
	// so there is none and the writer may publish a group itself.
	if n.cfg.ReplicationMode == ModeSync {
		n.committer.release = func(ctx context.Context, end lsn.LSN) error { return n.repl.WaitReleased(ctx, end) }
	}
	if err := n.buildSQL(); err != nil {
		return nil, err
	}
	if n.role() == RolePrimary {
		n.markOrphans() // before any session can write (sql/exec/reclaim.go)
	}
	if err := n.listen(); err != nil {
		return nil, err
	}
	if err := n.startReplication(); err != nil {
		return nil, err
	}
	if err := n.resumeDegraded(); err != nil {
		return nil, err
	}
	n.shutGateAfterRestart(stored)
	n.startForwarding()
	return n, nil
}

func (n *Node) openStores() error {
	if err := os.MkdirAll(n.cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("node: create data dir: %w", err)
	}
	lock, err := fsutil.LockDir(n.cfg.DataDir)
	if err != nil {
		return fmt.Errorf("node: %w (is another heliosdb-nano using --data-dir %s?)", err, n.cfg.DataDir)
	}
	n.lock = lock
	if err := n.wipeInterruptedBaseBackup(); err != nil {
		return err
	}
	n.wal, err = wal.Open(wal.Config{Dir: n.cfg.walDir(), SegmentSize: n.cfg.WALSegmentSize, Logger: n.log, Registerer: n.reg, SyncMark: n.cfg.WALSyncMark})
	if err != nil {
		return fmt.Errorf("node: open wal: %w", err)
	}
	n.db, err = storage.Open(storage.Config{Path: n.cfg.dbPath(), Logger: n.log, Registerer: n.reg, FlushInterval: n.cfg.StorageFlushInterval,
		MergeStepKeys: n.cfg.StorageMergeStepKeys})
	if err != nil {
		return fmt.Errorf("node: open storage: %w", err)
	}
	return nil
}

func (n *Node) buildSQL() error {
	if err := spill.CleanDir(n.cfg.tmpDir()); err != nil {
		return fmt.Errorf("node: clean temporary files: %w", err)
	}
	avail := availableMemory()
	limit := statementMemoryLimit(n.cfg.StatementMemoryLimit, avail)
	n.stmtMemLimit = limit
	n.log.Info("statement memory limit", "bytes", limit)
	n.applyMemoryLimit(limit, avail)
	var err error
	n.engine, err = exec.NewEngine(exec.Config{
		TempDir:              n.cfg.tmpDir(),
		StatementMemoryLimit: limit,
		Snapshots:            gatedSnapshots{DB: n.db, gate: &n.gate},
		Committer:            n.committer,
		Logger:               n.log,
		Now:                  n.cfg.Now,
		Functions:            n.functions(),
		VirtualTables:        n.virtualTables(),
		BootstrapUser:        n.cfg.User,
		Signal:               n.signalBackend,
		TableReads:           n.tableReads,
		ServerVersion:        fmt.Sprintf("PostgreSQL 15.0 (HeliosDB Nano %s) on x86_64-pc-linux-gnu, compiled by Go", Version),
	})
	if err != nil {
		return fmt.Errorf("node: sql engine: %w", err)
	}
	running := new(atomic.Int64)
	n.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "helios_statements_running",
		Help: "SQL statements executing now on this node, from any client (PostgreSQL protocol, HTTP API, forwarded from standbys).",
	}, func() float64 { return float64(running.Load()) }))
	n.sessCfg = session.Config{Engine: n.engine, ServerVersion: "15.0", Logger: n.log, Now: n.cfg.Now, ReadOnly: n.readOnly,
		Running: running, Settings: map[string]string{
			"max_connections":                strconv.Itoa(n.cfg.MaxConnections),
			"superuser_reserved_connections": strconv.Itoa(n.cfg.SuperuserReservedConnections),
		}}
	var tlsCfg *tls.Config
	if n.cfg.TLSCertFile != "" {
		if n.tls, err = tlsfiles.Load(n.cfg.TLSCertFile, n.cfg.TLSKeyFile); err != nil {
			return &ConfigError{Key: "tls-cert-file", Reason: err.Error()}
		}
		tlsCfg = n.tls.Config()
	}
	if n.cfg.NativeTLS {
		if n.nativeCA, err = tlsfiles.LoadPool(n.cfg.NativeTLSCAFile); err != nil {
			return &ConfigError{Key: "native-tls-ca-file", Reason: err.Error()}
		}
	}
	rules, err := n.hbaRules()
	if err != nil {
		return err
	}
	if a, ok := rules.(hbaAdapter); ok {
		n.httpAdmit = a.admitHTTP
	}
	n.pg, err = pgwire.NewServer(pgwire.Config{
		TLSConfig:      tlsCfg,
		RequireTLS:     n.cfg.TLSRequired,
		AuthMethod:     n.cfg.AuthMethod,
		Rules:          rules,
		Users:          nodeUsers{n},
		StartupTimeout: n.cfg.AuthenticationTimeout,
		MaxConnections: n.cfg.MaxConnections,
		// The reserved slots keep room for superusers (users.go).
		ReservedConnections: n.cfg.SuperuserReservedConnections,
		IsSuperuser:         n.isSuperuser,
		MaxMessageSize:      n.cfg.MaxMessageSize,
		Logger:              n.log,
		Registerer:          n.reg,
	}, sessionFactory{n})
	if err != nil {
		return fmt.Errorf("node: pgwire: %w", err)
	}
	return nil
}

// ReloadTLS re-reads the PostgreSQL port's certificate and key files (on
// SIGHUP), and with NativeTLS the CA file; new connections (of every port)
// use them, and a failed reload keeps the current ones. Without TLS it
// does nothing.
func (n *Node) ReloadTLS() error {
	if n.tls == nil {
		return nil
	}
	var caErr error
	if n.nativeCA != nil {
		caErr = n.nativeCA.Reload()
	}
	return errors.Join(n.tls.Reload(), caErr)
}

func (n *Node) listen() error {
	var err error
	n.pgLn = n.cfg.PGListener
	if n.pgLn == nil {
		if n.pgLn, err = net.Listen("tcp", net.JoinHostPort(n.cfg.Listen, strconv.Itoa(n.cfg.PGPort))); err != nil {
			return &ConfigError{Key: "pg-port", Reason: err.Error()}
		}
	}
	n.httpLn = n.cfg.HTTPListener
	if n.httpLn == nil && n.cfg.HTTPPort != 0 {
		if n.httpLn, err = net.Listen("tcp", net.JoinHostPort(n.cfg.Listen, strconv.Itoa(n.cfg.HTTPPort))); err != nil {
			return &ConfigError{Key: "http-port", Reason: err.Error()}
		}
	}
	if n.httpLn != nil {
		base, stop := context.WithCancel(context.Background())
		n.httpStop = stop
		n.httpSrv = newHTTPServer(httpapi.NewHandler(httpBackend{n}, httpapi.Options{
			Gatherer: n.reg, ProtectMetrics: n.cfg.ProtectMetrics, Logger: n.log,
			Auth: httpauth.Config{Check: n.checkPassword, Token: n.cfg.AdminToken, None: n.cfg.AdminAuth == AdminAuthNone, Admit: n.httpAdmit, Logger: n.log},
		}))
		n.httpSrv.BaseContext = func(net.Listener) context.Context { return base }
	}
	return nil
}

// PGAddr is the address of the PostgreSQL listener.
func (n *Node) PGAddr() net.Addr { return n.pgLn.Addr() }

// HTTPAddr is the address of the HTTP listener, or nil when it is off.
func (n *Node) HTTPAddr() net.Addr {
	if n.httpLn == nil {
		return nil
	}
	return n.httpLn.Addr()
}

// CurrentLSN is the end of the durable WAL.
func (n *Node) CurrentLSN() lsn.LSN { return n.wal.FlushedLSN() }

// Run serves until ctx is done, then shuts down gracefully. It returns nil
// after a clean shutdown.
func (n *Node) Run(ctx context.Context) error {
	n.checkPeers(ctx) // a restarted primary, before it serves anything
	errc := make(chan error, 3)
	go func() { errc <- n.pg.Serve(n.pgLn) }()
	if n.httpSrv != nil {
		ln := n.httpLn
		if n.cfg.HTTPTLS && n.tls != nil {
			ln = tls.NewListener(ln, n.tls.Config())
		}
		go func() { errc <- n.httpSrv.Serve(ln) }()
	}
	go func() { errc <- n.grpcSrv.Serve(n.nativeLn) }()
	bgctx, cancel := context.WithCancel(context.Background())
	n.mu.Lock()
	n.bgCtx, n.bgCancel = bgctx, cancel
	n.mu.Unlock()
	n.goBackground(func() { n.checkpoints(bgctx) })
	n.goBackground(func() { n.reclaimOrphans(bgctx) })
	if end, shut := n.gate.pending(); shut {
		n.goBackground(func() { n.awaitRelease(bgctx, end) })
	}
	// Under roleMu: a demote arriving now must not interleave with this
	// start (it would re-point a receiver that is not running yet, and this
	// one would follow the old primary).
	n.roleMu.Lock()
	n.startFollowing()
	n.roleMu.Unlock()
	n.log.Info("node ready", "node_id", n.cfg.NodeID, "role", n.role(), "term", n.term(), "pg_addr", n.pgLn.Addr().String(),
		"native_addr", n.nativeLn.Addr().String(), "http_addr", addrString(n.HTTPAddr()), "data_dir", n.cfg.DataDir,
		"lsn", n.CurrentLSN().String(), "took", time.Since(n.startedAt).String())
	var runErr error
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, pgwire.ErrServerClosed) && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, grpc.ErrServerStopped) {
			runErr = fmt.Errorf("node: server stopped: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), n.cfg.ShutdownTimeout)
	defer cancel()
	if err := n.Shutdown(sctx); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

func (n *Node) goBackground(fn func()) {
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		fn()
	}()
}

// NativeAddr is the address of the native (replication) listener.
func (n *Node) NativeAddr() net.Addr { return n.nativeLn.Addr() }

func addrString(a net.Addr) string {
	if a == nil {
		return "off"
	}
	return a.String()
}

// Shutdown stops accepting connections, lets in-flight statements finish
// (idle sessions get 57P01), then stops the committer, fsyncs and closes the
// WAL and storage and releases the data directory. Safe to call twice.
func (n *Node) Shutdown(ctx context.Context) error {
	n.closeOnce.Do(func() {
		n.log.Info("shutting down")
		var errs []error
		if n.httpSrv != nil {
			errs = append(errs, n.shutdownHTTP(ctx))
		}
		if n.pg != nil {
			if err := n.pg.Shutdown(ctx); err != nil && !errors.Is(err, pgwire.ErrServerClosed) {
				errs = append(errs, err)
			}
		}
		n.stopForwarding()
		n.stopReplication()
		if n.committer != nil {
			n.committer.close()
		}
		errs = append(errs, n.closeStores())
		n.closeErr = errors.Join(errs...)
		n.log.Info("shutdown complete", "err", n.closeErr)
	})
	return n.closeErr
}

// shutdownHTTP lets HTTP requests finish until ctx ends, then cancels the
// statements still running and waits (briefly) for them to return, so
// that none outlives the stores.
func (n *Node) shutdownHTTP(ctx context.Context) error {
	err := n.httpSrv.Shutdown(ctx)
	if err == nil {
		return nil
	}
	n.httpStop()
	wctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = n.httpSrv.Shutdown(wctx)
	return err
}

func (n *Node) closeStores() error {
	var errs []error
	if n.wal != nil {
		errs = append(errs, n.wal.Close())
		n.wal = nil
	}
	if n.db != nil {
		errs = append(errs, n.db.Close())
		n.db = nil
	}
	if n.lock != nil {
		errs = append(errs, n.lock.Unlock())
		n.lock = nil
	}
	return errors.Join(errs...)
}

// stopReplication ends the streams (commits still waiting for a sync
// standby get 57P01), the native listener and the background tasks.
func (n *Node) stopReplication() {
	if n.repl != nil {
		n.repl.Close()
	}
	if n.grpcSrv != nil {
		n.grpcSrv.Stop()
	}
	n.mu.Lock()
	cancel := n.bgCancel
	n.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	n.bg.Wait()
}

// abortOpen releases what a failed Open acquired.
func (n *Node) abortOpen() {
	for _, l := range []net.Listener{n.pgLn, n.httpLn, n.nativeLn} {
		if l != nil {
			l.Close()
		}
	}
	if n.committer != nil {
		n.committer.close()
	}
	n.closeStores()
}

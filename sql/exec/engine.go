package exec

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/pgcatalog"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/ssi"
	"github.com/heliosdb/nano/sql/txn"
	"github.com/heliosdb/nano/sql/types"
	"github.com/heliosdb/nano/storage"
)

// SnapshotSource opens read views of the committed state.
type SnapshotSource interface {
	Snapshot() (*storage.Snapshot, error)
}

// Committer makes batches durable and visible.
type Committer interface {
	// Commit makes b durable and visible, or fails: 40001 on a write-write
	// conflict with a transaction committed after readLSN, 25006 on a
	// read-only node, 57P01 when shutting down. Writes to table and index
	// buckets (LockProtected) are made under row locks and checked against
	// the newest committed state by the transaction itself; the committer
	// need not (and, under READ COMMITTED, must not) check them against
	// readLSN. The transaction's locks are released only after Commit
	// returns, so a commit must be visible to new snapshots by then.
	Commit(ctx context.Context, b *storage.Batch, readLSN lsn.LSN) (lsn.LSN, error)
}

// VirtualTable is a read-only system view provided by the node.
type VirtualTable interface {
	Columns() []result.Column
	Rows(ctx context.Context) ([][]types.Datum, error)
}

// Function is an extra scalar function (volatile, any number of args).
type Function struct {
	Result types.T
	Fn     func(ctx context.Context, args []types.Datum) (types.Datum, error)
}

// Config configures an Engine.
type Config struct {
	Snapshots     SnapshotSource
	Committer     Committer
	Logger        *slog.Logger            // nil discards
	Now           func() time.Time        // nil = time.Now
	VirtualTables map[string]VirtualTable // by lower-case name
	Functions     map[string]Function     // by lower-case name
	ServerVersion string                  // version() text; "" = a default
	// System supplies pg_catalog and information_schema (nil = the
	// catalogs with no node state: one role, no sessions, no standbys).
	System *pgcatalog.System
	// TempDir holds the temporary files of operators that spill past
	// work_mem ("" = os.TempDir()). The node uses <data-dir>/tmp and
	// empties it at start (spill.CleanDir).
	TempDir string
	// StatementMemoryLimit bounds the memory one statement may hold, in
	// bytes (53200 beyond it); 0 = unlimited.
	StatementMemoryLimit int64
	// BootstrapUser is the node's configured user: a superuser that is not
	// stored (roles.go). "" = an engine without roles: a user that is not
	// a stored role is a superuser (tests, tools).
	BootstrapUser string
	// Signal cancels (terminate false) or terminates the running statement
	// of the backend with pid and reports whether one was found: it backs
	// pg_cancel_backend / pg_terminate_backend (nil = they find none).
	Signal func(pid int, terminate bool) bool
	// TableReads, when set, is asked before a statement that reads or
	// writes a table runs (Prepared.Open, after the privilege check), and
	// at each call of a function that reads or changes stored data:
	// nextval and setval of a sequence that is not temporary, the
	// pg_*_size functions (pgcatalog.Func.ReadsData). An error refuses the
	// statement. A fenced primary refuses them: its storage may hold
	// commits the cluster never confirmed. System views and catalogs stay
	// readable (the proxy's health probe), and so do currval and lastval
	// (the session's own memory of values it was already given). nil =
	// always allowed.
	TableReads func() error
	// ReclaimAbove: after a statement whose memory peaked above this many
	// bytes, the engine returns free memory to the OS (debug.FreeOSMemory,
	// in the background, one at a time) so RSS goes back near its
	// baseline. 0 = 64 MiB; negative = never.
	ReclaimAbove int64
	// Locks is the lock manager of row and advisory locks; nil = a new
	// one. Locks are in memory: a node gives its engine one while it is
	// primary (a standby takes none).
	Locks *lock.Manager
	// SSILimits bound the memory of SERIALIZABLE transactions' SIREAD
	// locks (zero = package ssi's defaults).
	SSILimits ssi.Limits
}

// Validate reports missing required fields.
func (c Config) Validate() error {
	if c.Snapshots == nil {
		return errors.New("exec: Config.Snapshots is required")
	}
	if c.Committer == nil {
		return errors.New("exec: Config.Committer is required")
	}
	return nil
}

// Engine plans and executes SQL. It is safe for concurrent use; each Txn
// is used by one goroutine at a time.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	cat    atomic.Pointer[catalog.Catalog]
	mu     sync.Mutex
	seqs   map[uint32]*seqCache
	rowids map[uint32]*int64
	rec    reclaimer
	// tempBytes counts bytes written to temporary files (TempBytesWritten).
	tempBytes atomic.Int64
	locks     *lock.Manager
	ssi       *ssi.Manager  // SERIALIZABLE transactions (serializable.go)
	owners    atomic.Uint64 // lock owners handed out by NewLockOwner
	xids      atomic.Uint64 // transaction numbers (deadlock reports)
	actMu     sync.Mutex
	activity  map[*Activity]struct{} // pg_stat_activity (activity.go)
	// idMu, nextID: object ids handed out (reserveID, stage.go).
	idMu   sync.Mutex
	nextID uint64
	// rowCounts: table sizes for the join planner (tableRows).
	rowCounts rowCountCache
	// temps: the temporary schemas of live sessions (temp.go).
	temps tempRegistry
	// orphans: what a node that became primary reclaims (reclaim.go).
	orphans orphanMarks
	// bulk: the running COPY FROM loads' key claims (copylocks.go).
	bulk bulkRegistry
	// ddlSeq counts committed catalog changes (catlock.go).
	ddlSeq atomic.Uint64
	// fates: what became of rows deleted or moved by commits that open
	// transactions may not see (sql/txn's rowfate.go).
	fates txn.Fates
}

// NewEngine returns an Engine over cfg.
func NewEngine(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, now: cfg.Now,
		seqs: map[uint32]*seqCache{}, rowids: map[uint32]*int64{}}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.cfg.ReclaimAbove == 0 {
		e.cfg.ReclaimAbove = 64 << 20
	}
	if e.cfg.System == nil {
		e.cfg.System = pgcatalog.New(pgcatalog.Config{BootstrapUser: cfg.BootstrapUser,
			Activity: e.backends, Locks: e.lockRows, BucketBytes: e.bucketBytes, DatabaseBytes: e.fileBytes,
			TempSchema: e.isTempSchemaOID, Signal: cfg.Signal, HasFunction: e.hasFunction})
	}
	e.locks = cfg.Locks
	if e.locks == nil {
		e.locks = lock.New()
	}
	e.ssi = ssi.New(cfg.SSILimits)
	e.xids.Store(700)
	if e.cfg.ServerVersion == "" {
		e.cfg.ServerVersion = "PostgreSQL 15.0 (HeliosDB Nano)"
	}
	return e, nil
}

// Begin starts a READ COMMITTED transaction on a fresh snapshot, with a
// lock owner of its own.
func (e *Engine) Begin(ctx context.Context, readOnly bool) (*Txn, error) {
	return e.BeginTx(ctx, TxOptions{ReadOnly: readOnly})
}

// BeginTx starts a transaction with opts on a fresh snapshot.
func (e *Engine) BeginTx(ctx context.Context, opts TxOptions) (*Txn, error) {
	t := &Txn{eng: e, ov: txn.NewWriteSet(), readOnly: opts.ReadOnly, start: e.now().Truncate(time.Microsecond), // as PostgreSQL's timestamps
		iso: opts.Isolation, owner: opts.Owner, pid: opts.PID}
	// Registered before the snapshot is taken, at most at its LSN, so no
	// fate the snapshot does not see is dropped meanwhile (sql/txn's rowfate.go).
	var from lsn.LSN
	if a, ok := e.cfg.Snapshots.(appliedSource); ok {
		from = a.AppliedLSN()
	}
	e.fates.Begin(t, from)
	if opts.Isolation == Serializable {
		if err := e.beginSerializable(ctx, t, opts.Deferrable); err != nil {
			e.fates.End(t)
			return nil, err
		}
	} else {
		snap, err := e.cfg.Snapshots.Snapshot()
		if err != nil {
			e.fates.End(t)
			return nil, err
		}
		t.view.Start(e.cfg.Snapshots, snap)
		t.writeLSN = snap.AppliedLSN()
	}
	if t.owner == 0 {
		t.owner, t.ownOwner = e.NewLockOwner(), true
	}
	t.ssx.SetOwner(uint64(t.owner))
	return t, nil
}

// NewLockOwner returns a lock owner id unique in this engine: a session
// takes one for its lifetime (advisory locks outlive transactions) and
// gives it back with ReleaseLockOwner.
func (e *Engine) NewLockOwner() lock.OwnerID { return lock.OwnerID(e.owners.Add(1)) }

// ReleaseLockOwner releases every lock of o (its session ended).
func (e *Engine) ReleaseLockOwner(o lock.OwnerID) { e.locks.ReleaseAll(o) }

// Locks returns the engine's lock manager.
func (e *Engine) Locks() *lock.Manager { return e.locks }

// loadCatalog returns the catalog visible in snap, from the cache when the
// version matches.
func (e *Engine) loadCatalog(r kvReader) (*catalog.Catalog, error) {
	v := catalog.DecodeUint64(r.get(catalog.BucketCatalog, catalog.KeyVersion))
	if c := e.cat.Load(); c != nil && c.Version == v {
		return c, nil
	}
	c, err := e.readCatalog(r, v)
	if err != nil {
		return nil, err
	}
	if old := e.cat.Load(); old == nil || old.Version < v {
		e.cat.Store(c)
	}
	return c, nil
}

// kvReader is the read side shared by snapshots and transactions.
type kvReader interface {
	get(bucket, key []byte) []byte
	scan(bucket []byte, fn func(k, v []byte))
}

func (e *Engine) readCatalog(r kvReader, v uint64) (*catalog.Catalog, error) {
	entries := map[string][]byte{}
	r.scan(catalog.BucketCatalog, func(k, v []byte) { entries[string(k)] = v })
	c, err := catalog.Load(v, entries)
	if err != nil {
		return nil, err
	}
	e.addBootstrapRole(c)
	return c, nil
}

// ResetCaches forgets the cached catalog and the sequence and row-id
// ranges. The node calls it when storage content is replaced wholesale (a
// standby re-seeded from a base backup) or before a standby starts writing
// (promotion): both caches are keyed on state that no longer holds.
func (e *Engine) ResetCaches() {
	e.cat.Store(nil)
	e.mu.Lock()
	e.seqs = map[uint32]*seqCache{}
	e.rowids = map[uint32]*int64{}
	e.mu.Unlock()
}

// addBootstrapRole adds the node's configured user to c: a superuser with
// OID 10 that is not stored (its password is the node's configuration).
func (e *Engine) addBootstrapRole(c *catalog.Catalog) {
	name := e.cfg.BootstrapUser
	if name == "" {
		return
	}
	c.Roles[name] = &catalog.Role{OID: catalog.BootstrapRoleOID, Name: name, Superuser: true, CreateRole: true,
		CreateDB: true, CanLogin: true, Replication: true, BypassRLS: true, ConnLimit: -1, Bootstrap: true}
}

// Catalog returns the committed catalog (roles included), for the
// authentication path and system views.
func (e *Engine) Catalog() (*catalog.Catalog, error) {
	snap, err := e.cfg.Snapshots.Snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	return e.loadCatalog(snapReader{snap})
}

// bucketBytes and fileBytes measure storage on a fresh snapshot for the
// pg_*_size functions (sizes are not transactional in PostgreSQL either).
func (e *Engine) bucketBytes(bucket []byte) int64 {
	snap, err := e.cfg.Snapshots.Snapshot()
	if err != nil {
		return 0
	}
	defer snap.Close()
	return snap.BucketBytes(bucket)
}

func (e *Engine) fileBytes() int64 {
	snap, err := e.cfg.Snapshots.Snapshot()
	if err != nil {
		return 0
	}
	defer snap.Close()
	return snap.FileBytes()
}

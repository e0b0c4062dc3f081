package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgcatalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/storage"
)

// Temporary tables (CREATE TEMP TABLE). A session's temporary relations
// live in its TempSpace: a private storage.DB on a file that is unlinked as
// soon as it is opened, so nothing of it survives the process (kill -9
// included) and nothing of it enters the WAL, the node's storage or a
// standby. Its schema is pg_temp_N (N the lowest slot free on the node, as
// PostgreSQL's backend number), its relations are named "pg_temp_N.rel"
// like those of any schema (catalog/namespace.go), and their descriptors,
// buckets and sequence states use the same bucket and key names as
// permanent ones — only in the TempSpace's file:
//
//   - descriptor IDs and OIDs of temporary objects are tempIDBase and up
//     (an engine counter, never persisted), so "t/<id>" and "i/<id>" tell a
//     temporary bucket from a permanent one (isTempBucket);
//   - catalog keys ("table/pg_temp_N.rel", "seq/…", "nsp/pg_temp_N") and
//     sequence keys carry the schema name (isTempKey).
//
// A transaction writes to its overlay as for any table (savepoints and
// rollback work unchanged) and reads temporary keys from a snapshot of the
// TempSpace instead of the node's (Txn.baseFor); at commit splitTemp cuts
// the batch in two: the temporary part is applied to the TempSpace after
// the rest has been committed, and a batch whose only permanent content is
// the catalog version bump of a temporary DDL is not committed at all.
// Each session sees the committed catalog merged with its own temporary
// descriptors (TempSpace.merged); other sessions never see them.

// tempIDBase is the first descriptor ID and OID of temporary objects.
// Permanent IDs count up from 16384 and would need 1.8 billion objects to
// reach it; it stays below 2^31 so that an OID compares with an integer
// as PostgreSQL's do.
const tempIDBase = 0x70000000

// tempSchemaPrefix starts the name of every temporary schema (CREATE
// SCHEMA refuses names starting with "pg_"); pgcatalog owns the name.
const tempSchemaPrefix = pgcatalog.TempSchemaPrefix

// isTempName reports whether the catalog name of a relation is in a
// temporary schema.
func isTempName(name string) bool { return strings.HasPrefix(name, tempSchemaPrefix) }

// isTempBucket reports whether name is the row or index bucket of a
// temporary table.
func isTempBucket(name []byte) bool {
	if len(name) < 3 || name[1] != '/' || name[0] != 't' && name[0] != 'i' {
		return false
	}
	id, err := strconv.ParseUint(string(name[2:]), 10, 32)
	return err == nil && id >= tempIDBase
}

// tempCatalogPrefixes are the BucketCatalog key prefixes of temporary
// descriptors.
var tempCatalogPrefixes = [][]byte{
	[]byte("table/" + tempSchemaPrefix), []byte("seq/" + tempSchemaPrefix),
	[]byte("view/" + tempSchemaPrefix), []byte("nsp/" + tempSchemaPrefix),
}

// isTempKey reports whether bucket/key belongs to a TempSpace (key nil:
// whether the whole bucket does).
func isTempKey(bucket, key []byte) bool {
	switch {
	case isTempBucket(bucket):
		return true
	case key == nil:
		return false
	case bytes.Equal(bucket, catalog.BucketCatalog):
		for _, p := range tempCatalogPrefixes {
			if bytes.HasPrefix(key, p) {
				return true
			}
		}
	case bytes.Equal(bucket, catalog.BucketSeq):
		return bytes.HasPrefix(key, []byte(tempSchemaPrefix))
	}
	return false
}

// isTempOp reports whether op writes a TempSpace.
func isTempOp(op *storage.Op) bool {
	if op.Kind == storage.OpCreateBucket || op.Kind == storage.OpDropBucket || op.Kind == storage.OpMoveBucket {
		return isTempBucket(op.Bucket)
	}
	return isTempKey(op.Bucket, op.Key)
}

// splitTemp cuts b into its permanent and temporary parts, in order. When
// the temporary part is not empty and the permanent one holds only the
// bookkeeping of a DDL (the catalog version, the system buckets' creation),
// the permanent part is empty: a temporary table's DDL commits nothing to
// the WAL.
func splitTemp(b *storage.Batch) (perm, temp *storage.Batch) {
	perm, temp = &storage.Batch{}, &storage.Batch{}
	for i := range b.Ops {
		if isTempOp(&b.Ops[i]) {
			temp.Ops = append(temp.Ops, b.Ops[i])
		} else {
			perm.Ops = append(perm.Ops, b.Ops[i])
		}
	}
	if temp.Len() > 0 && onlyBookkeeping(perm) {
		perm.Ops = nil
	}
	return perm, temp
}

// onlyBookkeeping reports whether every op of b is the catalog version
// bump or the creation of a system bucket (what bumpCatalog writes).
func onlyBookkeeping(b *storage.Batch) bool {
	for _, op := range b.Ops {
		switch {
		case op.Kind == storage.OpPut && bytes.Equal(op.Bucket, catalog.BucketCatalog) && bytes.Equal(op.Key, catalog.KeyVersion):
		case op.Kind == storage.OpCreateBucket && (bytes.Equal(op.Bucket, catalog.BucketCatalog) || bytes.Equal(op.Bucket, catalog.BucketSeq)):
		default:
			return false
		}
	}
	return true
}

// tempRegistry is the engine's record of the temporary schemas of live
// sessions: slot N -> the OID of pg_temp_N.
type tempRegistry struct {
	mu    sync.Mutex
	slots map[int]uint32
	next  uint32 // last temporary ID handed out, from tempIDBase
}

// allocTempID hands out a temporary descriptor ID or OID: one above every
// temporary ID a permanent column's default is bound to (seqbind.go), so
// that a binding left by a session that died with a node (or with another
// primary) never names a new session's sequence, whatever the counter
// restarted from.
func (e *Engine) allocTempID() uint32 {
	floor := uint32(0)
	if cat, err := e.Catalog(); err == nil {
		floor = maxTempBinding(cat)
	}
	r := &e.temps
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next = max(r.next, tempIDBase, floor)
	r.next++
	return r.next
}

// maxTempBinding is the largest temporary ID a default of cat's permanent
// tables is bound to (0 if none).
func maxTempBinding(cat *catalog.Catalog) uint32 {
	m := uint32(0)
	for name, tbl := range cat.Tables {
		if isTempName(name) {
			continue
		}
		for _, c := range tbl.Columns {
			for _, id := range c.DefaultSeqs {
				if id >= tempIDBase {
					m = max(m, id)
				}
			}
		}
	}
	return m
}

// takeTempSlot reserves the lowest free pg_temp_N for a schema with oid.
func (e *Engine) takeTempSlot(oid uint32) int {
	r := &e.temps
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.slots == nil {
		r.slots = map[int]uint32{}
	}
	n := 1
	for r.slots[n] != 0 {
		n++
	}
	r.slots[n] = oid
	return n
}

func (e *Engine) releaseTempSlot(n int) {
	e.temps.mu.Lock()
	delete(e.temps.slots, n)
	e.temps.mu.Unlock()
}

// isTempSchemaOID reports whether oid is the temporary schema of a live
// session.
func (e *Engine) isTempSchemaOID(oid uint32) bool {
	e.temps.mu.Lock()
	defer e.temps.mu.Unlock()
	for _, o := range e.temps.slots {
		if o == oid {
			return true
		}
	}
	return false
}

// TempSpace is one session's temporary tables (see above). The session
// makes it with Engine.NewTempSpace, gives it to each of its transactions
// (Txn.SetTempSpace) and closes it when it ends, which drops them all.
// Not safe for concurrent use: one session, one transaction at a time.
type TempSpace struct {
	eng     *Engine
	db      *storage.DB // nil until the first CREATE TEMP TABLE
	slot    int
	oid     uint32
	applied lsn.LSN
	// ver counts the applies: the merged catalog is cached for (base, ver).
	ver                 uint64
	cacheBase, cacheCat *catalog.Catalog
	cacheVer            uint64
	closed              bool
	// refuse: why no temporary table may be created now (a standby).
	refuse error
}

// SetRefusal sets the error a CREATE TEMP TABLE gets instead of creating
// the temporary schema (nil = none): a standby's session sets it.
func (s *TempSpace) SetRefusal(err error) { s.refuse = err }

// NewTempSpace returns an empty TempSpace of e; it costs nothing until a
// temporary table is created.
func (e *Engine) NewTempSpace() *TempSpace { return &TempSpace{eng: e} }

// SchemaName is "pg_temp_N", or "" before the first temporary table.
func (s *TempSpace) SchemaName() string {
	if s == nil || s.db == nil {
		return ""
	}
	return tempSchemaPrefix + strconv.Itoa(s.slot)
}

// SchemaOID is the OID of the session's temporary schema, 0 before the
// first temporary table (pg_my_temp_schema()).
func (s *TempSpace) SchemaOID() uint32 {
	if s == nil || s.db == nil {
		return 0
	}
	return s.oid
}

// open creates the private file (unlinked at once) and the temporary
// schema owned by owner.
func (s *TempSpace) open(owner uint32) error {
	if s.closed {
		return pgerror.New(pgerror.InvalidTransactionState, "the session's temporary space is closed")
	}
	dir := s.eng.cfg.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("exec: temporary tables: %w", err)
	}
	f, err := os.CreateTemp(dir, "temptables-*.db")
	if err != nil {
		return fmt.Errorf("exec: temporary tables: %w", err)
	}
	path := f.Name()
	_ = f.Close()
	db, err := storage.Open(storage.Config{Path: path, InitialMmapSize: 64 << 20})
	_ = os.Remove(path) // the open file lives on; the name never outlives the process
	if err != nil {
		return fmt.Errorf("exec: temporary tables: %w", err)
	}
	s.db, s.oid = db, s.eng.allocTempID()
	s.slot = s.eng.takeTempSlot(s.oid)
	b := &storage.Batch{}
	b.CreateBucket(catalog.BucketCatalog)
	b.CreateBucket(catalog.BucketSeq)
	name := s.SchemaName()
	b.Put(catalog.BucketCatalog, catalog.SchemaDescKey(name), catalog.EncodeSchema(&catalog.Schema{OID: s.oid, Name: name, Owner: owner}))
	return s.apply(b)
}

// apply writes b into the TempSpace's file.
func (s *TempSpace) apply(b *storage.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	s.applied++
	s.ver++
	if err := s.db.Apply(s.applied, b); err != nil {
		return fmt.Errorf("exec: temporary tables: %w", err)
	}
	return nil
}

// merged returns base with the session's temporary schema and relations
// added, cached until either changes.
func (s *TempSpace) merged(base *catalog.Catalog, snap *storage.Snapshot) (*catalog.Catalog, error) {
	if s.cacheBase == base && s.cacheVer == s.ver && s.cacheCat != nil {
		return s.cacheCat, nil
	}
	ts, err := s.db.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("exec: temporary tables: %w", err)
	}
	defer ts.Close()
	c, err := s.eng.readCatalog(mergedReader{main: snap, temp: ts}, base.Version)
	if err != nil {
		return nil, err
	}
	s.cacheBase, s.cacheCat, s.cacheVer = base, c, s.ver
	return c, nil
}

// mergedReader reads the node's snapshot with a TempSpace's keys added.
type mergedReader struct{ main, temp *storage.Snapshot }

func (r mergedReader) get(bucket, key []byte) []byte {
	if isTempKey(bucket, key) {
		return r.temp.Get(bucket, key)
	}
	return r.main.Get(bucket, key)
}

func (r mergedReader) scan(bucket []byte, fn func(k, v []byte)) {
	snapReader{r.main}.scan(bucket, fn)
	if bytes.Equal(bucket, catalog.BucketCatalog) {
		snapReader{r.temp}.scan(bucket, func(k, v []byte) {
			if isTempKey(bucket, k) {
				fn(k, v)
			}
		})
	}
}

// seqCommit advances or sets a temporary sequence at once (sequences are
// not transactional), as Engine.seqCommit does for permanent ones.
func (s *TempSpace) seqCommit(name string, f func(seqValue) []byte) error {
	snap, err := s.db.Snapshot()
	if err != nil {
		return fmt.Errorf("exec: temporary tables: %w", err)
	}
	cur := decodeSeq(snap.Get(catalog.BucketSeq, []byte(name)))
	_ = snap.Close()
	val := f(cur)
	if val == nil {
		return nil
	}
	b := &storage.Batch{}
	b.Put(catalog.BucketSeq, []byte(name), val)
	return s.apply(b)
}

// clearRows deletes every row and index entry of tbls (ON COMMIT DELETE
// ROWS).
func (s *TempSpace) clearRows(tbls []*catalog.Table) error {
	snap, err := s.db.Snapshot()
	if err != nil {
		return fmt.Errorf("exec: temporary tables: %w", err)
	}
	b := &storage.Batch{}
	for _, tbl := range tbls {
		buckets := [][]byte{catalog.TableBucket(tbl.ID)}
		for _, ix := range tbl.Indexes {
			buckets = append(buckets, catalog.IndexBucket(ix.ID))
		}
		for _, bk := range buckets {
			c := snap.Cursor(bk)
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				b.Delete(bk, append([]byte(nil), k...))
			}
		}
	}
	_ = snap.Close()
	return s.apply(b)
}

// Close drops the session's temporary tables: the file goes with its
// descriptor. Every transaction given the TempSpace must have ended.
func (s *TempSpace) Close() error {
	if s == nil || s.closed {
		return nil
	}
	s.closed = true
	if s.db == nil {
		return nil
	}
	var derr error
	if ids := s.tempSequenceIDs(); len(ids) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, derr = s.eng.dropTempDefaults(ctx, func(id uint32) bool { return slices.Contains(ids, id) })
		cancel()
		if derr != nil {
			derr = fmt.Errorf("exec: dropping the defaults bound to temporary sequences: %w", derr)
		}
	}
	s.eng.releaseTempSlot(s.slot)
	err := s.db.Close()
	s.db, s.cacheBase, s.cacheCat = nil, nil, nil
	return errors.Join(derr, err)
}

// SetTempSpace gives the transaction its session's temporary tables.
func (t *Txn) SetTempSpace(s *TempSpace) { t.temp = s }

// hasTemp reports whether the session has temporary tables to read.
func (t *Txn) hasTemp() bool { return t.temp != nil && t.temp.db != nil }

// tempSnap is the transaction's snapshot of its TempSpace (opened at the
// first read, closed at the end or when the TempSpace changes under it).
func (t *Txn) tempSnap() *storage.Snapshot {
	if t.tsnap == nil {
		s, err := t.temp.db.Snapshot()
		if err != nil {
			return t.view.Snapshot() // closed: reads as empty
		}
		t.tsnap = s
	}
	return t.tsnap
}

// closeTempSnap closes the TempSpace snapshot: before the TempSpace is
// written, and at the end of the transaction.
func (t *Txn) closeTempSnap() {
	if t.tsnap != nil {
		_ = t.tsnap.Close()
		t.tsnap = nil
	}
}

// baseFor is the committed state bucket/key is read from: the TempSpace's
// snapshot for a temporary key, the node's otherwise.
func (t *Txn) baseFor(bucket, key []byte) *storage.Snapshot {
	if t.hasTemp() && isTempKey(bucket, key) {
		return t.tempSnap()
	}
	return t.view.Snapshot()
}

// ensureTemp creates the session's temporary schema if it does not exist
// yet (the first CREATE TEMP TABLE).
func (t *Txn) ensureTemp() error {
	if t.temp == nil {
		return pgerror.New(pgerror.FeatureNotSupported, "temporary tables are not supported here").
			WithHint("Create an ordinary table and drop it when done.")
	}
	if t.temp.db != nil {
		return nil
	}
	if t.temp.refuse != nil {
		return t.temp.refuse
	}
	t.closeTempSnap()
	if err := t.temp.open(t.currentRoleOID()); err != nil {
		return err
	}
	t.cat = nil
	return nil
}

// commitTemp applies the temporary part of a committed batch and the ON
// COMMIT DELETE ROWS of the session's tables.
func (t *Txn) commitTemp(temp *storage.Batch, clear []*catalog.Table) error {
	if !t.hasTemp() {
		return nil
	}
	t.closeTempSnap()
	if err := t.temp.apply(temp); err != nil {
		return err
	}
	if len(clear) > 0 {
		return t.temp.clearRows(clear)
	}
	return nil
}

// onCommitTemp carries out ON COMMIT DROP in the overlay before the batch
// is built, and returns the tables to empty after it is applied (ON COMMIT
// DELETE ROWS).
func (t *Txn) onCommitTemp() ([]*catalog.Table, error) {
	if !t.hasTemp() {
		return nil, nil
	}
	cat, err := t.catalog()
	if err != nil {
		return nil, err
	}
	var clear []*catalog.Table
	for _, n := range cat.TableNames() {
		tbl := cat.Tables[n]
		if !isTempName(n) {
			continue
		}
		switch tbl.OnCommit {
		case catalog.OnCommitDrop:
			t.bumpCatalog()
			dropTableData(t, tbl)
			t.ov.Delete(catalog.BucketCatalog, catalog.TableKey(n))
			for _, sq := range tbl.Sequences {
				t.ov.Delete(catalog.BucketCatalog, catalog.SequenceKey(sq))
				t.ov.Delete(catalog.BucketSeq, []byte(sq))
			}
		case catalog.OnCommitDeleteRows:
			clear = append(clear, tbl)
		}
	}
	return clear, nil
}

// tempOnCommit is the Table.OnCommit of a CREATE TABLE of rv (resolved to
// the catalog name name) with ON COMMIT action a: 42P16 for ON COMMIT on
// a permanent table, as PostgreSQL.
func tempOnCommit(rv *pg_query.RangeVar, name string, a pg_query.OnCommitAction) (string, error) {
	temp := isTempName(name)
	if rv.GetRelpersistence() == "t" && !temp {
		return "", pgerror.New(pgerror.InvalidTableDefinition, "cannot create temporary relation in non-temporary schema")
	}
	switch a {
	case pg_query.OnCommitAction_ONCOMMIT_DELETE_ROWS, pg_query.OnCommitAction_ONCOMMIT_DROP:
		if !temp {
			return "", pgerror.New(pgerror.InvalidTableDefinition, "ON COMMIT can only be used on temporary tables")
		}
		if a == pg_query.OnCommitAction_ONCOMMIT_DROP {
			return catalog.OnCommitDrop, nil
		}
		return catalog.OnCommitDeleteRows, nil
	case pg_query.OnCommitAction_ONCOMMIT_PRESERVE_ROWS:
		if !temp {
			return "", pgerror.New(pgerror.InvalidTableDefinition, "ON COMMIT can only be used on temporary tables")
		}
	}
	return "", nil
}

// prepareTempCreate readies a CREATE [TEMP] TABLE [AS] / VIEW / SEQUENCE
// that makes a temporary relation (TEMP, or a name in schema pg_temp): the
// session's
// temporary schema is created if need be and the statement's catalog
// re-read to hold it. A TEMP relation named in another schema is 42P16.
func (b *builder) prepareTempCreate(n *pg_query.Node) error {
	var rv *pg_query.RangeVar
	switch v := n.Node.(type) {
	case *pg_query.Node_CreateStmt:
		rv = v.CreateStmt.Relation
	case *pg_query.Node_CreateTableAsStmt:
		if v.CreateTableAsStmt.Objtype == pg_query.ObjectType_OBJECT_TABLE {
			rv = v.CreateTableAsStmt.GetInto().GetRel()
		}
	case *pg_query.Node_SelectStmt:
		rv = v.SelectStmt.GetIntoClause().GetRel()
	case *pg_query.Node_ViewStmt:
		rv = v.ViewStmt.View
		b.viewSchemaGiven = rv.GetSchemaname() != ""
	case *pg_query.Node_CreateSeqStmt:
		rv = v.CreateSeqStmt.Sequence
	}
	if rv == nil || rv.Catalogname != "" {
		return nil
	}
	own := b.txn.temp.SchemaName()
	switch {
	case rv.Schemaname == "pg_temp" || own != "" && rv.Schemaname == own:
		rv.Relpersistence = "t"
	case rv.Relpersistence != "t":
		return nil
	case rv.Schemaname != "":
		return b.errAt(pgerror.New(pgerror.InvalidTableDefinition, "cannot create temporary relation in non-temporary schema"), rv.Location)
	}
	if err := b.txn.ensureTemp(); err != nil {
		return err
	}
	cat, err := b.txn.catalog()
	if err != nil {
		return err
	}
	b.cat = cat
	return nil
}

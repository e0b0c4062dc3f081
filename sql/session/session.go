package session

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // TimeZone names must resolve in static binaries without /usr/share/zoneinfo

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/sql/exec"
	"github.com/heliosdb/nano/sql/lock"
	"github.com/heliosdb/nano/sql/parser"
	"github.com/heliosdb/nano/sql/pgcatalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
)

// Session is one client connection's SQL state: parameters, prepared
// statements, portals and the transaction block. Its methods implement
// pgwire.Session. A Session is not safe for concurrent use: the caller
// makes one call at a time (Close included) and cancels ctx to interrupt
// a running call.
type Session struct {
	cfg  Config
	info result.StartupInfo
	log  *slog.Logger
	vars *gucs

	block blockState
	txn   *exec.Txn // nil until the block's first engine statement
	// Transaction characteristics of the current block: "" / nil = the
	// defaults (default_transaction_isolation / _read_only).
	txIso      string
	txReadOnly *bool
	txDefer    *bool // [NOT] DEFERRABLE; nil = default_transaction_deferrable
	txQueried  bool  // a statement used the snapshot: SET TRANSACTION is too late

	// lastInString: the statement running is the last of its simple-query
	// string (its tag may wait for the commit: heldTag).
	lastInString bool
	// multiString: the statement running is one of a simple-query string
	// of several, which PostgreSQL runs as an implicit transaction block.
	multiString bool
	// heldTag: the last statement of a simple query in an implicit block
	// wrote; its CommandComplete waits for the commit (output.go).
	heldTag *record
	// seqState is currval/lastval's memory, kept across transactions.
	seqState *exec.SeqState
	// temp: the session's temporary tables, dropped by Close (temp.go).
	temp *exec.TempSpace

	stmts   map[string]*statement
	portals map[string]*portal
	// sparePortal is the last dropped unnamed portal, reused by the next
	// Bind of one (dropPortal).
	sparePortal *portal
	cursors     map[string]*sqlCursor // DECLARE (cursor.go)
	closed      bool
	// savepoints: the open block's SAVEPOINTs, newest last (savepoint.go).
	savepoints []savepointFrame
	seq        uint64 // numbers cursors and portals in opening order

	fwd        ForwardTxn // the block's transaction on the primary (forward.go); nil when none
	lastCommit lsn.LSN    // see LastCommitLSN
	seen       lsn.LSN    // newest snapshot read by an ended transaction (reportedLSN)
	// paramSeen and paramSeenLSN are the reported values ParametersChanged
	// last saw (indexed like reportedGUCs).
	paramSeen    []string
	paramSeenLSN lsn.LSN
	// paramSeenGen is gucs.gen at that call; paramDyn indexes the
	// reported parameters dynamicVar answers (read on every call).
	paramSeenGen uint64
	paramDyn     []int
	// reportLSN caches whether helios.report_commit_lsn is on, computed at
	// gucs generation reportLSNGen-1 (0: never): reportedLSN runs at every
	// ReadyForQuery, and a lookup by name lower-cases it and searches
	// three maps.
	reportLSN    bool
	reportLSNGen uint64
	// stmtDone ends a statement counted in Config.Running (stmtContext).
	stmtDone func()
	// stmtTimeout and checkIv hold the parsed statement_timeout and
	// client_connection_check_interval.
	stmtTimeout, checkIv durationMemo
	// owner holds this session's locks: row locks until the transaction
	// ends, advisory session locks until unlocked or Close.
	owner lock.OwnerID
	// act is the session's row of pg_stat_activity.
	act *exec.Activity
	// plans is the simple-query plan cache (plancache.go) and litBuf
	// the literals of the query being normalised.
	plans  map[string]*cachedPlan
	litBuf []parser.Literal
}

// New returns a session for a client that said info at startup. Startup
// parameters that are configuration parameters (application_name,
// client_encoding, DateStyle, TimeZone, options "-c name=value", ...) are
// applied; an invalid value fails the session with the parameter's error.
func New(cfg Config, info result.StartupInfo) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg.withDefaults(), info: info,
		stmts: map[string]*statement{}, portals: map[string]*portal{}}
	s.log = s.cfg.Logger.With("user", info.User, "pid", info.ProcessID)
	s.owner = s.cfg.Engine.NewLockOwner()
	s.vars = newGucs(s.dynamicVar)
	fixed := map[string]string{
		"server_version":        s.cfg.ServerVersion,
		"server_version_num":    versionNum(s.cfg.ServerVersion),
		"session_authorization": info.User,
	}
	for k, v := range s.cfg.Settings {
		if d := s.vars.defs[strings.ToLower(k)]; d != nil && d.readOnly {
			fixed[d.name] = v
		}
	}
	for k, v := range fixed {
		s.vars.session[k], s.vars.reset[k] = v, v
	}
	s.vars.gen++
	if err := s.applyStartup(info.Params); err != nil {
		return nil, err
	}
	app, _ := s.vars.Get("application_name")
	s.act = s.cfg.Engine.RegisterBackend(s.owner, pgcatalog.Backend{PID: int(info.ProcessID), Database: info.Database,
		User: info.User, Application: app, ClientAddr: info.RemoteAddr, BackendStart: s.cfg.Now(), Changed: s.cfg.Now()})
	return s, nil
}

// applyStartup applies the startup packet's parameters. Unknown names are
// ignored (drivers send a few non-GUC keys), bad values are errors.
func (s *Session) applyStartup(params map[string]string) error {
	for k, v := range params {
		if k == "options" {
			if err := s.applyOptions(v); err != nil {
				return err
			}
			continue
		}
		if _, ok := s.vars.defs[strings.ToLower(k)]; !ok {
			s.log.Debug("ignoring startup parameter", "name", k)
			continue
		}
		if err := s.vars.setStartup(k, v); err != nil {
			return err
		}
	}
	return nil
}

// applyOptions parses the "options" startup parameter: command-line
// switches "-c name=value" or "--name=value", backslash escapes spaces.
func (s *Session) applyOptions(opts string) error {
	words := splitOptions(opts)
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-c" && i+1 < len(words):
			i++
			w = words[i]
		case strings.HasPrefix(w, "-c"):
			w = w[2:]
		case strings.HasPrefix(w, "--"):
			w = w[2:]
		default:
			return pgerror.Newf(pgerror.ProtocolViolation, "invalid command-line argument for server process: %s", w)
		}
		name, val, ok := strings.Cut(w, "=")
		if !ok {
			return pgerror.Newf(pgerror.SyntaxError, "-c %s requires a value", name)
		}
		if err := s.vars.setStartup(strings.ReplaceAll(name, "-", "_"), val); err != nil {
			return err
		}
	}
	return nil
}

func splitOptions(s string) []string {
	var out []string
	var cur strings.Builder
	esc := false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\':
			esc = true
		case r == ' ' || r == '\t':
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// dynamicVar answers the parameters whose value is not stored: the
// transaction-scoped ones and in_hot_standby.
func (s *Session) dynamicVar(name string) (string, bool) {
	switch name {
	case "database": // not GUCs: what current_database() and pg_backend_pid() read
		return s.info.Database, true
	case "backend_pid":
		return strconv.FormatUint(uint64(s.info.ProcessID), 10), true
	case "in_hot_standby":
		ro, _ := s.cfg.ReadOnly()
		return boolText(ro), true
	case "transaction_isolation":
		if s.txIso != "" {
			return s.txIso, true
		}
		return s.vars.session["default_transaction_isolation"], true
	case "transaction_read_only":
		return boolText(s.readOnlyTx()), true
	case "transaction_deferrable":
		return boolText(s.deferrableTx()), true
	}
	return "", false
}

// readOnlyTx reports whether the current (or next) transaction refuses
// writes: on a read-only node, or when asked for.
func (s *Session) readOnlyTx() bool {
	if ro, _ := s.cfg.ReadOnly(); ro {
		return true
	}
	return s.userReadOnly()
}

// deferrableTx reports whether the current (or next) transaction is
// DEFERRABLE (it matters only to READ ONLY SERIALIZABLE ones).
func (s *Session) deferrableTx() bool {
	if s.txDefer != nil {
		return *s.txDefer
	}
	b, _ := parseBool(s.vars.session["default_transaction_deferrable"])
	return b
}

// userReadOnly reports whether the client asked for a read-only
// transaction (BEGIN READ ONLY, default_transaction_read_only).
func (s *Session) userReadOnly() bool {
	if s.txReadOnly != nil {
		return *s.txReadOnly
	}
	b, _ := parseBool(s.vars.session["default_transaction_read_only"])
	return b
}

// checkWritable fails a writing statement with 25006 on a read-only node
// (with the node's hint) or in a read-only transaction — there unless it
// writes only temporary tables, as PostgreSQL allows.
func (s *Session) checkWritable(st *statement) error {
	if st.prep != nil && st.prep.RefusedInRecovery() {
		if ro, _ := s.cfg.ReadOnly(); ro {
			return pgerror.Newf(pgerror.ReadOnlySQLTransaction, "cannot execute %s during recovery", parser.CommandWord(st.ast))
		}
	}
	if st.readOnly() {
		return nil
	}
	word := parser.CommandWord(st.ast)
	if st.prep != nil {
		word = st.prep.CommandWord()
	}
	if ro, hint := s.cfg.ReadOnly(); ro {
		e := errReadOnlyTx(word)
		if hint != "" {
			e = e.WithHint("%s", hint)
		}
		return e
	}
	if s.readOnlyTx() && (st.prep == nil || !st.prep.WritesOnlyTemp()) {
		return errReadOnlyTx(word)
	}
	return nil
}

// activityStart marks the session active running sql (pg_stat_activity).
func (s *Session) activityStart(sql string) {
	var xs time.Time
	if s.txn != nil {
		xs = s.txn.StartTime()
	}
	s.act.Start(sql, s.cfg.Now(), xs)
}

// activityIdle marks the session idle (in a transaction block or not).
func (s *Session) activityIdle() {
	s.act.Idle(s.cfg.Now(), s.block == blockExplicit, s.block == blockFailed)
}

// TxStatus reports the status for ReadyForQuery.
func (s *Session) TxStatus() result.TxStatus { return s.block.txStatus() }

// ClientConnectionCheckInterval is client_connection_check_interval: how
// often pgwire checks, while a statement runs, that its client is still
// connected (0 = never, as in PostgreSQL; the default here is 250ms).
func (s *Session) ClientConnectionCheckInterval() time.Duration {
	return s.checkIv.get(s.vars, "client_connection_check_interval")
}

// ParametersChanged reports whether a GUC_REPORT parameter (or the
// reported commit LSN) may differ from what the previous call saw; pgwire
// asks before every ReadyForQuery and builds ParameterStatus's map only
// when it does. It allocates nothing when nothing changed.
func (s *Session) ParametersChanged() bool {
	changed := false
	if len(s.paramSeen) != len(reportedGUCs) {
		s.paramSeen = make([]string, len(reportedGUCs))
		s.paramDyn = s.paramDyn[:0]
		for i, r := range reportedGUCs {
			if _, ok := s.dynamicVar(r.key); ok {
				s.paramDyn = append(s.paramDyn, i)
			}
		}
		changed = true
	}
	seen := func(i int) {
		if v, _ := s.vars.get(reportedGUCs[i].key); v != s.paramSeen[i] {
			s.paramSeen[i] = v
			changed = true
		}
	}
	if changed || s.vars.gen != s.paramSeenGen {
		// A stored value may have changed: look at all of them.
		s.paramSeenGen = s.vars.gen
		for i := range reportedGUCs {
			seen(i)
		}
	} else {
		for _, i := range s.paramDyn {
			seen(i)
		}
	}
	at := s.reportedLSN()
	if at != s.paramSeenLSN {
		s.paramSeenLSN = at
		changed = true
	}
	return changed
}

// ParameterStatus returns the GUC_REPORT parameters and their values. The
// map is the caller's.
func (s *Session) ParameterStatus() map[string]string {
	m := s.vars.reported()
	if at := s.reportedLSN(); at != 0 {
		m[CommitLSNParam] = at.String()
	}
	return m
}

// reportedLSN is helios.commit_lsn when helios.report_commit_lsn is on (0
// otherwise): the newest LSN whose commits the session made or may have
// seen — its last commit, and the snapshots its statements read. A commit
// is visible on the primary before it is acknowledged (a sync standby may
// still be flushing it), so a read there can show a commit no client was
// told of yet; heliosdb-proxy's causal reads must then not send a later
// read to a standby that has not applied it. Reporting what reads saw, as
// well as commits, gives them that floor.
func (s *Session) reportedLSN() lsn.LSN {
	if s.reportLSNGen != s.vars.gen+1 {
		on, _ := s.vars.get(ReportCommitLSN)
		s.reportLSN, s.reportLSNGen = on == "on", s.vars.gen+1
	}
	if !s.reportLSN {
		return 0
	}
	at := max(s.lastCommit, s.seen)
	if s.txn != nil {
		at = max(at, s.txn.SeenLSN())
	}
	return at
}

// Close rolls back an open transaction and drops portals and statements.
// It is idempotent.
func (s *Session) Close() error {
	if s.closed {
		return nil
	}
	s.endBlock(false)
	s.closeCursors(func(*sqlCursor) bool { return true })
	s.cfg.Engine.UnregisterBackend(s.act)
	s.cfg.Engine.ReleaseLockOwner(s.owner)
	if err := s.temp.Close(); err != nil {
		s.log.Warn("dropping temporary tables", "err", err)
	}
	s.stmts = nil
	s.closed = true
	return nil
}

// ensureTxn starts the block's engine transaction if it has none.
func (s *Session) ensureTxn(ctx context.Context) error {
	s.txQueried = true
	if s.txn != nil {
		return nil
	}
	iso := s.isolation()
	if ro, _ := s.cfg.ReadOnly(); ro && iso == exec.Serializable {
		// Only default_transaction_isolation gets here: SET TRANSACTION
		// refuses SERIALIZABLE on a standby (setTxParam).
		return pgerror.New(pgerror.FeatureNotSupported, "cannot use serializable mode in a hot standby").
			WithDetail(`"default_transaction_isolation" is set to "serializable".`).
			WithHint(`You can use "SET default_transaction_isolation = 'repeatable read'" to change the default.`)
	}
	t, err := s.cfg.Engine.BeginTx(ctx, exec.TxOptions{ReadOnly: s.readOnlyTx(), Isolation: iso,
		Deferrable: s.deferrableTx(), Owner: s.owner, PID: s.info.ProcessID})
	if err != nil {
		return fmt.Errorf("session: begin: %w", err)
	}
	t.SetUser(s.info.User)
	t.SetTempSpace(s.tempSpace())
	if s.seqState == nil {
		s.seqState = &exec.SeqState{}
	}
	t.SetSeqState(s.seqState)
	if len(s.savepoints) > 0 {
		t.SetSavepoints(true) // frames set before the transaction mark its start
	}
	s.txn = t
	return nil
}

// isolation is the level of the current (or next) transaction.
func (s *Session) isolation() exec.Isolation {
	v, _ := s.dynamicVar("transaction_isolation")
	switch v {
	case "repeatable read":
		return exec.RepeatableRead
	case "serializable":
		return exec.Serializable
	}
	return exec.ReadCommitted
}

// beginImplicit opens an implicit block when none is open.
func (s *Session) beginImplicit() {
	if s.block != blockNone {
		return
	}
	s.block = blockImplicit
}

// endBlock ends the transaction block: the engine transaction is rolled
// back if still open (callers commit first), parameter changes are kept
// or undone, and portals (which belong to the transaction) are closed.
func (s *Session) endBlock(committed bool) {
	s.endForward()
	if s.txn != nil {
		s.seen = max(s.seen, s.txn.SeenLSN())
		s.txn.Rollback()
		s.txn = nil
	}
	s.vars.endBlock(committed)
	s.endCursors(committed)
	for name, p := range s.portals {
		s.dropPortal(name, p)
	}
	s.block = blockNone
	s.savepoints = nil
	s.txIso, s.txReadOnly, s.txDefer, s.txQueried = "", nil, nil, false
	s.heldTag = nil
}

// abort moves the block to its error state: an explicit block becomes
// failed (its transaction rolled back now, as PostgreSQL does — to the
// newest savepoint when it has savepoints), any other block ends.
func (s *Session) abort() {
	if len(s.savepoints) > 0 && (s.block == blockExplicit || s.block == blockFailed) {
		s.abortSubtransaction()
		return
	}
	next := onError(s.block)
	s.endBlock(false)
	s.block = next
}

// commitTxn commits the engine transaction if there is one.
func (s *Session) commitTxn(ctx context.Context) error {
	t := s.txn
	if t == nil {
		return nil
	}
	s.txn = nil
	s.seen = max(s.seen, t.SeenLSN())
	wrote := t.HasWrites()
	at, err := t.Commit(ctx)
	if err != nil {
		t.Rollback()
		return err
	}
	if wrote {
		s.lastCommit = at
	}
	return nil
}

// LastCommitLSN is the end LSN of the session's last commit that wrote
// something (0 when none): a standby that forwarded the transaction waits
// until it has applied it.
func (s *Session) LastCommitLSN() lsn.LSN { return s.lastCommit }

// commitImplicit commits an implicit block at the end of a query string
// or at Sync under statement_timeout, as PostgreSQL's timeout covers the
// commit that ends the statement: a commit still waiting before the WAL
// (behind held commits, node/held.go) ends with 57014, not committed.
// A forwarded block (write forwarding) commits on the primary as before.
func (s *Session) commitImplicit(ctx context.Context, w result.Writer) error {
	if s.fwd != nil {
		return s.commitBlock(ctx, w)
	}
	sctx, cancel := s.stmtContext(ctx)
	defer cancel()
	return mapCancel(ctx, sctx, s.commitBlock(sctx, w))
}

// commitBlock commits the current block, then sends the held
// CommandComplete (output.go). On failure the block is rolled back.
// Either way the block ends.
//
// w, when not nil, receives notices of the commit (write forwarding).
func (s *Session) commitBlock(ctx context.Context, w result.Writer) error {
	if s.fwd != nil {
		return s.commitForwarded(ctx, w)
	}
	err := s.holdCursors(ctx)
	if err == nil {
		err = s.commitTxn(ctx)
	}
	held := s.heldTag
	s.heldTag = nil
	if held != nil && err == nil {
		err = held.out.w.Complete(held.tag)
	}
	s.endBlock(err == nil)
	return err
}

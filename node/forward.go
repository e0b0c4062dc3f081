package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/replication"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/session"
	"github.com/heliosdb/nano/sql/types"
)

// Write forwarding (--write-forwarding; docs/replication.md).
//
// Both halves live here because both are glue between sql/session and the
// replication transport, which may not import each other:
//
//   - the standby's half (forwarder, forwardTxn) implements
//     session.Forwarder over replication.ForwardClient: it encodes
//     parameters, decodes rows, maps transport failures to SQLSTATEs and,
//     after a commit, waits until storage has applied the commit's LSN so
//     that the client reads its own write on this node;
//   - the primary's half (forwardBackend, forwardSession) implements
//     replication.ForwardBackend by running the statements in an ordinary
//     session.Session through the extended protocol, so they behave as
//     for a client of the primary.
//
// Every node serves the primary's half; the standby's half is on only
// with Config.WriteForwarding.

// startForwarding registers the Forwarding service on the native port and,
// with write forwarding on, gives sessions the forwarder. Called by Open
// after startReplication.
func (n *Node) startForwarding() {
	n.fwdServer = replication.RegisterForwarding(n.grpcSrv, forwardBackend{n}, n.log)
	// SHOW TOPOLOGY on a standby asks the primary (topology.go).
	n.topoClient = replication.NewForwardClient(replication.ForwardClientConfig{
		Secret: n.cfg.secret(), NodeID: n.cfg.NodeID, TLS: n.nativeTLS(), Primary: n.forwardTarget, Timeout: topologyTimeout, Logger: n.log,
	})
	if !n.cfg.WriteForwarding {
		return
	}
	n.fwdClient = replication.NewForwardClient(replication.ForwardClientConfig{
		Secret: n.cfg.secret(), NodeID: n.cfg.NodeID, TLS: n.nativeTLS(), Primary: n.forwardTarget, Timeout: n.cfg.WriteForwardingTimeout, Logger: n.log,
	})
	n.sessCfg.Forward = forwarder{n}
}

// stopForwarding rolls back the forwarded transactions this node runs for
// standbys and closes the connection to the primary.
func (n *Node) stopForwarding() {
	if n.fwdServer != nil {
		n.fwdServer.Close()
	}
	if n.fwdClient != nil {
		n.fwdClient.Close()
	}
	if n.topoClient != nil {
		n.topoClient.Close()
	}
}

// forwardTarget is the primary to forward to: the one this node follows,
// or none when it is itself primary.
func (n *Node) forwardTarget() string {
	if n.role() != RoleStandby {
		return ""
	}
	return n.primaryAddr()
}

// ---- standby side ----

type forwarder struct{ n *Node }

func (f forwarder) Begin(_ context.Context, info result.StartupInfo, params map[string]string, begin string) session.ForwardTxn {
	if f.n.forwardTarget() == "" {
		// A primary that refuses writes (fenced, lease lapsed) has nowhere
		// to forward them: its own 25006 and hint, at once.
		_, hint := f.n.readOnly()
		return refusedTxn{pgerror.New(pgerror.ReadOnlySQLTransaction, "cannot execute a write: this node refuses writes and follows no primary to forward them to").WithHint("%s", hint)}
	}
	return &forwardTxn{n: f.n, t: f.n.fwdClient.Begin(replication.ForwardOpen{User: info.User, Database: info.Database, Params: params, Begin: begin})}
}

// refusedTxn fails every call with err.
type refusedTxn struct{ err error }

func (r refusedTxn) Describe(context.Context, string, []types.Oid) (result.StatementDescription, error) {
	return result.StatementDescription{}, r.err
}
func (r refusedTxn) Exec(context.Context, session.ForwardStatement, result.Writer) error {
	return r.err
}
func (r refusedTxn) Commit(context.Context, result.Writer) error { return r.err }
func (r refusedTxn) Close()                                      {}

type forwardTxn struct {
	n *Node
	t *replication.ForwardTxn
}

func (f *forwardTxn) Describe(ctx context.Context, sql string, paramTypes []types.Oid) (result.StatementDescription, error) {
	d, err := f.t.Describe(ctx, replication.ForwardStatement{SQL: sql, ParamOIDs: paramTypes})
	if err != nil {
		return result.StatementDescription{}, f.sqlError(err)
	}
	desc := result.StatementDescription{ParamTypes: d.ParamOIDs}
	if d.ReturnsRows {
		desc.Columns = columnsFromForward(d.Columns)
	}
	return desc, nil
}

func (f *forwardTxn) Exec(ctx context.Context, st session.ForwardStatement, w result.Writer) error {
	params := make([]replication.ForwardValue, len(st.Params))
	oids := make([]uint32, len(st.ParamTypes))
	for i, t := range st.ParamTypes {
		oids[i] = t.Oid
		if i < len(st.Params) {
			params[i] = encodeForward(st.Params[i], t)
		}
	}
	rw := &rowDecoder{w: w, setCols: st.SetColumns}
	tag, at, err := f.t.Exec(ctx, replication.ForwardStatement{SQL: st.SQL, ParamOIDs: oids, Params: params, Commit: st.Commit}, rw)
	if err == nil && rw.err != nil {
		err = rw.err
	}
	if err != nil {
		// A statement that ran but whose commit failed (st.Commit) gets the
		// error only: PostgreSQL sends the last statement's CommandComplete
		// after the commit, so a client never sees a tag and then the error.
		return f.sqlError(err)
	}
	if st.Commit {
		f.n.waitApplied(ctx, at, w)
	}
	return w.Complete(tag)
}

func (f *forwardTxn) Commit(ctx context.Context, w result.Writer) error {
	at, err := f.t.End(ctx, true)
	if err != nil {
		return f.sqlError(err)
	}
	f.n.waitApplied(ctx, at, w)
	return nil
}

func (f *forwardTxn) Close() { f.t.Close() }

// waitApplied waits until storage has applied at, so that the session's
// next snapshot holds the forwarded commit. Bounded by
// WriteForwardingTimeout: the commit is durable on the primary either way,
// so running out of time is a warning, not an error (as PostgreSQL does
// when a synchronous-replication wait is cancelled).
func (n *Node) waitApplied(ctx context.Context, at lsn.LSN, w result.Writer) {
	if at == 0 || n.db.AppliedLSN() >= at {
		return
	}
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, n.cfg.WriteForwardingTimeout)
	defer cancel()
	if err := n.db.WaitApplied(wctx, at); err != nil {
		n.log.Warn("write forwarding: a forwarded commit is not applied here yet; answering anyway",
			"lsn", at.String(), "applied_lsn", n.db.AppliedLSN().String(), "took", time.Since(start).String(), "err", err)
		if nw, ok := w.(result.Noticer); ok {
			nw.Notice(&pgerror.Error{Code: pgerror.Warning, Severity: pgerror.SeverityWarning,
				Message: fmt.Sprintf("the transaction committed on the primary, but this standby has not applied it after %s", time.Since(start).Round(time.Millisecond)),
				Detail:  "Reads on this connection may not see the transaction's writes yet."})
		}
		return
	}
	n.metrics.forwardApplyWait.Observe(time.Since(start).Seconds())
}

// sqlError turns a forwarding error into the SQL error the client gets.
func (f *forwardTxn) sqlError(err error) error {
	var fe *replication.ForwardError
	if errors.As(err, &fe) {
		return pgErrorFromForward(fe)
	}
	var ff *replication.ForwardFailure
	if !errors.As(err, &ff) {
		return err // a cancelled context: the session reports 57014
	}
	primary := ff.Primary
	if primary == "" {
		primary = "(unknown)"
	}
	hint := fmt.Sprintf("This node (%s) is a standby of %s and forwards writes to it (--write-forwarding).", f.n.cfg.NodeID, primary)
	switch ff.Kind {
	case replication.ForwardNotPrimary:
		return pgerror.Newf(pgerror.ReadOnlySQLTransaction, "cannot forward the write: %s is not the primary (%v)", primary, ff.Err).
			WithHint("%s The primary is changing; retry shortly, or send writes through heliosdb-proxy.", hint)
	case replication.ForwardLost:
		return pgerror.Newf(pgerror.ConnectionFailure, "lost the connection to the primary %s while forwarding; the transaction was rolled back: %v", primary, ff.Err).
			WithHint("%s Retry the transaction.", hint)
	case replication.ForwardCommitUnknown:
		return pgerror.Newf(pgerror.TransactionResolutionUnknown, "lost the connection to the primary %s during commit: the transaction may or may not have committed: %v", primary, ff.Err).
			WithHint("%s Check whether its writes are there before retrying.", hint)
	}
	return pgerror.Newf(pgerror.SQLClientUnableToConnect, "cannot forward the write to the primary %s: no answer within %s: %v", primary, f.n.cfg.WriteForwardingTimeout, ff.Err).
		WithHint("%s Retry when the primary is back, or send writes through heliosdb-proxy.", hint)
}

func pgErrorFromForward(fe *replication.ForwardError) *pgerror.Error {
	return &pgerror.Error{Code: pgerror.Code(fe.Code), Severity: fe.Severity, Message: fe.Message, Detail: fe.Detail, Hint: fe.Hint,
		Position: fe.Position, TableName: fe.TableName, ColumnName: fe.ColumnName, ConstraintName: fe.ConstraintName}
}

func forwardFromPgError(err error) *replication.ForwardError {
	e := pgerror.Flatten(err)
	return &replication.ForwardError{Code: string(e.Code), Severity: e.Severity, Message: e.Message, Detail: e.Detail, Hint: e.Hint,
		Position: e.Position, TableName: e.TableName, ColumnName: e.ColumnName, ConstraintName: e.ConstraintName}
}

// rowDecoder turns forwarded results back into datums for the session's
// writer.
type rowDecoder struct {
	w       result.Writer
	setCols bool
	cols    []types.T
	row     []types.Datum
	err     error
}

func (r *rowDecoder) Columns(cols []replication.ForwardColumn) error {
	rc := columnsFromForward(cols)
	r.cols = make([]types.T, len(rc))
	for i, c := range rc {
		r.cols[i] = c.Type
	}
	if r.setCols {
		return r.w.SetColumns(rc)
	}
	return nil
}

func (r *rowDecoder) Row(values []replication.ForwardValue) error {
	if len(values) != len(r.cols) {
		r.err = pgerror.Newf(pgerror.ProtocolViolation, "write forwarding: row of %d values for %d columns", len(values), len(r.cols))
		return r.err
	}
	r.row = r.row[:0]
	for i, v := range values {
		d, err := decodeForward(v, r.cols[i])
		if err != nil {
			r.err = err
			return err
		}
		r.row = append(r.row, d)
	}
	return r.w.AddRow(r.row)
}

func (r *rowDecoder) Notice(n *replication.ForwardError) {
	if nw, ok := r.w.(result.Noticer); ok {
		nw.Notice(pgErrorFromForward(n))
	}
}

func columnsFromForward(cols []replication.ForwardColumn) []result.Column {
	out := make([]result.Column, len(cols))
	for i, c := range cols {
		out[i] = result.Column{Name: c.Name, Type: types.T{Oid: c.TypeOID, Mod: c.TypeMod}, TableOID: c.TableOID, AttrNum: c.AttrNum}
	}
	return out
}

func columnsToForward(cols []result.Column) []replication.ForwardColumn {
	out := make([]replication.ForwardColumn, len(cols))
	for i, c := range cols {
		out[i] = replication.ForwardColumn{Name: c.Name, TypeOID: c.Type.Oid, TypeMod: c.Type.Mod, TableOID: c.TableOID, AttrNum: c.AttrNum}
	}
	return out
}

// encodeForward encodes a datum in PostgreSQL's binary format, or in its
// text format (UTC) when the type has no binary one.
func encodeForward(d types.Datum, t types.T) replication.ForwardValue {
	if d == nil {
		return replication.ForwardValue{Null: true}
	}
	if types.HasBinary(t.Oid) {
		if b, err := types.AppendBinary(nil, d, t); err == nil {
			return replication.ForwardValue{Data: b}
		}
	}
	return replication.ForwardValue{Data: types.AppendText(nil, d, t), Text: true}
}

// decodeForward is encodeForward's inverse. A text value of a type
// without text input (arrays, time, records) stays text: the client gets
// the same characters.
func decodeForward(v replication.ForwardValue, t types.T) (types.Datum, error) {
	switch {
	case v.Null:
		return nil, nil
	case v.Text:
		if d, err := types.ParseText(t, string(v.Data)); err == nil {
			return d, nil
		}
		return string(v.Data), nil
	}
	return types.DecodeBinary(t, v.Data)
}

// ---- primary side ----

type forwardBackend struct{ n *Node }

// OpenForward starts a session for a standby's forwarded transaction. It
// cannot forward again (no Forward in its config).
func (b forwardBackend) OpenForward(ctx context.Context, open replication.ForwardOpen) (replication.ForwardSession, error) {
	n := b.n
	if ro, hint := n.readOnly(); ro || n.role() != RolePrimary {
		return nil, fmt.Errorf("%w: %s refuses writes: %s", replication.ErrForwardNotPrimary, n.cfg.NodeID, hint)
	}
	cfg := n.sessCfg
	cfg.Forward = nil
	s, err := session.New(cfg, result.StartupInfo{User: open.User, Database: open.Database, Params: open.Params,
		RemoteAddr: "forwarded from " + open.StandbyNodeID})
	if err != nil {
		return nil, forwardFromPgError(err)
	}
	if open.Begin != "" {
		if err := s.Query(ctx, open.Begin, &result.Buffer{}); err != nil {
			s.Close()
			return nil, forwardFromPgError(err)
		}
	}
	return &forwardSession{s: s}, nil
}

type forwardSession struct{ s *session.Session }

func (f *forwardSession) Describe(ctx context.Context, st replication.ForwardStatement) (replication.ForwardDescription, error) {
	d, err := f.s.Prepare(ctx, "", st.SQL, st.ParamOIDs)
	if err != nil {
		return replication.ForwardDescription{}, forwardFromPgError(err)
	}
	return replication.ForwardDescription{ParamOIDs: d.ParamTypes, Columns: columnsToForward(d.Columns), ReturnsRows: d.Columns != nil}, nil
}

// Exec runs one statement through the extended protocol (Parse, Bind,
// Execute), with each parameter in the format the standby sent it.
func (f *forwardSession) Exec(ctx context.Context, st replication.ForwardStatement, w replication.ForwardWriter) (string, error) {
	if _, err := f.s.Prepare(ctx, "", st.SQL, st.ParamOIDs); err != nil {
		return "", forwardFromPgError(err)
	}
	raw := make([][]byte, len(st.Params))
	formats := make([]int16, len(st.Params))
	for i, p := range st.Params {
		if !p.Null {
			raw[i] = p.Data
			if raw[i] == nil {
				raw[i] = []byte{}
			}
		}
		if !p.Text {
			formats[i] = 1
		}
	}
	if err := f.s.Bind(ctx, "", "", raw, formats, nil); err != nil {
		return "", forwardFromPgError(err)
	}
	cols, _, err := f.s.DescribePortal("")
	if err != nil {
		return "", forwardFromPgError(err)
	}
	ew := &rowEncoder{w: w}
	if cols != nil {
		for _, c := range cols {
			ew.cols = append(ew.cols, c.Type)
		}
		if err := w.Columns(columnsToForward(cols)); err != nil {
			return "", err
		}
	}
	if _, err := f.s.Execute(ctx, "", 0, ew); err != nil {
		return "", forwardFromPgError(err)
	}
	return ew.tag, nil
}

// End commits or rolls back: an explicit block with COMMIT/ROLLBACK, an
// implicit one with Sync (which retries a lost conflict as for any
// client).
func (f *forwardSession) End(ctx context.Context, commit bool) (lsn.LSN, error) {
	var err error
	switch {
	case !commit:
		f.s.Close()
	case f.s.TxStatus() == result.TxFailed:
		return 0, forwardFromPgError(pgerror.New(pgerror.InFailedSQLTransaction, "current transaction is aborted, commands ignored until end of transaction block"))
	case f.s.TxStatus() == result.TxInTx:
		err = f.s.Query(ctx, "COMMIT", &result.Buffer{})
	default:
		err = f.s.Sync(ctx)
	}
	if err != nil {
		return 0, forwardFromPgError(err)
	}
	return f.s.LastCommitLSN(), nil
}

func (f *forwardSession) Close() { f.s.Close() }

// rowEncoder is the result.Writer of a forwarded statement on the primary.
type rowEncoder struct {
	w    replication.ForwardWriter
	cols []types.T
	vals []replication.ForwardValue
	tag  string
}

func (e *rowEncoder) SetColumns([]result.Column) error { return nil }

func (e *rowEncoder) AddRow(row []types.Datum) error {
	e.vals = e.vals[:0]
	for i, d := range row {
		t := types.Unknown
		if i < len(e.cols) {
			t = e.cols[i]
		}
		e.vals = append(e.vals, encodeForward(d, t))
	}
	return e.w.Row(e.vals)
}

func (e *rowEncoder) Complete(tag string) error { e.tag = tag; return nil }

func (e *rowEncoder) Notice(n *pgerror.Error) { e.w.Notice(forwardFromPgError(n)) }

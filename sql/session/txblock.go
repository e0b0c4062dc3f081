package session

import (
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
)

// blockState is the transaction-block state of a session, PostgreSQL's
// TBLOCK_* states reduced to four: a block's savepoints (its
// subtransactions, savepoint.go) are a stack beside the state, and a failed
// block with savepoints leaves blockFailed by ROLLBACK TO.
type blockState int

const (
	// blockNone: no transaction block; the next statement starts one.
	blockNone blockState = iota
	// blockImplicit: the statements of one simple-query string, or of one
	// extended-protocol batch up to Sync, outside BEGIN. Ends at the end of
	// the string / at Sync (commit) or at the first error (rollback).
	blockImplicit
	// blockExplicit: after BEGIN, until COMMIT or ROLLBACK.
	blockExplicit
	// blockFailed: an explicit block that hit an error; every statement
	// but COMMIT/ROLLBACK fails with 25P02 until the block ends.
	blockFailed
)

func (b blockState) String() string {
	return [...]string{"none", "implicit", "explicit", "failed"}[b]
}

// txStatus is the ReadyForQuery status of a block state. An implicit
// block is never visible at ReadyForQuery time.
func (b blockState) txStatus() result.TxStatus {
	switch b {
	case blockExplicit:
		return result.TxInTx
	case blockFailed:
		return result.TxFailed
	}
	return result.TxIdle
}

// inTxBlock is PostgreSQL's IsTransactionBlock: after BEGIN, or in a
// simple-query string of several statements (an implicit block); a lone
// statement outside BEGIN is not in one.
func (s *Session) inTxBlock() bool {
	return s.block == blockExplicit || s.block == blockImplicit && s.multiString
}

// txAction is what a transaction-control statement asks the session to do
// with the current block.
type txAction int

const (
	actNone     txAction = iota // state change only
	actCommit                   // commit the block's transaction
	actRollback                 // roll the block's transaction back
)

// txOutcome is the pure result of a transaction-control statement.
type txOutcome struct {
	next    blockState
	action  txAction
	tag     string
	warning *pgerror.Error // WARNING notice to send, if any
}

var (
	warnInProgress = &pgerror.Error{Code: pgerror.ActiveSQLTransaction, Severity: pgerror.SeverityWarning,
		Message: "there is already a transaction in progress"}
	warnNoTx = &pgerror.Error{Code: pgerror.NoActiveSQLTransaction, Severity: pgerror.SeverityWarning,
		Message: "there is no transaction in progress"}
)

// errAborted is PostgreSQL's 25P02 text.
func errAborted() *pgerror.Error {
	return pgerror.New(pgerror.InFailedSQLTransaction,
		"current transaction is aborted, commands ignored until end of transaction block")
}

// onBegin is BEGIN / START TRANSACTION. An implicit block becomes
// explicit: the statements before BEGIN in the same string join it.
func onBegin(b blockState, tag string) (txOutcome, error) {
	switch b {
	case blockExplicit:
		return txOutcome{next: b, tag: tag, warning: warnInProgress}, nil
	case blockFailed:
		return txOutcome{}, errAborted()
	}
	return txOutcome{next: blockExplicit, tag: tag}, nil
}

// onCommit is COMMIT / END. In a failed block it rolls back and reports
// ROLLBACK; outside a block it warns. Inside an implicit block (a
// multi-statement string) it warns and commits what ran so far.
func onCommit(b blockState) txOutcome {
	switch b {
	case blockExplicit:
		return txOutcome{next: blockNone, action: actCommit, tag: "COMMIT"}
	case blockFailed:
		return txOutcome{next: blockNone, action: actRollback, tag: "ROLLBACK"}
	case blockImplicit:
		return txOutcome{next: blockNone, action: actCommit, tag: "COMMIT", warning: warnNoTx}
	}
	return txOutcome{next: blockNone, tag: "COMMIT", warning: warnNoTx}
}

// onRollback is ROLLBACK / ABORT.
func onRollback(b blockState) txOutcome {
	switch b {
	case blockExplicit, blockFailed:
		return txOutcome{next: blockNone, action: actRollback, tag: "ROLLBACK"}
	case blockImplicit:
		return txOutcome{next: blockNone, action: actRollback, tag: "ROLLBACK", warning: warnNoTx}
	}
	return txOutcome{next: blockNone, tag: "ROLLBACK", warning: warnNoTx}
}

// onError is the state after a statement failed: an explicit block is
// marked failed, an implicit one ends (rolled back).
func onError(b blockState) blockState {
	switch b {
	case blockExplicit, blockFailed:
		return blockFailed
	}
	return blockNone
}

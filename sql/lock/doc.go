// Package lock is the lock manager of a primary: row locks (SELECT … FOR
// UPDATE / NO KEY UPDATE / SHARE / KEY SHARE, and the locks UPDATE, DELETE
// and INSERT take on the rows and unique keys they write) and advisory
// locks, held by an owner (one session) until its transaction ends
// (transaction scope) or until it unlocks them (session scope).
//
// # Contract
//
// A lock is identified by an opaque Key string chosen by the caller
// (exec uses "r" + bucket + 0 + key for rows, "a" + 8 bytes for advisory
// locks). Modes follow PostgreSQL's row-lock conflict table (Conflicts);
// advisory locks use Shared (ForShare) and Exclusive (ForUpdate).
//
// Acquire grants at once when the request conflicts with no other
// owner's holding and with no other owner queued before it (so a stream of
// compatible requests cannot starve a queued writer); an owner that
// already holds the key ignores the queue (a re-grant or an upgrade).
// Otherwise, by Policy: NoWait fails with ErrWouldBlock, SkipLocked
// returns false, Wait queues the request until the holders release it, its
// context ends (the caller's cancel request, statement_timeout or
// lock_timeout: Acquire returns context.Cause), or the deadlock check finds
// it in a cycle (*DeadlockError).
//
// Deadlock detection is PostgreSQL's: a waiter that is still waiting after
// its DeadlockTimeout looks once for a cycle through itself in the
// wait-for graph (edges to conflicting holders and to conflicting waiters
// queued ahead); if there is one it gives up and returns the cycle, and
// the others proceed. The first waiter of the cycle whose timer fires
// after the cycle formed is the victim; removing its wait breaks the
// cycle, so the others' checks find none and exactly one victim is
// chosen per cycle.
//
// ReleaseXact ends an owner's transaction (all transaction-scope locks);
// ReleaseAll ends the owner (its session died). Releasing wakes queued
// waiters in queue order. For savepoints, Mark starts a log of the
// owner's transaction-scope grants and ReleaseSince gives back those made
// after a mark (a rolled-back subtransaction), counts included, so a key
// also granted before the mark stays held in its earlier modes.
//
// # Shape
//
// The decisions (conflict table, grantability, wake order, cycle search)
// are pure functions over an entry's holders and queue (decide.go), tested
// by tables. Manager wraps them with one mutex; a waiter blocks on its own
// channel (closed when granted), its context and one deadlock timer — no
// polling. Locks live in memory on the primary only: a standby never takes
// them and a promoted node starts with none.
package lock

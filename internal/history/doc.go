// Package history records the operations of concurrent test clients
// (invoke, then ok, fail or unknown) and checks the recorded histories:
//
//   - register: per-key read / write / compare-and-set, checked for
//     linearizability with porcupine (an operation whose outcome is unknown
//     may take effect at any time after its invocation, or never);
//   - set: unique inserts; every acknowledged insert present at the end,
//     none present twice, none that was never attempted or that definitely
//     failed;
//   - terms: no operation acknowledged by a primary of an older term
//     after an operation of a newer term had been acknowledged before it
//     was invoked (an old primary whose failover lease is not checked);
//   - bank: every read of the accounts sees the invariant total and no
//     negative balance;
//   - append: Elle-style list-append transactions. It infers the version
//     order of each key from the reads (which must all be prefixes of one
//     another), builds the ww / wr / rw dependency graph and reports
//     G0 (ww cycle), G1a (aborted read), G1b (intermediate read), G1c (ww/wr
//     cycle), G-single (a cycle with exactly one rw edge) and G2 (cycles
//     with rw edges, none with exactly one), plus lost and duplicated
//     appends. G2 is only an anomaly when the transactions ran
//     serializable. Not checked: real-time order (strict serializability),
//     internal consistency of a transaction's own reads beyond its own
//     appends, and the order of appends that no read observed.
//
// The checkers are pure functions of the history; the test that drives
// clients and faults lives in tests/.
package history

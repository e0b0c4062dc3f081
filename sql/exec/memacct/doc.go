// Package memacct accounts the memory one SQL statement holds, so that a
// statement is bounded twice over:
//
//   - An Account is created per statement with the node's per-statement
//     memory limit. Everything that holds rows or values for longer than one
//     row's evaluation charges it (Grow) and gives the bytes back when done
//     (Shrink). A charge beyond the limit fails with 53200 out_of_memory
//     before anything is allocated. Big values about to be built are checked
//     against what is left (CheckValue) without being retained.
//   - A Budget is one operator's share of its Account, at most work_mem
//     bytes. Operators that can spill (sort, hash aggregate, DISTINCT, a
//     join's materialized inner side) ask with TryGrow and spill to
//     temporary files when it says no — when work_mem is used up or when
//     the statement as a whole is at its limit — instead of failing.
//
// Sizes are estimates of the Go heap a value occupies (DatumSize, RowSize):
// headers and boxing included, allocator rounding not. They are used for
// decisions, never for correctness.
//
// An Account is used by the one goroutine running its statement and is not
// safe for concurrent use. A nil *Account or *Budget is valid and unlimited.
package memacct

// Package spill holds rows for the executor's memory-hungry operators and
// moves them to temporary files when their memory budget (work_mem) says
// no, so that a statement's memory stays bounded whatever its input size:
//
//   - Sorter: an external merge sort. Rows are buffered while the budget
//     allows; a full buffer is sorted (stably) and written as a run; Finish
//     merges the runs (at most MaxFanIn at a time, in several passes when
//     there are more) with ties going to the earlier run, so the output is
//     exactly what one stable in-memory sort of the whole input gives.
//   - Rows: an append-then-reread row container (a join's inner side):
//     rows stay in memory while the budget allows, the rest go to a file;
//     Iter can be called any number of times.
//   - Partitions: N files a hash operator (DISTINCT, hash aggregate) sends
//     the rows it has no room for, by a hash of their key; each partition
//     is then processed on its own (recursively, with a new hash level).
//
// Temporary files live in a Space: one per statement, in the node's
// <data-dir>/tmp. A file is unlinked as soon as it is created (only its
// descriptor is kept), so nothing is left behind after an error, a cancel
// or a crash; Space.Close closes them all and CleanDir empties the folder
// at start for files left by other means. Temporary files are never
// fsynced and have nothing to do with commits.
//
// Rows are written in a self-describing encoding (EncodeRow/DecodeRow:
// each datum carries its Go type's tag), so decoded rows are identical to
// the rows written: same Go types, numeric scale, time zone (UTC) and
// NULLs. Callers decide the order (a compare function) and the budget;
// this package makes no SQL decisions.
package spill

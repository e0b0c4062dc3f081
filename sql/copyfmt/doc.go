// Package copyfmt encodes and decodes the data stream of COPY FROM STDIN and
// COPY TO STDOUT in PostgreSQL's three formats: text (tab-separated, \N for
// NULL, backslash escapes), CSV (HEADER, QUOTE, ESCAPE, NULL, DELIMITER,
// FORCE_QUOTE, FORCE_NOT_NULL, FORCE_NULL) and binary (the PGCOPY header,
// length-prefixed fields, a -1 trailer).
//
// It knows bytes and field boundaries only: the caller turns fields into
// typed values (sql/types) and adds the CONTEXT line ("COPY t, line 3,
// column b: ...") to errors. A Reader streams: it holds one row (and, in
// CSV, the lines of one quoted field) at a time, whatever the size of the
// input. Errors carry SQLSTATEs from sql/pgerror: 22P04 bad_copy_file_format
// for a malformed stream, 22021 for invalid UTF-8 or a NUL byte in the
// text formats.
package copyfmt

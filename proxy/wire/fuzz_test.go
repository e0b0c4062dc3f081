package wire_test

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"testing"

	"github.com/heliosdb/nano/proxy/wire"
)

// FuzzReader reads arbitrary bytes as a stream of typed messages (what the
// proxy reads from its clients after startup, and from nodes): Next must
// return messages or an error without panicking, and must not allocate
// much more than the bytes that arrived (one 1 MB step and the 32 KB
// read buffer) — a header claiming a 64 MB body
// followed by nothing must not cost 64 MB.
func FuzzReader(f *testing.F) {
	f.Add([]byte("Q\x00\x00\x00\x0dSELECT 1\x00X\x00\x00\x00\x04"))
	f.Add([]byte("P\x00\x00\x00\x08s\x00\x00\x00"))
	f.Add([]byte("Q\x03\xff\xff\xff"))             // ~64 MB claimed, nothing sent
	f.Add([]byte("Q\x00\x00\x00\x02"))             // length below 4
	f.Add([]byte("B\x04\x00\x00\x10\x00\x00\x00")) // over the limit
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r := wire.NewReader(bytes.NewReader(data), 0)
		for {
			typ, body, err := r.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
					!errors.Is(err, wire.ErrBadLength) && !errors.Is(err, wire.ErrTooLarge) {
					t.Fatalf("unexpected error: %v", err)
				}
				break
			}
			_ = typ
			_, _, _ = wire.CString(body)
		}
		runtime.ReadMemStats(&after)
		if got, limit := after.TotalAlloc-before.TotalAlloc, uint64(4*len(data)+(2<<20)); got > limit {
			t.Fatalf("reading %d bytes allocated %d bytes", len(data), got)
		}
	})
}

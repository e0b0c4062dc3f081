package storage_test

import (
	"bytes"
	"testing"

	"github.com/heliosdb/nano/storage"
)

// FuzzDecodeBatch: DecodeBatch must never panic, and whatever it accepts
// must re-encode to the same bytes when the input used minimal varints
// (checked by decoding the re-encoding and comparing ops).
func FuzzDecodeBatch(f *testing.F) {
	var bt storage.Batch
	bt.CreateBucket(b("t"))
	bt.Put(b("t"), b("k"), b("v"))
	bt.Delete(b("t"), b("k"))
	bt.DropBucket(b("t"))
	f.Add(bt.Encode(nil))
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 1, 1, 0x80})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		out, err := storage.DecodeBatch(p)
		if err != nil {
			return
		}
		enc := out.Encode(nil)
		again, err := storage.DecodeBatch(enc)
		if err != nil {
			t.Fatalf("re-decode of %x: %v", enc, err)
		}
		if !bytes.Equal(again.Encode(nil), enc) {
			t.Fatalf("encoding not stable for %x", p)
		}
		sameOps(t, again.Ops, out.Ops)
	})
}

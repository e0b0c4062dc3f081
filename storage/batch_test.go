package storage_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/heliosdb/nano/storage"
)

func b(s string) []byte { return []byte(s) }

func sameOps(t *testing.T, got, want []storage.Op) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d ops, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Kind != w.Kind || !bytes.Equal(g.Bucket, w.Bucket) ||
			!bytes.Equal(g.Key, w.Key) || !bytes.Equal(g.Value, w.Value) {
			t.Errorf("op %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestBatchRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte{0xAB}, 300) // length needs a 2-byte varint
	tests := []struct {
		name  string
		build func(*storage.Batch)
	}{
		{"empty", func(*storage.Batch) {}},
		{"put", func(bt *storage.Batch) { bt.Put(b("t"), b("k"), b("v")) }},
		{"put empty value", func(bt *storage.Batch) { bt.Put(b("t"), b("k"), nil) }},
		{"delete", func(bt *storage.Batch) { bt.Delete(b("t"), b("k")) }},
		{"create and drop", func(bt *storage.Batch) { bt.CreateBucket(b("t")); bt.DropBucket(b("u")) }},
		{"move", func(bt *storage.Batch) { bt.MoveBucket(b("t"), b("shadow")) }},
		{"binary and long", func(bt *storage.Batch) { bt.Put([]byte{0xff, 0}, big, big) }},
		{"mixed order kept", func(bt *storage.Batch) {
			bt.CreateBucket(b("a"))
			bt.Put(b("a"), b("1"), b("x"))
			bt.Delete(b("a"), b("1"))
			bt.Put(b("a"), b("1"), b("y"))
			bt.DropBucket(b("a"))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in storage.Batch
			tc.build(&in)
			enc := in.Encode([]byte("prefix"))
			if !bytes.HasPrefix(enc, []byte("prefix")) {
				t.Fatalf("Encode did not append to dst: %x", enc)
			}
			enc = enc[len("prefix"):]
			if len(enc) != in.EncodedSize() {
				t.Errorf("EncodedSize = %d, encoding has %d bytes", in.EncodedSize(), len(enc))
			}
			out, err := storage.DecodeBatch(enc)
			if err != nil {
				t.Fatalf("DecodeBatch: %v", err)
			}
			if out.Len() != in.Len() {
				t.Fatalf("Len = %d, want %d", out.Len(), in.Len())
			}
			sameOps(t, out.Ops, in.Ops)
			if again := out.Encode(nil); !bytes.Equal(again, enc) {
				t.Errorf("re-encoding differs:\n got %x\nwant %x", again, enc)
			}
		})
	}
}

// The documented example in doc.go.
func TestBatchEncodingGolden(t *testing.T) {
	var bt storage.Batch
	bt.CreateBucket(b("t"))
	bt.Put(b("t"), b("k"), b("v"))
	const want = "0102030174010174016b0176"
	if got := hex.EncodeToString(bt.Encode(nil)); got != want {
		t.Fatalf("Encode = %s, want %s", got, want)
	}
}

func TestDecodeBatchDoesNotAlias(t *testing.T) {
	var bt storage.Batch
	bt.Put(b("t"), b("k"), b("v"))
	enc := bt.Encode(nil)
	out, err := storage.DecodeBatch(enc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range enc {
		enc[i] = 0
	}
	sameOps(t, out.Ops, bt.Ops)
}

func TestDecodeBatchErrors(t *testing.T) {
	valid := func() []byte {
		var bt storage.Batch
		bt.Put(b("t"), b("k"), b("v"))
		return bt.Encode(nil)
	}()
	tests := []struct {
		name string
		in   []byte
	}{
		{"nil", nil},
		{"bad version", []byte{2, 0}},
		{"missing count", []byte{1}},
		{"count too large", []byte{1, 5, 1, 0}},
		{"huge count", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"varint overflow", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
		{"unknown kind", []byte{1, 1, 9, 0}},
		{"kind zero", []byte{1, 1, 0, 0}},
		{"truncated", valid[:len(valid)-1]},
		{"length overruns", []byte{1, 1, 3, 5, 'a'}},
		{"trailing bytes", append(append([]byte{}, valid...), 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := storage.DecodeBatch(tc.in)
			if !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("DecodeBatch(%x) = %v, want ErrCorrupt", tc.in, err)
			}
		})
	}
}

func TestBatchValidate(t *testing.T) {
	tests := []struct {
		name string
		op   storage.Op
		want error
	}{
		{"ok put", storage.Op{Kind: storage.OpPut, Bucket: b("t"), Key: b("k")}, nil},
		{"ok drop", storage.Op{Kind: storage.OpDropBucket, Bucket: b("t")}, nil},
		{"unknown kind", storage.Op{Kind: 7, Bucket: b("t"), Key: b("k")}, storage.ErrInvalidBatch},
		{"empty bucket", storage.Op{Kind: storage.OpCreateBucket}, storage.ErrInvalidBatch},
		{"reserved bucket", storage.Op{Kind: storage.OpCreateBucket, Bucket: b("\x00meta")}, storage.ErrReservedBucket},
		{"reserved put", storage.Op{Kind: storage.OpPut, Bucket: b("\x00x"), Key: b("k")}, storage.ErrReservedBucket},
		{"empty key", storage.Op{Kind: storage.OpDelete, Bucket: b("t")}, storage.ErrInvalidBatch},
		{"key too large", storage.Op{Kind: storage.OpPut, Bucket: b("t"), Key: []byte(strings.Repeat("k", 32769))}, storage.ErrInvalidBatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bt := storage.Batch{Ops: []storage.Op{tc.op}}
			err := bt.Validate()
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("Validate = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestBatchReset(t *testing.T) {
	var bt storage.Batch
	bt.Put(b("t"), b("k"), b("v"))
	bt.Reset()
	if bt.Len() != 0 {
		t.Fatalf("Len after Reset = %d", bt.Len())
	}
}

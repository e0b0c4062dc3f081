package exec

import (
	"strconv"
	"testing"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/storage"
)

// TestTempRouting: which buckets and keys belong to a session's
// TempSpace (read from it, written to it at commit) and which to the node.
func TestTempRouting(t *testing.T) {
	tmp := strconv.Itoa(tempIDBase + 5)
	for _, tc := range []struct {
		name        string
		bucket, key string
		want        bool
	}{
		{"temporary table rows", "t/" + tmp, "k", true},
		{"temporary index", "i/" + tmp, "k", true},
		{"whole temporary bucket", "t/" + tmp, "", true},
		{"permanent table rows", "t/16384", "k", false},
		{"permanent bucket", "i/16385", "", false},
		{"not a number", "t/x", "k", false},
		{"other bucket", "tx/" + tmp, "k", false},
		{"temporary table descriptor", "sys.catalog", "table/pg_temp_1.t", true},
		{"temporary sequence descriptor", "sys.catalog", "seq/pg_temp_2.t_id_seq", true},
		{"temporary schema", "sys.catalog", "nsp/pg_temp_1", true},
		{"permanent descriptor", "sys.catalog", "table/t", false},
		{"schema-qualified permanent descriptor", "sys.catalog", "table/s.t", false},
		{"catalog version", "sys.catalog", "version", false},
		{"whole catalog bucket", "sys.catalog", "", false},
		{"temporary sequence state", "sys.seq", "pg_temp_1.s", true},
		{"permanent sequence state", "sys.seq", "s", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var key []byte
			if tc.key != "" {
				key = []byte(tc.key)
			}
			if got := isTempKey([]byte(tc.bucket), key); got != tc.want {
				t.Errorf("isTempKey(%q, %q) = %v, want %v", tc.bucket, tc.key, got, tc.want)
			}
		})
	}
}

// TestSplitTemp: a commit's batch is cut into the node's part and the
// TempSpace's; a temporary DDL's catalog bookkeeping alone commits
// nothing to the WAL, but with a permanent change beside it, it does.
func TestSplitTemp(t *testing.T) {
	tb := catalog.TableBucket(tempIDBase + 1)
	tempDDL := func(b *storage.Batch) {
		b.CreateBucket(catalog.BucketCatalog)
		b.CreateBucket(tb)
		b.Put(catalog.BucketCatalog, catalog.TableKey("pg_temp_1.t"), []byte("{}"))
		b.Put(catalog.BucketCatalog, catalog.KeyVersion, catalog.EncodeUint64(3))
		b.Put(tb, []byte("k"), []byte("v"))
	}
	for _, tc := range []struct {
		name       string
		build      func(*storage.Batch)
		perm, temp int
	}{
		{"temporary DDL and rows only", tempDDL, 0, 3},
		{"with a permanent row", func(b *storage.Batch) {
			tempDDL(b)
			b.Put(catalog.TableBucket(16384), []byte("k"), []byte("v"))
		}, 3, 3},
		{"permanent only", func(b *storage.Batch) {
			b.Put(catalog.BucketCatalog, catalog.KeyVersion, catalog.EncodeUint64(3))
			b.Put(catalog.BucketCatalog, catalog.TableKey("t"), []byte("{}"))
		}, 2, 0},
		{"a lone version bump stays", func(b *storage.Batch) {
			b.Put(catalog.BucketCatalog, catalog.KeyVersion, catalog.EncodeUint64(3))
		}, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &storage.Batch{}
			tc.build(b)
			perm, temp := splitTemp(b)
			if perm.Len() != tc.perm || temp.Len() != tc.temp {
				t.Fatalf("split into %d permanent and %d temporary ops, want %d and %d", perm.Len(), temp.Len(), tc.perm, tc.temp)
			}
			for _, op := range temp.Ops {
				if !isTempOp(&op) {
					t.Errorf("temporary part holds %v %s %q", op.Kind, op.Bucket, op.Key)
				}
			}
		})
	}
}

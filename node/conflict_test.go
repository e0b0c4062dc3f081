package node

import (
	"testing"

	"github.com/heliosdb/nano/lsn"
	"github.com/heliosdb/nano/storage"
)

func put(bucket, key string) *storage.Batch {
	b := &storage.Batch{}
	b.Put([]byte(bucket), []byte(key), []byte("v"))
	return b
}

func TestConflictTracker(t *testing.T) {
	drop := &storage.Batch{}
	drop.DropBucket([]byte("t"))
	cases := []struct {
		name    string
		history []*storage.Batch // committed at LSN 10, 20, ...
		b       *storage.Batch
		readLSN lsn.LSN
		locked  bool // CommitLocked: bucket "t" is lock-protected, "s" is not
		want    bool
	}{
		{"no history", nil, put("t", "a"), 0, false, false},
		{"same key after snapshot", []*storage.Batch{put("t", "a")}, put("t", "a"), 5, false, true},
		{"same key before snapshot", []*storage.Batch{put("t", "a")}, put("t", "a"), 10, false, false},
		{"other key", []*storage.Batch{put("t", "b")}, put("t", "a"), 5, false, false},
		{"other bucket same key", []*storage.Batch{put("u", "a")}, put("t", "a"), 5, false, false},
		{"put after concurrent drop", []*storage.Batch{drop}, put("t", "z"), 5, false, true},
		{"drop after concurrent put", []*storage.Batch{put("t", "z")}, drop, 5, false, true},
		{"drop after old put", []*storage.Batch{put("t", "z")}, drop, 10, false, false},
		{"locked: same key after snapshot", []*storage.Batch{put("t", "a")}, put("t", "a"), 5, true, false},
		{"locked: put after concurrent drop", []*storage.Batch{drop}, put("t", "z"), 5, true, false},
		{"locked: drop after concurrent put", []*storage.Batch{put("t", "z")}, drop, 5, true, false},
		{"locked: unprotected bucket still checked", []*storage.Batch{put("s", "a")}, put("s", "a"), 5, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newConflictTracker(0, nil, func(b []byte) bool { return string(b) == "t" })
			for i, h := range tc.history {
				c.record(h, lsn.LSN(10*(i+1)))
			}
			if got := c.conflicts(tc.b, tc.readLSN, tc.locked); got != tc.want {
				t.Fatalf("conflicts = %v, want %v", got, tc.want)
			}
		})
	}
}

// Forgotten generations must make old snapshots conflict, never pass.
func TestConflictTrackerRotationIsConservative(t *testing.T) {
	c := newConflictTracker(2, nil, nil)
	for i, k := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		c.record(put("t", k), lsn.LSN(10*(i+1)))
	}
	if !c.conflicts(put("t", "a"), 5, false) {
		t.Fatal("a write forgotten by rotation let an older snapshot commit")
	}
	if c.conflicts(put("t", "zz"), 1000, false) {
		t.Fatal("fresh snapshot conflicted")
	}
}

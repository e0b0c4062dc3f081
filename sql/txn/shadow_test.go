package txn_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/txn"
	"github.com/heliosdb/nano/storage"
	"github.com/heliosdb/nano/storage/storagetest"
)

// DualCursor merges a bucket with its shadow (the shadow's value wins on
// an equal key) in both directions, through Seek and direction changes as
// Iter uses them: compared with the merged map, key by key.
func TestDualCursor(t *testing.T) {
	db := storagetest.Open(t)
	base := map[string]string{"b": "1", "d": "1", "f": "1", "h": "1"}
	shadow := map[string]string{"a": "2", "d": "2", "e": "2", "h": "2", "i": "2"}
	var bt storage.Batch
	bt.CreateBucket([]byte("base"))
	bt.CreateBucket([]byte("sh"))
	bt.CreateBucket([]byte("empty"))
	for k, v := range base {
		bt.Put([]byte("base"), []byte(k), []byte(v))
	}
	for k, v := range shadow {
		bt.Put([]byte("sh"), []byte(k), []byte(v))
	}
	storagetest.MustApply(t, db, 1, &bt)
	s := storagetest.MustSnapshot(t, db)
	merged := map[string]string{}
	for k, v := range base {
		merged[k] = v
	}
	for k, v := range shadow {
		merged[k] = v
	}
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	str := func(k, v []byte) string {
		if k == nil {
			return "<end>"
		}
		return string(k) + "=" + string(v)
	}
	want := func(i int) string {
		if i < 0 || i >= len(keys) {
			return "<end>"
		}
		return keys[i] + "=" + merged[keys[i]]
	}
	d := func() *txn.DualCursor { return txn.NewDualCursor(s.Cursor([]byte("base")), s.Cursor([]byte("sh"))) }

	c := d()
	var got []string
	for k, v := c.First(); k != nil; k, v = c.Next() {
		got = append(got, str(k, v))
	}
	var all []string
	for i := range keys {
		all = append(all, want(i))
	}
	if strings.Join(got, " ") != strings.Join(all, " ") {
		t.Fatalf("forward: %v, want %v", got, all)
	}
	got = got[:0]
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		got = append(got, str(k, v))
	}
	slices.Reverse(all)
	if strings.Join(got, " ") != strings.Join(all, " ") {
		t.Fatalf("backward: %v, want %v", got, all)
	}
	// Seek to every position (between and on keys), then walk a few
	// steps each way, turning around.
	for _, target := range []string{"", "a", "b", "c", "d", "dd", "g", "h", "i", "z"} {
		c := d()
		i, _ := slices.BinarySearch(keys, target)
		steps := []string{str(c.Seek([]byte(target)))}
		exp := []string{want(i)}
		for _, back := range []bool{true, true, false, false, false, true} {
			if back {
				i--
				steps = append(steps, str(c.Prev()))
			} else {
				i++
				steps = append(steps, str(c.Next()))
			}
			i = max(-1, min(i, len(keys)))
			exp = append(exp, want(i))
			if i == -1 || i == len(keys) {
				break // off an end: Iter stops there
			}
		}
		if fmt.Sprint(steps) != fmt.Sprint(exp) {
			t.Errorf("seek %q then back, back, fwd, fwd, fwd, back: %v, want %v", target, steps, exp)
		}
	}
	// An empty shadow: the base alone.
	c = txn.NewDualCursor(s.Cursor([]byte("base")), s.Cursor([]byte("empty")))
	if k, v := c.Seek([]byte("c")); str(k, v) != "d=1" {
		t.Fatalf("empty shadow: %s", str(k, v))
	}
}

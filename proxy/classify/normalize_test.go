package classify

import (
	"reflect"
	"testing"
)

func TestShapeKey(t *testing.T) {
	cases := []struct{ sql, want string }{
		{"SELECT abalance FROM t WHERE aid = 42", "SELECT abalance FROM t WHERE aid = ?"},
		{"SELECT * FROM t1 WHERE a = 'x''y' AND b = 1.5e-3 AND c = .5", "SELECT * FROM t1 WHERE a = ? AND b = ? AND c = ?"},
		{`SELECT "col 1", E'a\'b', $1, $$body$$, $tag$ x $tag$ FROM t`, `SELECT "col 1", E?, $1, ?, ? FROM t`},
		{"SELECT 1 -- comment 'x\nFROM t /* a /* nested */ b */", "SELECT ?  \nFROM t  "},
		{"SELECT 0x1F, 0b101, 1_000", "SELECT ?, ?, ?"},
		{"INSERT INTO t2 VALUES (1, 'a')", "INSERT INTO t2 VALUES (?, ?)"},
		{"SELECT nextval('s')", "SELECT nextval(?)"},
	}
	for _, tc := range cases {
		got, ok := shapeKey(tc.sql)
		if !ok || got != tc.want {
			t.Errorf("shapeKey(%q) = %q %v, want %q", tc.sql, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"SELECT 'open", `SELECT "open`, "SELECT /* open"} {
		if _, ok := shapeKey(bad); ok {
			t.Errorf("shapeKey(%q) ok", bad)
		}
	}
}

// TestShapeCacheKeepsTextClasses: classes that depend on the text or on a
// literal's value are not shared by shape.
func TestShapeCacheKeepsTextClasses(t *testing.T) {
	c := New()
	if got := c.Classify("SET search_path = 'a'").Set[0]; got != "SET search_path = 'a'" {
		t.Fatalf("first SET: %q", got)
	}
	if got := c.Classify("SET search_path = 'b'").Set[0]; got != "SET search_path = 'b'" {
		t.Errorf("second SET of the same shape replays %q", got)
	}
	if c.Classify("EXPLAIN (ANALYZE 0) DELETE FROM t").Kind != Read {
		t.Error("EXPLAIN (ANALYZE 0) DELETE is not a read")
	}
	if c.Classify("EXPLAIN (ANALYZE 1) DELETE FROM t").Kind != Write {
		t.Error("EXPLAIN (ANALYZE 1) DELETE is not a write (shape cache hit?)")
	}
	c.Classify("SELECT v FROM t WHERE id = 1")
	if _, ok := c.shapes["SELECT v FROM t WHERE id = ?"]; !ok {
		t.Error("plain SELECT not cached by shape")
	}
}

// TestClassifyBytes: a Query body is classified as its text would be, the
// cache keeps copies (not the caller's buffer), and a cached class costs
// no allocation — the proxy's simple-query path.
func TestClassifyBytes(t *testing.T) {
	stmts := []string{
		"SELECT v FROM t WHERE id = 1", "SELECT v FROM t WHERE id = 2", "UPDATE t SET v = 'x' WHERE id = 3",
		"SET search_path = 'a'", "SET search_path = 'b'", "EXPLAIN (ANALYZE 0) DELETE FROM t",
		"EXPLAIN (ANALYZE 1) DELETE FROM t", "DEALLOCATE p1", "BEGIN", "SELECT 'unterminated", "",
	}
	c := New()
	var scratch []byte
	for _, sql := range stmts {
		buf := []byte(sql)
		got := c.ClassifyBytes(buf, &scratch)
		for i := range buf {
			buf[i] = 'Z' // the caller reuses its buffer
		}
		if want := Classify(sql); !reflect.DeepEqual(got, want) {
			t.Errorf("ClassifyBytes(%q) = %+v, want %+v", sql, got, want)
		}
		if again := c.Classify(sql); !reflect.DeepEqual(again, Classify(sql)) {
			t.Errorf("after ClassifyBytes(%q), the cache answers %+v (kept the caller's buffer?)", sql, again)
		}
	}
	for _, sql := range []string{"SELECT v FROM t WHERE id = 12345", "SET search_path = 'a'"} { // by shape, by text
		buf := []byte(sql)
		if n := testing.AllocsPerRun(100, func() { c.ClassifyBytes(buf, &scratch) }); n != 0 {
			t.Errorf("ClassifyBytes(%q), cached, allocates %v times, want 0", sql, n)
		}
	}
}

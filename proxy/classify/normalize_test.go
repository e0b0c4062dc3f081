package classify

import "testing"

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

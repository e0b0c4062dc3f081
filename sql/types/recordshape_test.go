package types

import "testing"

func TestRecordShapes(t *testing.T) {
	a := RecordType([]string{"f1", "f2"}, []T{Int4, Text})
	b := RecordType([]string{"f1", "f2"}, []T{Int4, Text})
	c := RecordType([]string{"f1", "f2"}, []T{Int4, {Oid: OidVarchar, Mod: 8}})
	d := RecordType([]string{"a", "b"}, []T{Int4, Text})
	if a != b {
		t.Fatalf("same shape, two types: %v %v", a, b)
	}
	if a == c || a == d || c == d {
		t.Fatalf("different shapes share a type: %v %v %v", a, c, d)
	}
	for _, x := range []T{a, c, d} {
		if x.Oid != OidRecord || x.Mod >= -1 {
			t.Fatalf("%v: want record with a typmod below -1", x)
		}
		if x.Described() != (T{Oid: OidRecord, Mod: -1}) {
			t.Fatalf("%v described as %v", x, x.Described())
		}
		if x.String() != "record" {
			t.Fatalf("%v prints as %q", x, x.String())
		}
	}
	sh, ok := RecordShapeOf(c)
	if !ok || len(sh.Names) != 2 || sh.Names[1] != "f2" || sh.Typs[1] != (T{Oid: OidVarchar, Mod: 8}) {
		t.Fatalf("shape of %v: %+v %v", c, sh, ok)
	}
	for _, x := range []T{{Oid: OidRecord, Mod: -1}, {Oid: OidRecord, Mod: int32(OidInt4)}, Int4, {Oid: OidRecord, Mod: -1 << 30}} {
		if _, ok := RecordShapeOf(x); ok {
			t.Fatalf("%v has a shape", x)
		}
	}
	if Int4.Described() != Int4 {
		t.Fatal("Described changed a non-record type")
	}
}

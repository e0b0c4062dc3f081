package types

import (
	"strconv"
	"strings"
	"sync"
)

// Record shapes: an anonymous record whose fields are known when a
// statement is planned (ROW(…), a whole-row reference, a subquery's record
// column) is typed record with a typmod naming its shape, as PostgreSQL
// "blesses" a tuple descriptor with a record typmod. The shape lets (r).f
// and (r).* find a field's position and type at plan time. Shapes are
// interned for the life of the process; typmods are negative below -1 so
// they never clash with -1 (an unknown shape) or with the positive element
// OID that _pg_expandarray's record carries. The typmod never leaves the
// server: a record column is described to clients with typmod -1.

// RecordShape names and types the fields of a record.
type RecordShape struct {
	Names []string
	Typs  []T
}

// maxRecordShapes bounds the registry: past it a new shape is typed plain
// record (-1), whose fields cannot be selected by name.
const maxRecordShapes = 1 << 16

var recordShapes struct {
	sync.RWMutex
	byKey  map[string]int32
	shapes []RecordShape
}

// RecordType is the type record with the shape of names and typs.
func RecordType(names []string, typs []T) T {
	var kb strings.Builder
	for i, n := range names {
		kb.WriteString(n)
		kb.WriteByte(0)
		kb.WriteString(typs[i].String())
		kb.WriteByte(0)
		kb.WriteString(shapeTag(typs[i]))
		kb.WriteByte(1)
	}
	key := kb.String()
	recordShapes.RLock()
	id, ok := recordShapes.byKey[key]
	recordShapes.RUnlock()
	if ok {
		return T{Oid: OidRecord, Mod: -2 - id}
	}
	recordShapes.Lock()
	defer recordShapes.Unlock()
	if id, ok := recordShapes.byKey[key]; ok {
		return T{Oid: OidRecord, Mod: -2 - id}
	}
	if len(recordShapes.shapes) >= maxRecordShapes {
		return T{Oid: OidRecord, Mod: -1}
	}
	if recordShapes.byKey == nil {
		recordShapes.byKey = map[string]int32{}
	}
	id = int32(len(recordShapes.shapes))
	recordShapes.shapes = append(recordShapes.shapes, RecordShape{
		Names: append([]string(nil), names...), Typs: append([]T(nil), typs...)})
	recordShapes.byKey[key] = id
	return T{Oid: OidRecord, Mod: -2 - id}
}

// shapeTag tells apart two field types whose names print alike (a nested
// record's shape, a type modifier).
func shapeTag(t T) string {
	return strconv.FormatUint(uint64(t.Oid), 10) + "/" + strconv.FormatInt(int64(t.Mod), 10)
}

// RecordShapeOf is the shape of a record type t, if it has one.
func RecordShapeOf(t T) (RecordShape, bool) {
	if t.Oid != OidRecord || t.Mod >= -1 {
		return RecordShape{}, false
	}
	id := -2 - t.Mod
	recordShapes.RLock()
	defer recordShapes.RUnlock()
	if int(id) >= len(recordShapes.shapes) {
		return RecordShape{}, false
	}
	return recordShapes.shapes[id], true
}

// Described is t as a client is told it: a record's shape is the
// server's own.
func (t T) Described() T {
	if t.Oid == OidRecord && t.Mod < -1 {
		return T{Oid: OidRecord, Mod: -1}
	}
	return t
}

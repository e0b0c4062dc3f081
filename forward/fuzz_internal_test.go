package forward

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/proto/forwardpb"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// FuzzRows: the standby's decoding of a forwarded statement's Columns and
// Rows messages (bytes from the primary, issue 16 point 4) never panics,
// whatever the column types and values; a row it accepts has one datum
// per column.
func FuzzRows(f *testing.F) {
	seedTypes := []types.T{types.Int4, types.Int8, types.Text, types.Numeric, types.Timestamptz, types.Bool,
		types.Bytea, types.Date, types.Interval, {Oid: types.OidInt4Array, Mod: -1}, {Oid: types.OidJSONB, Mod: -1}, types.Unknown}
	texts := []string{"42", "9000000000", "hé", "-12.50", "2026-12-07 06:00:00+00", "t", "\\x00ff", "2026-12-07", "1 day 02:00:00", "{1,NULL,3}", `{"a": [1, 2]}`, "?"}
	var cols []*forwardpb.Column
	var row []*forwardpb.Value
	for i, t := range seedTypes {
		cols = append(cols, &forwardpb.Column{Name: "c", TypeOid: t.Oid, TypeMod: t.Mod})
		d, err := types.ParseText(t, texts[i])
		if err != nil {
			d = texts[i]
		}
		row = append(row, encodeValue(d, t))
	}
	colBytes, _ := proto.Marshal(&forwardpb.Columns{Columns: cols})
	rowBytes, _ := proto.Marshal(&forwardpb.Rows{Rows: []*forwardpb.Row{{Values: row}, {Values: make([]*forwardpb.Value, len(row))}}})
	f.Add(colBytes, rowBytes)
	f.Add(colBytes, []byte{})
	f.Add([]byte{}, rowBytes)
	f.Fuzz(func(t *testing.T, colBytes, rowBytes []byte) {
		var cs forwardpb.Columns
		var rs forwardpb.Rows
		if proto.Unmarshal(colBytes, &cs) != nil || proto.Unmarshal(rowBytes, &rs) != nil {
			return
		}
		var buf result.Buffer
		rd := &rowDecoder{w: &buf, setCols: true}
		if err := rd.columns(cs.GetColumns()); err != nil {
			return
		}
		for _, r := range rs.GetRows() {
			if err := rd.row(r.GetValues()); err != nil {
				return
			}
		}
		for _, r := range buf.Rows {
			if len(r) != len(cs.GetColumns()) {
				t.Fatalf("row of %d datums for %d columns", len(r), len(cs.GetColumns()))
			}
		}
	})
}

package forward

import (
	"github.com/heliosdb/nano/proto/forwardpb"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Conversions between the SQL layer's values and the wire messages. They
// are the only translation: both ends speak result and types on one side
// and forwardpb on the other, with no intermediate copy of the contract.

// encodeValue encodes a datum in PostgreSQL's binary format, or in its
// text format (UTC) when the type has no binary one. The result owns its
// bytes.
func encodeValue(d types.Datum, t types.T) *forwardpb.Value {
	if d == nil {
		return &forwardpb.Value{Null: true}
	}
	if types.HasBinary(t.Oid) {
		if b, err := types.AppendBinary(nil, d, t); err == nil {
			return &forwardpb.Value{Data: b}
		}
	}
	return &forwardpb.Value{Data: types.AppendText(nil, d, t), Text: true}
}

// decodeValue is encodeValue's inverse. A text value of a type without
// text input (arrays, time, records) stays text: the client gets the same
// characters.
func decodeValue(v *forwardpb.Value, t types.T) (types.Datum, error) {
	switch {
	case v.GetNull():
		return nil, nil
	case v.GetText():
		if d, err := types.ParseText(t, string(v.GetData())); err == nil {
			return d, nil
		}
		return string(v.GetData()), nil
	}
	return types.DecodeBinary(t, v.GetData())
}

// paramsToPB encodes a statement's parameters as the primary binds them
// (each in the format it is sent in).
func paramsToPB(ts []types.T, ds []types.Datum) ([]uint32, []*forwardpb.Value) {
	oids := make([]uint32, len(ts))
	vals := make([]*forwardpb.Value, len(ts))
	for i, t := range ts {
		oids[i] = t.Oid
		var d types.Datum
		if i < len(ds) {
			d = ds[i]
		}
		vals[i] = encodeValue(d, t)
	}
	return oids, vals
}

// bindArgs are a forwarded statement's parameters as Bind takes them.
func bindArgs(vals []*forwardpb.Value) (raw [][]byte, formats []int16) {
	raw = make([][]byte, len(vals))
	formats = make([]int16, len(vals))
	for i, p := range vals {
		if !p.GetNull() {
			raw[i] = p.GetData()
			if raw[i] == nil {
				raw[i] = []byte{}
			}
		}
		if !p.GetText() {
			formats[i] = 1
		}
	}
	return raw, formats
}

func columnsToPB(cols []result.Column) []*forwardpb.Column {
	out := make([]*forwardpb.Column, len(cols))
	for i, c := range cols {
		out[i] = &forwardpb.Column{Name: c.Name, TypeOid: c.Type.Oid, TypeMod: c.Type.Mod, TableOid: c.TableOID, AttrNum: int32(c.AttrNum)}
	}
	return out
}

func columnsFromPB(cols []*forwardpb.Column) []result.Column {
	out := make([]result.Column, len(cols))
	for i, c := range cols {
		out[i] = result.Column{Name: c.GetName(), Type: types.T{Oid: c.GetTypeOid(), Mod: c.GetTypeMod()},
			TableOID: c.GetTableOid(), AttrNum: int16(c.GetAttrNum())}
	}
	return out
}

// errorToPB carries a SQL error or notice (any error: one that is not a
// *pgerror.Error becomes XX000) with its SQLSTATE and fields.
func errorToPB(err error) *forwardpb.Error {
	e := pgerror.Flatten(err)
	return &forwardpb.Error{Code: string(e.Code), Severity: e.Severity, Message: e.Message, Detail: e.Detail, Hint: e.Hint,
		Position: e.Position, TableName: e.TableName, ColumnName: e.ColumnName, ConstraintName: e.ConstraintName}
}

func errorFromPB(p *forwardpb.Error) *pgerror.Error {
	return &pgerror.Error{Code: pgerror.Code(p.GetCode()), Severity: p.GetSeverity(), Message: p.GetMessage(), Detail: p.GetDetail(),
		Hint: p.GetHint(), Position: p.GetPosition(), TableName: p.GetTableName(), ColumnName: p.GetColumnName(),
		ConstraintName: p.GetConstraintName()}
}

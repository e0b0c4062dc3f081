package replication

import (
	"bytes"

	"github.com/heliosdb/nano/proto/replicationpb"
)

// Conversions between the forwarding types and their protobuf messages.

func valueToPB(v ForwardValue, copyData bool) *replicationpb.ForwardValue {
	d := v.Data
	if copyData && d != nil {
		d = bytes.Clone(d)
	}
	return &replicationpb.ForwardValue{Data: d, Null: v.Null, Text: v.Text}
}

func valueFromPB(v *replicationpb.ForwardValue) ForwardValue {
	return ForwardValue{Data: v.GetData(), Null: v.GetNull(), Text: v.GetText()}
}

func valuesFromPB(vs []*replicationpb.ForwardValue) []ForwardValue {
	out := make([]ForwardValue, len(vs))
	for i, v := range vs {
		out[i] = valueFromPB(v)
	}
	return out
}

func columnsToPB(cols []ForwardColumn) []*replicationpb.ForwardColumn {
	out := make([]*replicationpb.ForwardColumn, len(cols))
	for i, c := range cols {
		out[i] = &replicationpb.ForwardColumn{Name: c.Name, TypeOid: c.TypeOID, TypeMod: c.TypeMod, TableOid: c.TableOID, AttrNum: int32(c.AttrNum)}
	}
	return out
}

func columnsFromPB(cols []*replicationpb.ForwardColumn) []ForwardColumn {
	out := make([]ForwardColumn, len(cols))
	for i, c := range cols {
		out[i] = ForwardColumn{Name: c.GetName(), TypeOID: c.GetTypeOid(), TypeMod: c.GetTypeMod(), TableOID: c.GetTableOid(), AttrNum: int16(c.GetAttrNum())}
	}
	return out
}

func statementToPB(st ForwardStatement) *replicationpb.ForwardStatement {
	p := &replicationpb.ForwardStatement{Sql: st.SQL, ParamOids: st.ParamOIDs, DescribeOnly: st.DescribeOnly, Commit: st.Commit}
	p.Params = make([]*replicationpb.ForwardValue, len(st.Params))
	for i, v := range st.Params {
		p.Params[i] = valueToPB(v, false)
	}
	return p
}

func statementFromPB(p *replicationpb.ForwardStatement) ForwardStatement {
	return ForwardStatement{SQL: p.GetSql(), ParamOIDs: p.GetParamOids(), Params: valuesFromPB(p.GetParams()),
		DescribeOnly: p.GetDescribeOnly(), Commit: p.GetCommit()}
}

func descriptionToPB(d ForwardDescription) *replicationpb.ForwardDescription {
	return &replicationpb.ForwardDescription{ParamOids: d.ParamOIDs, Columns: columnsToPB(d.Columns), ReturnsRows: d.ReturnsRows}
}

func descriptionFromPB(p *replicationpb.ForwardDescription) ForwardDescription {
	return ForwardDescription{ParamOIDs: p.GetParamOids(), Columns: columnsFromPB(p.GetColumns()), ReturnsRows: p.GetReturnsRows()}
}

func errorToPB(e *ForwardError) *replicationpb.ForwardError {
	return &replicationpb.ForwardError{Code: e.Code, Severity: e.Severity, Message: e.Message, Detail: e.Detail, Hint: e.Hint,
		Position: e.Position, TableName: e.TableName, ColumnName: e.ColumnName, ConstraintName: e.ConstraintName}
}

func errorFromPB(p *replicationpb.ForwardError) *ForwardError {
	return &ForwardError{Code: p.GetCode(), Severity: p.GetSeverity(), Message: p.GetMessage(), Detail: p.GetDetail(), Hint: p.GetHint(),
		Position: p.GetPosition(), TableName: p.GetTableName(), ColumnName: p.GetColumnName(), ConstraintName: p.GetConstraintName()}
}

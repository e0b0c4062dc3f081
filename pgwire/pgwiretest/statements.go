package pgwiretest

import (
	"context"
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Statement texts registered by DefaultStatements.
const (
	SelectOne      = "SELECT 1"
	SelectItems    = "SELECT id, name FROM items"
	SelectItemByID = "SELECT id, name FROM items WHERE id = $1"
	InsertItem     = "INSERT INTO items (id, name) VALUES ($1, $2)"
	SelectEcho     = "SELECT $1::int8, $2::text, $3::float8, $4::bool, $5::timestamptz"
	SelectSeries   = "SELECT * FROM generate_series(1, 10000)"
	SelectSleep    = "SELECT pg_sleep(60)" // blocks until cancelled: 57014
	SelectNap      = "SELECT pg_sleep(1)"  // returns after 1s unless cancelled (57014)
	SelectDivZero  = "SELECT 1/0"          // 22012 at position 9
	SelectPanic    = "SELECT panic()"      // the session panics
	SelectNull     = "SELECT NULL::text"
	DoNotice       = "DO notice" // NoticeResponse, then "DO"
)

// DefaultStatements returns the statements NewFactory registers.
func DefaultStatements() map[string]*Statement {
	itemCols := []result.Column{{Name: "id", Type: types.Int8, TableOID: 16384, AttrNum: 1}, {Name: "name", Type: types.Text, TableOID: 16384, AttrNum: 2}}
	return map[string]*Statement{
		SelectOne:  {Columns: []result.Column{{Name: "?column?", Type: types.Int4}}, Run: constRows([]types.Datum{int64(1)})},
		SelectNull: {Columns: []result.Column{{Name: "text", Type: types.Text}}, Run: constRows([]types.Datum{nil})},
		SelectItems: {Columns: itemCols, Run: func(ctx context.Context, s *Session, _ []types.Datum) ([][]types.Datum, string, error) {
			return s.f.Items(), "", nil
		}},
		SelectItemByID: {ParamTypes: []types.Oid{types.OidInt8}, Columns: itemCols, Run: selectItemByID},
		InsertItem:     {ParamTypes: []types.Oid{types.OidInt8, types.OidText}, Run: insertItem},
		SelectEcho: {
			ParamTypes: []types.Oid{types.OidInt8, types.OidText, types.OidFloat8, types.OidBool, types.OidTimestamptz},
			Columns: []result.Column{{Name: "int8", Type: types.Int8}, {Name: "text", Type: types.Text},
				{Name: "float8", Type: types.Float8}, {Name: "bool", Type: types.Bool}, {Name: "timestamptz", Type: types.Timestamptz}},
			Run: func(_ context.Context, _ *Session, args []types.Datum) ([][]types.Datum, string, error) {
				return [][]types.Datum{args}, "", nil
			},
		},
		SelectSeries: {Columns: []result.Column{{Name: "generate_series", Type: types.Int4}}, Run: series(10000)},
		SelectSleep:  {Columns: []result.Column{{Name: "pg_sleep", Type: types.Text}}, Run: sleepUntilCancelled},
		SelectNap:    {Columns: []result.Column{{Name: "pg_sleep", Type: types.Text}}, Run: sleepFor(time.Second)},
		SelectDivZero: {Columns: []result.Column{{Name: "?column?", Type: types.Int4}}, Run: func(context.Context, *Session, []types.Datum) ([][]types.Datum, string, error) {
			return nil, "", pgerror.New(pgerror.DivisionByZero, "division by zero").WithPosition(9)
		}},
		SelectPanic: {Columns: []result.Column{{Name: "panic", Type: types.Text}}, Run: func(context.Context, *Session, []types.Datum) ([][]types.Datum, string, error) {
			panic("pgwiretest: panic requested")
		}},
		DoNotice:   {Tag: "DO", Notices: []*pgerror.Error{{Code: pgerror.Code("00000"), Severity: pgerror.SeverityNotice, Message: "hello from the fake"}}},
		"BEGIN":    {Tag: "BEGIN", Run: txRun(result.TxInTx, "BEGIN")},
		"COMMIT":   {Tag: "COMMIT", Run: txRun(result.TxIdle, "COMMIT")},
		"ROLLBACK": {Tag: "ROLLBACK", Run: txRun(result.TxIdle, "ROLLBACK")},
	}
}

func constRows(rows ...[]types.Datum) func(context.Context, *Session, []types.Datum) ([][]types.Datum, string, error) {
	return func(context.Context, *Session, []types.Datum) ([][]types.Datum, string, error) { return rows, "", nil }
}

func series(n int) func(context.Context, *Session, []types.Datum) ([][]types.Datum, string, error) {
	return func(context.Context, *Session, []types.Datum) ([][]types.Datum, string, error) {
		rows := make([][]types.Datum, n)
		for i := range rows {
			rows[i] = []types.Datum{int64(i + 1)}
		}
		return rows, "", nil
	}
}

// errCancelled is what a cancelled sleep returns, as PostgreSQL does.
func errCancelled() error {
	return pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
}

func sleepUntilCancelled(ctx context.Context, _ *Session, _ []types.Datum) ([][]types.Datum, string, error) {
	<-ctx.Done()
	return nil, "", errCancelled()
}

func sleepFor(d time.Duration) func(context.Context, *Session, []types.Datum) ([][]types.Datum, string, error) {
	return func(ctx context.Context, _ *Session, _ []types.Datum) ([][]types.Datum, string, error) {
		select {
		case <-ctx.Done():
			return nil, "", errCancelled()
		case <-time.After(d):
			return [][]types.Datum{{""}}, "", nil
		}
	}
}

func txRun(to result.TxStatus, tag string) func(context.Context, *Session, []types.Datum) ([][]types.Datum, string, error) {
	return func(_ context.Context, s *Session, _ []types.Datum) ([][]types.Datum, string, error) {
		if tag == "COMMIT" && s.tx == result.TxFailed {
			tag = "ROLLBACK"
		}
		s.tx = to
		return nil, tag, nil
	}
}

func selectItemByID(_ context.Context, s *Session, args []types.Datum) ([][]types.Datum, string, error) {
	var out [][]types.Datum
	for _, r := range s.f.Items() {
		if r[0] == args[0] {
			out = append(out, r)
		}
	}
	return out, "", nil
}

func insertItem(_ context.Context, s *Session, args []types.Datum) ([][]types.Datum, string, error) {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	for _, r := range s.f.items {
		if r[0] == args[0] {
			e := pgerror.New(pgerror.UniqueViolation, `duplicate key value violates unique constraint "items_pkey"`)
			e.TableName, e.ConstraintName = "items", "items_pkey"
			return nil, "", e.WithDetail("Key (id)=(%v) already exists.", args[0])
		}
	}
	s.f.items = append(s.f.items, []types.Datum{args[0], args[1]})
	return nil, "INSERT 0 1", nil
}

// parseSet recognizes "SET name = value" and "SET name TO value" and
// returns a statement that changes the reported parameter.
func parseSet(sql string) *Statement {
	f := strings.Fields(sql)
	if len(f) != 4 || !strings.EqualFold(f[0], "SET") || (f[2] != "=" && !strings.EqualFold(f[2], "TO")) {
		return nil
	}
	name, value := f[1], strings.Trim(f[3], "'")
	if strings.EqualFold(name, "timezone") {
		name = "TimeZone"
	}
	return &Statement{Run: func(_ context.Context, s *Session, _ []types.Datum) ([][]types.Datum, string, error) {
		s.SetParam(name, value)
		return nil, "SET", nil
	}}
}

// pgEpoch is the zero of PostgreSQL's binary timestamps.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// DecodeParam decodes one Bind parameter of type oid in format (0 text, 1
// binary); nil raw is NULL. It covers the types the fake uses.
func DecodeParam(oid types.Oid, format int16, raw []byte) (types.Datum, error) {
	if raw == nil {
		return nil, nil
	}
	if format == 1 {
		return decodeBinary(oid, raw)
	}
	s := string(raw)
	var (
		d   types.Datum
		err error
	)
	switch oid {
	case types.OidInt2, types.OidInt4, types.OidInt8:
		d, err = strconv.ParseInt(s, 10, 64)
	case types.OidFloat8, types.OidFloat4:
		d, err = strconv.ParseFloat(s, 64)
	case types.OidBool:
		d, err = strconv.ParseBool(s)
	case types.OidTimestamptz:
		d, err = time.Parse("2006-01-02 15:04:05.999999999Z07:00", s)
	default:
		d = s
	}
	if err != nil {
		return nil, pgerror.Newf(pgerror.InvalidTextRepresentation, "invalid input syntax for type %s: %q", types.T{Oid: oid}, s)
	}
	return d, nil
}

func decodeBinary(oid types.Oid, raw []byte) (types.Datum, error) {
	bad := pgerror.Newf(pgerror.InvalidBinaryRepresentation, "incorrect binary data format for type %s", types.T{Oid: oid})
	switch oid {
	case types.OidInt2:
		if len(raw) != 2 {
			return nil, bad
		}
		return int64(int16(binary.BigEndian.Uint16(raw))), nil
	case types.OidInt4:
		if len(raw) != 4 {
			return nil, bad
		}
		return int64(int32(binary.BigEndian.Uint32(raw))), nil
	case types.OidInt8, types.OidTimestamptz:
		if len(raw) != 8 {
			return nil, bad
		}
		v := int64(binary.BigEndian.Uint64(raw))
		if oid == types.OidTimestamptz {
			return pgEpoch.Add(time.Duration(v) * time.Microsecond), nil
		}
		return v, nil
	case types.OidFloat8:
		if len(raw) != 8 {
			return nil, bad
		}
		return math.Float64frombits(binary.BigEndian.Uint64(raw)), nil
	case types.OidBool:
		if len(raw) != 1 {
			return nil, bad
		}
		return raw[0] != 0, nil
	case types.OidText, types.OidVarchar, types.OidName, types.OidBpchar, types.OidUnknown:
		return string(raw), nil
	}
	return nil, bad
}

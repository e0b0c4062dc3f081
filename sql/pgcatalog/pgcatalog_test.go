package pgcatalog

import (
	"context"
	"testing"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

func TestSizePretty(t *testing.T) {
	// Values from PostgreSQL 15's pg_size_pretty.
	for in, want := range map[int64]string{10239: "10239 bytes", 10240: "10 kB", 1048576: "1024 kB",
		20971520: "20 MB", 123456789: "118 MB", -123456789: "-118 MB", 1099511627776000: "1000 TB"} {
		if got := sizePretty(in); got != want {
			t.Errorf("sizePretty(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestDisplayDefault(t *testing.T) {
	// As pg_get_expr(adbin, adrelid) prints them in PostgreSQL 15.
	for _, c := range []struct {
		def  string
		t    types.T
		want string
	}{
		{"nextval('t_id_seq')", types.Int4, "nextval('t_id_seq'::regclass)"},
		{"nextval('public.t_id_seq')", types.Int4, "nextval('t_id_seq'::regclass)"},
		{"nextval('s.q')", types.Int8, "nextval('s.q'::regclass)"},
		{"nextval('pg_temp_3.ts')", types.Int8, "nextval('ts'::regclass)"},           // the session's own
		{"nextval('pg_temp_4.ts')", types.Int8, "nextval('pg_temp_4.ts'::regclass)"}, // another session's
		{"nextval('public.\"Q\"')", types.Int8, "nextval('\"Q\"'::regclass)"},
		{"nextval('s.q'::text)", types.Int8, "nextval(('s.q'::text)::regclass)"},
		{"'x'", types.Text, "'x'::text"},
		{"'none'", types.VarcharN(20), "'none'::character varying"},
		{"0", types.Int8, "0"},
		{"'5'", types.Int8, "'5'::bigint"},
		{"10000000000", types.Int8, "'10000000000'::bigint"},
		{"-1.5", types.Float8, "'-1.5'::numeric"},
		{"0", types.Int4, "0"},
		{"-1", types.Int4, "'-1'::integer"},
		{"true", types.Bool, "true"},
		{"now()", types.Timestamptz, "now()"},
		{"1.5", types.Numeric, "1.5"},
	} {
		cat := &catalog.Catalog{Schemas: map[string]*catalog.Schema{"pg_temp_3": {Name: "pg_temp_3"}, "s": {Name: "s"}}}
		if got := DisplayDefault(c.def, c.t, cat); got != c.want {
			t.Errorf("DisplayDefault(%q, %s) = %q, want %q", c.def, c.t, got, c.want)
		}
	}
}

func TestArrayToString(t *testing.T) {
	if got := arrayToString(`{a,"b,c",NULL}`, "|", []types.Datum{"*"}); got != "a|b,c|*" {
		t.Errorf("arrayToString = %q", got)
	}
}

func TestCatalogRows(t *testing.T) {
	cat := catalog.Empty()
	cat.Tables["t"] = &catalog.Table{OID: 16384, ID: 16385, Name: "t", PKName: "t_pkey", PKOID: 16386,
		Columns:    []catalog.Column{{Name: "id", Type: types.Int4, NotNull: true}, {Name: "v", Type: types.Text}},
		PrimaryKey: []int{0}, Indexes: []catalog.Index{{ID: 16387, OID: 16388, Name: "t_v", Columns: []int{1}}}}
	s := New(Config{})
	env := &Env{Cat: cat}
	r, ok := s.Lookup("", "pg_class")
	if !ok {
		t.Fatal("pg_class not found")
	}
	rows, err := r.Rows(context.Background(), s, env)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, row := range rows {
		names[row[r.colIndex["relname"]].(string)] = row[r.colIndex["relkind"]].(string)
	}
	for name, kind := range map[string]string{"t": "r", "t_pkey": "i", "t_v": "i", "pg_class": "r", "tables": "v"} {
		if names[name] != kind {
			t.Errorf("pg_class: %s has relkind %q, want %q", name, names[name], kind)
		}
	}
	if o, ok := s.relOID(&Env{Cat: cat}, `public."t_v"`); !ok || o != 16388 {
		t.Errorf("relOID(t_v) = %d, %v", o, ok)
	}
	if _, ok := s.Lookup("information_schema", "columns"); !ok {
		t.Error("information_schema.columns not found")
	}
	if _, ok := s.Lookup("", "columns"); ok {
		t.Error("columns resolved without its schema")
	}
}

type mapVars map[string]string

func (m mapVars) Get(name string) (string, bool) { v, ok := m[name]; return v, ok }

// pg_cancel_backend / pg_terminate_backend follow PostgreSQL's privilege
// rule (messages as PostgreSQL 15's); an unknown pid is false.
func TestSignalBackendPrivileges(t *testing.T) {
	cat := catalog.Empty()
	cat.Roles = map[string]*catalog.Role{"admin": {OID: 10, Name: "admin", Superuser: true}, "alice": {OID: 16400, Name: "alice"}, "bob": {OID: 16401, Name: "bob"}}
	var signalled []int
	s := New(Config{
		Activity: func() []Backend { return []Backend{{PID: 1, User: "admin"}, {PID: 2, User: "alice"}} },
		Signal:   func(pid int, _ bool) bool { signalled = append(signalled, pid); return true },
	})
	for _, tc := range []struct {
		name, caller, super string
		pid                 int
		terminate           bool
		want                any    // result when no error
		code                string // SQLSTATE of the refusal
		msg                 string
	}{
		{"superuser cancels anyone", "admin", "on", 2, false, true, "", ""},
		{"own role", "alice", "off", 2, false, true, "", ""},
		{"unknown pid", "alice", "off", 99, false, false, "", ""},
		{"other role", "bob", "off", 2, false, nil, "42501", "must be a member of the role whose query is being canceled or member of pg_signal_backend"},
		{"other role, terminate", "bob", "off", 2, true, nil, "42501", "must be a member of the role whose process is being terminated or member of pg_signal_backend"},
		{"superuser's backend", "alice", "off", 1, false, nil, "42501", "must be a superuser to cancel superuser query"},
		{"superuser's backend, terminate", "alice", "off", 1, true, nil, "42501", "must be a superuser to terminate superuser process"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signalled = nil
			env := &Env{Cat: cat, Vars: mapVars{"session_authorization": tc.caller, "is_superuser": tc.super}}
			got, err := signal(tc.terminate)(s, env, []types.Datum{int64(tc.pid)})
			if tc.code != "" {
				if pgerror.CodeOf(err) != pgerror.Code(tc.code) || err.Error() != tc.msg || len(signalled) > 0 {
					t.Fatalf("got %v, %v (signalled %v); want %s %q and no signal", got, err, signalled, tc.code, tc.msg)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// noticeVars are session settings that take notices, as the session's do.
type noticeVars struct {
	mapVars
	notices []*pgerror.Error
}

func (v *noticeVars) Notice(n *pgerror.Error) { v.notices = append(v.notices, n) }

// A pid no backend has (through heliosdb-proxy: the proxy's own, from
// BackendKeyData) is false with PostgreSQL 15's warning, and nothing is
// signalled.
func TestSignalUnknownPIDWarns(t *testing.T) {
	s := New(Config{
		Activity: func() []Backend { return []Backend{{PID: 1, User: "admin"}} },
		Signal:   func(pid int, _ bool) bool { t.Fatalf("signalled %d", pid); return true },
	})
	for _, terminate := range []bool{false, true} {
		vars := &noticeVars{mapVars: mapVars{"session_authorization": "admin", "is_superuser": "on"}}
		got, err := signal(terminate)(s, &Env{Cat: catalog.Empty(), Vars: vars}, []types.Datum{int64(4242)})
		if err != nil || got != false {
			t.Fatalf("terminate=%v: %v, %v; want false", terminate, got, err)
		}
		if len(vars.notices) != 1 || vars.notices[0].Severity != pgerror.SeverityWarning || vars.notices[0].Code != pgerror.Warning ||
			vars.notices[0].Message != "PID 4242 is not a PostgreSQL backend process" {
			t.Fatalf("terminate=%v: notices %+v; want PostgreSQL's WARNING", terminate, vars.notices)
		}
	}
}

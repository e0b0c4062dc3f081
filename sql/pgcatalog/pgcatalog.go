package pgcatalog

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/result"
	"github.com/heliosdb/nano/sql/types"
)

// Well-known OIDs of PostgreSQL 15.
const (
	NamespacePgCatalog   = 11
	NamespacePublic      = 2200
	NamespaceInfoSchema  = 13207
	NamespaceToast       = 99
	BootstrapRoleOID     = 10
	DatabaseOID          = 5
	amHeap               = 2
	amBtree              = 403
	collationDefault     = 100
	encodingUTF8         = 6
	derivedBit           = 0x40000000
	attrdefPerTable      = 1000
	pgDatabaseOwnerRole  = 6171
	defaultDatabaseName  = "heliosdb"
	defaultBootstrapUser = "helios"
)

// col is one column of a system relation: its name and type OID.
type col struct {
	name string
	oid  types.Oid
}

// relDef is a system relation as PostgreSQL 15 declares it.
type relDef struct {
	oid  uint32
	kind byte
	cols []col
}

// Vars gives access to the reading session's settings (exec.Vars).
type Vars interface {
	Get(name string) (string, bool)
}

// Setting is one row of pg_settings.
type Setting struct {
	Name, Value, Unit, Category, Description, Context, Type, Source string
}

// SettingsLister is implemented by session Vars that can list every
// parameter (pg_settings); without it pg_settings lists the parameters
// the catalog knows of by name.
type SettingsLister interface {
	Settings() []Setting
}

// Env is what one read of the system catalogs sees.
type Env struct {
	Cat  *catalog.Catalog // the reading transaction's catalog; required
	Vars Vars             // session settings; nil = none
}

// Role is one row of pg_roles/pg_authid (never a password hash), from the
// catalog's roles.
type Role struct {
	OID                                                         uint32
	Name                                                        string
	Super, Inherit, CreateRole, CreateDB, CanLogin, Replication bool
	BypassRLS                                                   bool
	ConnLimit                                                   int
	ValidUntil                                                  *time.Time
	MemberOf                                                    []uint32
}

// Backend is one row of pg_stat_activity.
type Backend struct {
	PID                                          int
	Database, User, Application, ClientAddr      string
	BackendStart, XactStart, QueryStart, Changed time.Time
	State, Query                                 string
	// WaitEventType and WaitEvent: "Lock" and the kind of lock while the
	// backend waits for one ("" = not waiting).
	WaitEventType, WaitEvent string
}

// LockRow is one row of pg_locks. Zero numeric fields are NULL, except
// where the lock type gives them meaning (ObjSubID of an advisory lock).
type LockRow struct {
	LockType           string // relation, transactionid, tuple, page, advisory
	Relation           uint32
	Page, Tuple        int64 // tuple (both) and page (Page) locks only
	TransactionID      uint64
	ClassID, ObjID     uint32 // advisory locks
	ObjSubID           int64  // advisory locks
	VirtualTransaction string
	PID                int
	Mode               string
	Granted, FastPath  bool
}

// Standby is one row of pg_stat_replication.
type Standby struct {
	PID                                    int
	User, Application, ClientAddr, State   string
	SentLSN, WriteLSN, FlushLSN, ReplayLSN int64
	SyncState                              string
	ReplyTime                              time.Time
}

// Config gives the node-level state the catalogs show. Every field is
// optional.
type Config struct {
	Database string // the one database's name ("" = "heliosdb")
	// BootstrapUser names role 10 when the catalog has no roles ("" =
	// "helios").
	BootstrapUser string
	Activity      func() []Backend
	Locks         func() []LockRow
	Replication   func() []Standby
	// Signal cancels (terminate false) or terminates the backend with pid;
	// it reports whether one was found (pg_cancel_backend/
	// pg_terminate_backend).
	Signal func(pid int, terminate bool) bool
	// BucketBytes is the size on disk of a storage bucket's tree (0 when
	// missing); DatabaseBytes the data file's. They back pg_relation_size,
	// pg_total_relation_size, pg_table_size, pg_indexes_size and
	// pg_database_size (sizes.go); nil = 0.
	BucketBytes   func(bucket []byte) int64
	DatabaseBytes func() int64
	// TempSchema reports whether oid is the temporary schema of a live
	// session (pg_is_other_temp_schema); nil = none is.
	TempSchema func(oid uint32) bool
	// HasFunction reports whether the engine implements functions named
	// name: pg_proc lists PostgreSQL 15's rows of those (procs.go); nil =
	// every generated row.
	HasFunction func(name string) bool
}

// System is the set of system relations and catalog functions. It holds
// no mutable state and is safe for concurrent use.
type System struct {
	cfg   Config
	rels  map[string]*Relation
	procs *procSet
}

// Relation is one read-only system relation.
type Relation struct {
	Schema, Name string
	OID          uint32
	Kind         byte
	columns      []result.Column
	colIndex     map[string]int
	gen          func(s *System, env *Env, add func(row) error) error
}

// row is a row under construction, by column name.
type row map[string]types.Datum

// New returns the system catalogs over cfg.
func New(cfg Config) *System {
	if cfg.Database == "" {
		cfg.Database = defaultDatabaseName
	}
	if cfg.BootstrapUser == "" {
		cfg.BootstrapUser = defaultBootstrapUser
	}
	s := &System{cfg: cfg, rels: map[string]*Relation{}, procs: newProcSet(cfg.HasFunction)}
	for qname, d := range relationDefs {
		schema, name, _ := strings.Cut(qname, ".")
		r := &Relation{Schema: schema, Name: name, OID: d.oid, Kind: d.kind, colIndex: map[string]int{}}
		for i, c := range d.cols {
			r.columns = append(r.columns, result.Column{Name: c.name, Type: colType(c.oid), TableOID: d.oid, AttrNum: int16(i + 1)})
			r.colIndex[c.name] = i
		}
		r.gen = generators[qname]
		s.rels[qname] = r
	}
	return s
}

func colType(o types.Oid) types.T {
	if o == types.OidVarchar {
		return types.Varchar
	}
	return types.T{Oid: o, Mod: -1}
}

// Lookup resolves a relation name: schema "" looks in pg_catalog only (the
// implicit head of every search path). It reports false for names that
// are not system relations.
func (s *System) Lookup(schema, name string) (*Relation, bool) {
	if schema == "" {
		schema = "pg_catalog"
	}
	r, ok := s.rels[schema+"."+name]
	return r, ok
}

// IsSystemSchema reports whether schema holds only system relations.
func IsSystemSchema(schema string) bool {
	return schema == "pg_catalog" || schema == "information_schema"
}

// Columns describes the relation's rows. The slice must not be modified.
func (r *Relation) Columns() []result.Column { return r.columns }

// Rows generates the relation's rows for env.
func (r *Relation) Rows(ctx context.Context, s *System, env *Env) ([][]types.Datum, error) {
	if r.gen == nil {
		return nil, nil
	}
	var out [][]types.Datum
	err := r.gen(s, env, func(rw row) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		d := make([]types.Datum, len(r.columns))
		for k, v := range rw {
			if i, ok := r.colIndex[k]; ok {
				d[i] = v
			}
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

// builtinRelations are the system relations as pg_class rows, sorted.
func (s *System) builtinRelations() []*Relation {
	out := make([]*Relation, 0, len(s.rels))
	for _, r := range s.rels {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
	return out
}

// roles are the catalog's roles (the bootstrap role included, added by
// the engine), sorted by OID; without any, the bootstrap role of Config.
func (s *System) roles(env *Env) []Role {
	var out []Role
	if env != nil && env.Cat != nil {
		for _, r := range env.Cat.Roles {
			out = append(out, Role{OID: r.OID, Name: r.Name, Super: r.Superuser, Inherit: r.Inherit(),
				CreateRole: r.CreateRole, CreateDB: r.CreateDB, CanLogin: r.CanLogin, Replication: r.Replication,
				BypassRLS: r.BypassRLS, ConnLimit: r.ConnLimit, ValidUntil: r.ValidUntil, MemberOf: r.MemberOf})
		}
	}
	if len(out) == 0 {
		out = append(out, Role{OID: BootstrapRoleOID, Name: s.cfg.BootstrapUser, Super: true, Inherit: true, CreateRole: true,
			CreateDB: true, CanLogin: true, Replication: true, BypassRLS: true, ConnLimit: -1})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OID < out[j].OID })
	return out
}

// roleName is pg_get_userbyid: the name, or "unknown (OID=n)".
func (s *System) roleName(env *Env, oid int64) string {
	for _, r := range s.roles(env) {
		if int64(r.OID) == oid {
			return r.Name
		}
	}
	if oid == pgDatabaseOwnerRole {
		return "pg_database_owner"
	}
	return "unknown (OID=" + itoa(oid) + ")"
}

func (s *System) database(env *Env) string {
	if env.Vars != nil {
		if v, ok := env.Vars.Get("database"); ok && v != "" {
			return v
		}
	}
	return s.cfg.Database
}

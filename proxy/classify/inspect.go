package classify

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// writingFunctions are functions a read-only standby cannot run, or whose
// effect or answer belongs to one backend (sequences, advisory locks,
// session settings, transaction ids, notifications, large objects).
var writingFunctions = map[string]bool{
	"nextval": true, "setval": true, "currval": true, "lastval": true,
	"pg_advisory_lock": true, "pg_advisory_lock_shared": true,
	"pg_advisory_xact_lock": true, "pg_advisory_xact_lock_shared": true,
	"pg_try_advisory_lock": true, "pg_try_advisory_lock_shared": true,
	"pg_try_advisory_xact_lock": true, "pg_try_advisory_xact_lock_shared": true,
	"pg_advisory_unlock": true, "pg_advisory_unlock_shared": true, "pg_advisory_unlock_all": true,
	"set_config": true, "txid_current": true, "pg_current_xact_id": true, "pg_notify": true,
	"pg_switch_wal": true, "pg_create_restore_point": true, "pg_promote": true,
	"pg_terminate_backend": true, "pg_cancel_backend": true, "pg_reload_conf": true,
	"lo_create": true, "lo_creat": true, "lo_import": true, "lo_unlink": true, "lo_put": true,
	"lo_from_bytea": true, "lowrite": true, "lo_open": true, "lo_truncate": true,
}

// inspect walks a read statement's whole tree and returns a Write class
// when anything in it writes; otherwise it returns read.
func inspect(root proto.Message, read Class) Class {
	out := read
	walk(root.ProtoReflect(), func(m protoreflect.Message) bool {
		switch x := m.Interface().(type) {
		case *pg_query.InsertStmt, *pg_query.UpdateStmt, *pg_query.DeleteStmt, *pg_query.MergeStmt:
			out = Class{Kind: Write, Reason: ReasonModifyingCTE}
		case *pg_query.SelectStmt:
			if len(x.LockingClause) > 0 {
				out = Class{Kind: Write, Reason: ReasonLocking}
			} else if x.IntoClause != nil {
				out = Class{Kind: Write, Reason: ReasonSelectInto, Temp: x.IntoClause.Rel.GetRelpersistence() == "t"}
			}
		case *pg_query.FuncCall:
			if writingFunctions[funcName(x)] {
				out = Class{Kind: Write, Reason: ReasonVolatileFunction}
			}
		}
		return out.Kind != Write // stop at the first write
	})
	return out
}

func funcName(f *pg_query.FuncCall) string {
	if len(f.Funcname) == 0 {
		return ""
	}
	return strings.ToLower(f.Funcname[len(f.Funcname)-1].GetString_().GetSval())
}

// walk calls visit on m and every message below it, depth first, until
// visit returns false. It reports whether to go on.
func walk(m protoreflect.Message, visit func(protoreflect.Message) bool) bool {
	if !visit(m) {
		return false
	}
	ok := true
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Message() == nil || fd.IsMap() {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len() && ok; i++ {
				ok = walk(l.Get(i).Message(), visit)
			}
			return ok
		}
		ok = walk(v.Message(), visit)
		return ok
	})
	return ok
}

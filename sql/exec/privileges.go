package exec

import (
	"google.golang.org/protobuf/proto"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
)

// Privilege checks. While planning, the builder records what the statement
// needs: SELECT on every table it reads (FROM items, joins, subqueries,
// the WHERE and RETURNING of DML), INSERT/UPDATE/DELETE/TRUNCATE on the
// table it changes, ownership for DDL on a table or index, CREATE on schema
// public for CREATE TABLE. Prepared.Open checks them against the
// transaction's user before running anything, as PostgreSQL's executor
// does (ExecCheckPermissions), so a prepared statement re-checks on every
// execution. Superusers and the engine's internal statements (no user)
// pass. Sequence privileges (nextval of a SERIAL column) are not checked.

// privOwner and privCreateSchema are pseudo privileges
// (planner.PrivOwner, planner.PrivCreateSchema).
const (
	privOwner        = planner.PrivOwner
	privCreateSchema = planner.PrivCreateSchema
)

// privState is the builder's privilege bookkeeping.
type privState struct {
	// needs are the privileges the statement needs.
	needs []privNeed
	// dmlTarget is the table a DML statement changes: its scan is not a
	// read needing SELECT.
	dmlTarget planner.DMLTarget
}

type privNeed struct {
	rel   string // table or index name; "" for privCreateSchema
	index bool   // rel names an index (privOwner)
	priv  catalog.Privilege
}

// require records that the statement needs priv on relation rel.
func (b *builder) require(rel string, priv catalog.Privilege) {
	for i := range b.needs {
		if b.needs[i].rel == rel && !b.needs[i].index {
			b.needs[i].priv |= priv
			return
		}
	}
	b.needs = append(b.needs, privNeed{rel: rel, priv: priv})
}

// checkTableReads asks Config.TableReads when the statement touches a
// table (needs names one: system views and catalogs are not recorded).
func (e *Engine) checkTableReads(needs []privNeed) error {
	if e.cfg.TableReads == nil {
		return nil
	}
	for _, n := range needs {
		if n.rel != "" && !n.index {
			return e.cfg.TableReads()
		}
	}
	return nil
}

// dataAllowed asks Config.TableReads before a function reads or changes
// stored data (sequences, sizes).
func (e *Engine) dataAllowed() error {
	if e.cfg.TableReads == nil {
		return nil
	}
	return e.cfg.TableReads()
}

// collectPrivileges records the privileges a statement needs on its
// target, before it is planned (planner.TargetPrivilegesOf; the reads are
// recorded by buildRangeVar).
func (b *builder) collectPrivileges(tp planner.TargetPrivileges) {
	if tp.HasTarget {
		b.dmlTarget = tp.Target
	}
	for _, n := range tp.Needs {
		if n.Index || n.Rel == "" {
			b.needs = append(b.needs, privNeed{rel: n.Rel, index: n.Index, priv: n.Priv})
			continue
		}
		b.require(n.Rel, n.Priv)
	}
}

// checkPrivileges fails with 42501 unless t's user holds every privilege
// in needs.
func checkPrivileges(t *Txn, cat *catalog.Catalog, needs []privNeed) error {
	if len(needs) == 0 || t.user == "" {
		return nil
	}
	me, err := t.currentRole(cat)
	if err != nil {
		return err
	}
	if isSuper(me) {
		return nil
	}
	for _, n := range needs {
		if n.priv == privCreateSchema {
			if !cat.CanCreateInPublic(me.OID) {
				return pgerror.New(pgerror.InsufficientPrivilege, "permission denied for schema public")
			}
			continue
		}
		var tbl *catalog.Table
		if n.index {
			tbl, _ = cat.IndexByName(n.rel)
		} else {
			tbl = cat.Tables[n.rel]
		}
		if tbl == nil {
			continue // the statement reports the missing relation itself
		}
		if n.priv&privOwner != 0 {
			if !cat.HasPrivsOf(me.OID, tbl.OwnerOID()) {
				kind := "table"
				if n.index {
					kind = "index"
				}
				return pgerror.Newf(pgerror.InsufficientPrivilege, "must be owner of %s %s", kind, n.rel)
			}
			continue
		}
		if have := cat.TablePrivileges(me.OID, tbl); n.priv&^have != 0 {
			return pgerror.Newf(pgerror.InsufficientPrivilege, "permission denied for table %s", n.rel)
		}
	}
	return nil
}

// hasColumnRef reports whether the parse tree under m references a
// column (planner.HasColumnRef).
func hasColumnRef(m proto.Message) bool { return planner.HasColumnRef(m) }

package exec

import (
	"slices"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/result"
)

// GRANT/REVOKE of privileges on tables and on schema public.

func warning(e *env, msg string) {
	if n, ok := e.vars.(result.Noticer); ok {
		n.Notice(&pgerror.Error{Code: pgerror.Warning, Severity: pgerror.SeverityWarning, Message: msg})
	}
}

func (b *builder) buildGrant(gs *planner.Grant) (runner, error) {
	tag, schema, privs, tables, allInPublic := gs.Tag(), gs.Schema, gs.Privileges, gs.Tables, gs.AllInSchema
	for _, name := range tables {
		if b.cat.Tables[name] == nil {
			// PostgreSQL reports no position here.
			return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", name)
		}
	}
	grantees, isGrant, option := gs.Grantees, gs.Grant, gs.GrantOption
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, me, err := t.catalogAndRole()
		if err != nil {
			return nil, err
		}
		var oids []uint32
		for _, spec := range grantees {
			name := roleRefName(t, spec)
			if name == "public" {
				oids = append(oids, catalog.PublicOID)
				continue
			}
			r := cat.Roles[name]
			if r == nil {
				return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", name)
			}
			oids = append(oids, r.OID)
		}
		if schema {
			if !isSuper(me) && !cat.HasPrivsOf(me.OID, catalog.BootstrapRoleOID) {
				return nil, pgerror.New(pgerror.InsufficientPrivilege, "permission denied for schema public")
			}
			acl := changeACL(cat.SchemaACL, oids, catalog.BootstrapRoleOID, privs, isGrant, option)
			t.bumpCatalog()
			t.ov.Put(catalog.BucketCatalog, catalog.SchemaKey, catalog.EncodeGrants(acl))
			return tagCursor(tag, nil), nil
		}
		names := tables
		if allInPublic {
			names = cat.TableNames()
		}
		for _, name := range names {
			tbl := cat.Tables[name]
			if tbl == nil {
				return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", name)
			}
			grantor := tbl.OwnerOID()
			give := privs
			if !isSuper(me) && !cat.HasPrivsOf(me.OID, grantor) {
				// Not the owner: only what it holds WITH GRANT OPTION.
				var held, opts catalog.Privilege
				for _, g := range tbl.ACL {
					if g.Grantee == catalog.PublicOID || cat.HasPrivsOf(me.OID, g.Grantee) {
						held |= g.Privs
						if g.Grantee == me.OID {
							opts |= g.GrantOption
						}
					}
				}
				if held == 0 {
					return nil, pgerror.Newf(pgerror.InsufficientPrivilege, "permission denied for table %s", name)
				}
				grantor = me.OID
				give = privs & opts
				switch {
				case give == 0 && isGrant:
					warning(e, "no privileges were granted for \""+name+"\"")
					continue
				case give == 0:
					warning(e, "no privileges could be revoked for \""+name+"\"")
					continue
				case give != privs && isGrant && privs != catalog.PrivAllTable:
					warning(e, "not all privileges were granted for \""+name+"\"")
				}
			}
			nt := tbl.Clone()
			nt.ACL = changeACL(nt.ACL, oids, grantor, give, isGrant, option)
			t.bumpCatalog()
			t.ov.Put(catalog.BucketCatalog, catalog.TableKey(name), catalog.EncodeTable(nt))
		}
		return tagCursor(tag, nil), nil
	}), nil
}

// changeACL grants privs to (or revokes them from) each grantee, as
// grantor. A revoke with option removes only the grant option.
func changeACL(acl []catalog.Grant, grantees []uint32, grantor uint32, privs catalog.Privilege, grant, option bool) []catalog.Grant {
	out := slices.Clone(acl)
	for _, g := range grantees {
		i := slices.IndexFunc(out, func(x catalog.Grant) bool { return x.Grantee == g && x.Grantor == grantor })
		if grant {
			if i < 0 {
				out = append(out, catalog.Grant{Grantee: g, Grantor: grantor})
				i = len(out) - 1
			}
			out[i].Privs |= privs
			if option {
				out[i].GrantOption |= privs
			}
			continue
		}
		if i < 0 {
			continue
		}
		out[i].GrantOption &^= privs
		if !option {
			out[i].Privs &^= privs
		}
		if out[i].Privs == 0 {
			out = slices.Delete(out, i, i+1)
		}
	}
	return out
}

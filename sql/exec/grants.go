package exec

import (
	"slices"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/result"
)

// GRANT/REVOKE of privileges on tables and on schema public.

func warning(e *env, msg string) {
	if n, ok := e.vars.(result.Noticer); ok {
		n.Notice(&pgerror.Error{Code: pgerror.Warning, Severity: pgerror.SeverityWarning, Message: msg})
	}
}

func (b *builder) buildGrant(gs *pg_query.GrantStmt) (runner, error) {
	tag := "GRANT"
	if !gs.IsGrant {
		tag = "REVOKE"
	}
	var privs catalog.Privilege
	schema := gs.Objtype == pg_query.ObjectType_OBJECT_SCHEMA
	switch gs.Objtype {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_SCHEMA:
	default:
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "%s on %s is not supported", tag, featureObject(gs.Objtype))
	}
	if len(gs.Privileges) == 0 {
		privs = catalog.PrivAllTable
		if schema {
			privs = catalog.PrivUsage | catalog.PrivCreate
		}
	}
	for _, n := range gs.Privileges {
		ap := n.GetAccessPriv()
		if len(ap.Cols) > 0 {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "column privileges are not supported")
		}
		p, ok := catalog.ParsePrivilege(ap.PrivName)
		if !ok {
			return nil, pgerror.Newf(pgerror.SyntaxError, "unrecognized privilege type %q", ap.PrivName)
		}
		valid := catalog.PrivAllTable
		what := "table"
		if schema {
			valid, what = catalog.PrivUsage|catalog.PrivCreate, "schema"
		}
		if p&valid == 0 {
			return nil, pgerror.Newf(pgerror.InvalidGrantOperation, "invalid privilege type %s for %s", p.Names()[0], what)
		}
		privs |= p
	}
	var tables []string
	allInPublic := false
	for _, o := range gs.Objects {
		switch {
		case o.GetRangeVar() != nil:
			rv := o.GetRangeVar()
			if b.cat.Tables[rv.Relname] == nil {
				// PostgreSQL reports no position here.
				return nil, pgerror.Newf(pgerror.UndefinedTable, "relation %q does not exist", rv.Relname)
			}
			tables = append(tables, rv.Relname)
		default:
			s := strVal(o)
			if s != "public" {
				return nil, pgerror.Newf(pgerror.Code("3F000"), "schema %q does not exist", s)
			}
			allInPublic = gs.Targtype == pg_query.GrantTargetType_ACL_TARGET_ALL_IN_SCHEMA
		}
	}
	var grantees []*pg_query.RoleSpec
	for _, n := range gs.Grantees {
		grantees = append(grantees, n.GetRoleSpec())
	}
	isGrant, option := gs.IsGrant, gs.GrantOption
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, me, err := t.catalogAndRole()
		if err != nil {
			return nil, err
		}
		var oids []uint32
		for _, spec := range grantees {
			name := roleSpecName(t, spec)
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

func featureObject(o pg_query.ObjectType) string {
	switch o {
	case pg_query.ObjectType_OBJECT_SEQUENCE:
		return "sequences"
	case pg_query.ObjectType_OBJECT_DATABASE:
		return "databases"
	case pg_query.ObjectType_OBJECT_FUNCTION:
		return "functions"
	}
	return "this object type"
}

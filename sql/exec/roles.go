package exec

import (
	"slices"
	"strings"
	"time"

	"github.com/heliosdb/nano/internal/pgauth"
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	planner "github.com/heliosdb/nano/sql/plan"
	"github.com/heliosdb/nano/sql/types"
)

// Roles: CREATE/ALTER/DROP ROLE (and USER/GROUP), ALTER ROLE ... RENAME,
// GRANT/REVOKE role membership. Roles are catalog descriptors
// (catalog/roles.go) written through the transaction like any DDL, so they
// reach the WAL and the standbys. Table privileges are in grants.go, their
// checks in privileges.go.

// buildAuthStatement plans a role or privilege statement
// (planner.AuthStatementOf read it).
func (b *builder) buildAuthStatement(st planner.AuthStatement) (runner, error) {
	b.readOnly = false
	switch v := st.(type) {
	case *planner.CreateRole:
		return b.buildCreateRole(v), nil
	case *planner.AlterRole:
		return b.buildAlterRole(v), nil
	case *planner.DropRole:
		return b.buildDropRole(v), nil
	case *planner.RenameRole:
		return b.buildRenameRole(v), nil
	case *planner.GrantRole:
		return b.buildGrantRole(v), nil
	case *planner.Grant:
		return b.buildGrant(v)
	}
	return nil, pgerror.Newf(pgerror.InternalError, "unknown role statement %T", st)
}

// roleOpts are the options of CREATE/ALTER ROLE.
type roleOpts planner.RoleOptions

// apply sets the options on r.
func (o *roleOpts) apply(r *catalog.Role) error {
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&r.Superuser, o.Superuser)
	set(&r.CreateRole, o.CreateRole)
	set(&r.CreateDB, o.CreateDB)
	set(&r.CanLogin, o.Login)
	set(&r.Replication, o.Replication)
	set(&r.BypassRLS, o.BypassRLS)
	if o.Inherit != nil {
		r.NoInherit = !*o.Inherit
	}
	if o.ConnLimit != nil {
		r.ConnLimit = *o.ConnLimit
	}
	if o.Password != nil {
		r.Password = ""
		if !o.PasswordNull {
			if *o.Password == "" {
				// PostgreSQL: "empty string is not a valid password,
				// clearing password" (a NOTICE); the role has none.
			} else {
				r.Password = pgauth.EncryptPassword(*o.Password)
			}
		}
	}
	if o.ValidUntil != nil {
		v, err := parseValidUntil(*o.ValidUntil)
		if err != nil {
			return err
		}
		r.ValidUntil = v
	}
	return nil
}

func parseValidUntil(s string) (*time.Time, error) {
	if strings.EqualFold(strings.TrimSpace(s), "infinity") {
		return nil, nil
	}
	d, err := types.ParseText(types.Timestamptz, s)
	if err != nil {
		return nil, err
	}
	t, ok := d.(time.Time)
	if !ok {
		return nil, pgerror.Newf(pgerror.InvalidDatetimeFormat, "invalid input syntax for type timestamp with time zone: %q", s)
	}
	return &t, nil
}

// currentRole is the role the transaction runs as; nil for the engine's
// internal statements (no user), which are all-powerful.
func (t *Txn) currentRole(cat *catalog.Catalog) (*catalog.Role, error) {
	if t.user == "" {
		return nil, nil
	}
	r := cat.Roles[t.user]
	if r == nil && t.eng.cfg.BootstrapUser == "" {
		return nil, nil // an engine without roles: every user is a superuser
	}
	if r == nil {
		// A session whose role was dropped meanwhile (PostgreSQL: the
		// same error from any privilege check).
		return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", t.user)
	}
	return r, nil
}

// currentRoleOID is the OID objects created now are owned by.
// catalogAndRole returns the transaction's catalog and its current role.
func (t *Txn) catalogAndRole() (*catalog.Catalog, *catalog.Role, error) {
	cat, err := t.catalog()
	if err != nil {
		return nil, nil, err
	}
	me, err := t.currentRole(cat)
	if err != nil {
		return nil, nil, err
	}
	return cat, me, nil
}

func (t *Txn) currentRoleOID() uint32 {
	cat, err := t.catalog()
	if err != nil {
		return catalog.BootstrapRoleOID
	}
	if r, _ := t.currentRole(cat); r != nil {
		return r.OID
	}
	return catalog.BootstrapRoleOID
}

func isSuper(r *catalog.Role) bool { return r == nil || r.Superuser }

func (b *builder) buildCreateRole(cs *planner.CreateRole) runner {
	name, login := cs.Name, cs.User
	o := (*roleOpts)(&cs.Options)
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, me, err := t.catalogAndRole()
		if err != nil {
			return nil, err
		}
		switch {
		case o.Superuser != nil && *o.Superuser && !isSuper(me):
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to create superusers")
		case o.Replication != nil && *o.Replication && !isSuper(me):
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to create replication users")
		case o.BypassRLS != nil && *o.BypassRLS && !isSuper(me):
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to create bypassrls users")
		case !isSuper(me) && !me.CreateRole:
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "permission denied to create role")
		}
		if cat.Roles[name] != nil {
			return nil, pgerror.Newf(pgerror.DuplicateObject, "role %q already exists", name)
		}
		r := &catalog.Role{Name: name, CanLogin: login, ConnLimit: -1}
		if err := o.apply(r); err != nil {
			return nil, err
		}
		if cs.Options.EmptyPassword() {
			notice(e, "empty string is not a valid password, clearing password")
		}
		if o.SysID {
			notice(e, "SYSID can no longer be specified")
		}
		for _, g := range o.InRoles {
			gr := cat.Roles[g]
			if gr == nil {
				return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", g)
			}
			r.MemberOf = append(r.MemberOf, gr.OID)
		}
		t.bumpCatalog()
		r.OID = t.allocID()
		t.ov.Put(catalog.BucketCatalog, catalog.RoleKey(name), catalog.EncodeRole(r))
		for _, m := range append(append([]string(nil), o.RoleMembers...), o.AdminMembers...) {
			cat, err := t.catalog()
			if err != nil {
				return nil, err
			}
			mr := cat.Roles[m]
			if mr == nil {
				return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", m)
			}
			if mr.Bootstrap {
				continue // not stored: its memberships cannot be recorded
			}
			if !slices.Contains(mr.MemberOf, r.OID) {
				nm := mr.Clone()
				nm.MemberOf = append(nm.MemberOf, r.OID)
				t.ov.Put(catalog.BucketCatalog, catalog.RoleKey(m), catalog.EncodeRole(nm))
			}
		}
		return tagCursor("CREATE ROLE", nil), nil
	})
}

// roleRefName resolves a role reference to a role name (CURRENT_USER,
// SESSION_USER and CURRENT_ROLE to the transaction's user).
func roleRefName(t *Txn, r planner.RoleRef) string {
	if r.Current {
		return t.user
	}
	return r.Name
}

func (b *builder) buildAlterRole(as *planner.AlterRole) runner {
	o := (*roleOpts)(&as.Options)
	spec := as.Role
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, me, err := t.catalogAndRole()
		if err != nil {
			return nil, err
		}
		name := roleRefName(t, spec)
		r := cat.Roles[name]
		if r == nil {
			return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", name)
		}
		switch {
		case isSuper(me):
		case r.Superuser || o.Superuser != nil:
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to alter superuser roles or change superuser attribute")
		case r.Replication || o.Replication != nil:
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to alter replication roles or change replication attribute")
		case o.BypassRLS != nil:
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to change bypassrls attribute")
		case me.CreateRole:
		case me.OID == r.OID && o.PasswordOnly:
		default:
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "permission denied")
		}
		if r.Bootstrap {
			return nil, pgerror.Newf(pgerror.FeatureNotSupported, "role %q is the node's configured user: its password and attributes come from the node's configuration (--user, --password-file)", name)
		}
		nr := r.Clone()
		if err := o.apply(nr); err != nil {
			return nil, err
		}
		if as.Options.EmptyPassword() {
			notice(e, "empty string is not a valid password, clearing password")
		}
		t.bumpCatalog()
		t.ov.Put(catalog.BucketCatalog, catalog.RoleKey(name), catalog.EncodeRole(nr))
		return tagCursor("ALTER ROLE", nil), nil
	})
}

func (b *builder) buildRenameRole(rs *planner.RenameRole) runner {
	from, to := rs.From, rs.To
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, me, err := t.catalogAndRole()
		if err != nil {
			return nil, err
		}
		r := cat.Roles[from]
		if r == nil {
			return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", from)
		}
		if from == t.user {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "session user cannot be renamed")
		}
		if r.Bootstrap {
			return nil, pgerror.Newf(pgerror.FeatureNotSupported, "role %q is the node's configured user and cannot be renamed", from)
		}
		if cat.Roles[to] != nil {
			return nil, pgerror.Newf(pgerror.DuplicateObject, "role %q already exists", to)
		}
		if err := planner.CheckRoleName(to); err != nil {
			return nil, err
		}
		switch {
		case isSuper(me):
		case r.Superuser:
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to rename superusers")
		case !me.CreateRole:
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "permission denied to rename role")
		}
		nr := r.Clone()
		nr.Name = to
		if strings.HasPrefix(nr.Password, "md5") {
			// The md5 hash is salted with the name: it no longer matches.
			nr.Password = ""
			notice(e, "MD5 password cleared because of role rename")
		}
		t.bumpCatalog()
		t.ov.Delete(catalog.BucketCatalog, catalog.RoleKey(from))
		t.ov.Put(catalog.BucketCatalog, catalog.RoleKey(to), catalog.EncodeRole(nr))
		return tagCursor("ALTER ROLE", nil), nil
	})
}

func (b *builder) buildDropRole(ds *planner.DropRole) runner {
	specs, missingOK := ds.Roles, ds.MissingOK
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		for _, spec := range specs {
			cat, me, err := t.catalogAndRole()
			if err != nil {
				return nil, err
			}
			if !isSuper(me) && !me.CreateRole {
				return nil, pgerror.New(pgerror.InsufficientPrivilege, "permission denied to drop role")
			}
			name := roleRefName(t, spec)
			r := cat.Roles[name]
			if r == nil {
				if missingOK {
					notice(e, "role \""+name+"\" does not exist, skipping")
					continue
				}
				return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", name)
			}
			switch {
			case name == t.user:
				return nil, pgerror.New(pgerror.ObjectInUse, "current user cannot be dropped")
			case r.Bootstrap:
				return nil, pgerror.Newf(pgerror.DependentObjectsExist, "cannot drop role %s because it is required by the database system", name)
			case r.Superuser && !isSuper(me):
				return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to drop superusers")
			}
			if deps := roleDependencies(cat, r.OID); len(deps) > 0 {
				return nil, pgerror.Newf(pgerror.DependentObjectsExist, "role %q cannot be dropped because some objects depend on it", name).
					WithDetail("%s", strings.Join(deps, "\n"))
			}
			t.bumpCatalog()
			t.ov.Delete(catalog.BucketCatalog, catalog.RoleKey(name))
			// Memberships in the dropped role go with it.
			for _, other := range cat.Roles {
				if other.OID == r.OID || other.Bootstrap || !slices.Contains(other.MemberOf, r.OID) {
					continue
				}
				no := other.Clone()
				no.MemberOf = slices.DeleteFunc(no.MemberOf, func(o uint32) bool { return o == r.OID })
				t.ov.Put(catalog.BucketCatalog, catalog.RoleKey(no.Name), catalog.EncodeRole(no))
			}
		}
		return tagCursor("DROP ROLE", nil), nil
	})
}

// roleDependencies lists what keeps role oid from being dropped, in
// PostgreSQL's DETAIL wording.
func roleDependencies(cat *catalog.Catalog, oid uint32) []string {
	var out []string
	if slices.ContainsFunc(cat.SchemaACL, func(g catalog.Grant) bool { return g.Grantee == oid || g.Grantor == oid }) {
		out = append(out, "privileges for schema public")
	}
	for _, name := range cat.TableNames() {
		tbl := cat.Tables[name]
		if tbl.OwnerOID() == oid {
			out = append(out, "owner of table "+name)
		}
	}
	for _, name := range cat.TableNames() {
		tbl := cat.Tables[name]
		if tbl.OwnerOID() != oid && slices.ContainsFunc(tbl.ACL, func(g catalog.Grant) bool { return g.Grantee == oid || g.Grantor == oid }) {
			out = append(out, "privileges for table "+name)
		}
	}
	return out
}

func (b *builder) buildGrantRole(gs *planner.GrantRole) runner {
	granted, grantees, isGrant, tag := gs.Roles, gs.Grantees, gs.Grant, gs.Tag()
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		for _, g := range granted {
			for _, spec := range grantees {
				cat, me, err := t.catalogAndRole()
				if err != nil {
					return nil, err
				}
				gr := cat.Roles[g]
				if gr == nil {
					return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", g)
				}
				mname := roleRefName(t, spec)
				if mname == "public" {
					return nil, pgerror.New(pgerror.FeatureNotSupported, "role membership cannot be granted to PUBLIC")
				}
				mr := cat.Roles[mname]
				if mr == nil {
					return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", mname)
				}
				switch {
				case isSuper(me):
				case gr.Superuser:
					return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to alter superusers")
				case !me.CreateRole:
					return nil, pgerror.Newf(pgerror.InsufficientPrivilege, "must have admin option on role %q", g)
				}
				has := slices.Contains(mr.MemberOf, gr.OID)
				if isGrant {
					if has {
						notice(e, "role \""+mname+"\" is already a member of role \""+g+"\"")
						continue
					}
					if cat.IsMemberOf(gr.OID, mr.OID) {
						return nil, pgerror.Newf(pgerror.InvalidGrantOperation, "role %q is a member of role %q", g, mname)
					}
					if mr.Bootstrap {
						return nil, pgerror.Newf(pgerror.FeatureNotSupported, "role %q is the node's configured user: it is a superuser and its memberships are not stored", mname)
					}
				} else if !has {
					warning(e, "role \""+mname+"\" is not a member of role \""+g+"\"")
					continue
				}
				nm := mr.Clone()
				if isGrant {
					nm.MemberOf = append(nm.MemberOf, gr.OID)
				} else {
					nm.MemberOf = slices.DeleteFunc(nm.MemberOf, func(o uint32) bool { return o == gr.OID })
				}
				t.bumpCatalog()
				t.ov.Put(catalog.BucketCatalog, catalog.RoleKey(mname), catalog.EncodeRole(nm))
			}
		}
		return tagCursor(tag, nil), nil
	})
}

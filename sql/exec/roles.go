package exec

import (
	"slices"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/internal/pgauth"
	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

// Roles: CREATE/ALTER/DROP ROLE (and USER/GROUP), ALTER ROLE ... RENAME,
// GRANT/REVOKE role membership. Roles are catalog descriptors
// (catalog/roles.go) written through the transaction like any DDL, so they
// reach the WAL and the standbys. Table privileges are in grants.go, their
// checks in privileges.go.

// buildAuthStatement plans the role and privilege statements; ok=false
// when n is none of them.
func (b *builder) buildAuthStatement(n *pg_query.Node) (r runner, ok bool, err error) {
	switch v := n.Node.(type) {
	case *pg_query.Node_CreateRoleStmt:
		r, err = b.buildCreateRole(v.CreateRoleStmt)
	case *pg_query.Node_AlterRoleStmt:
		r, err = b.buildAlterRole(v.AlterRoleStmt)
	case *pg_query.Node_DropRoleStmt:
		r, err = b.buildDropRole(v.DropRoleStmt)
	case *pg_query.Node_RenameStmt:
		if v.RenameStmt.RenameType != pg_query.ObjectType_OBJECT_ROLE {
			return nil, false, nil
		}
		r, err = b.buildRenameRole(v.RenameStmt)
	case *pg_query.Node_GrantRoleStmt:
		r, err = b.buildGrantRole(v.GrantRoleStmt)
	case *pg_query.Node_GrantStmt:
		r, err = b.buildGrant(v.GrantStmt)
	case *pg_query.Node_AlterRoleSetStmt:
		return nil, true, pgerror.New(pgerror.FeatureNotSupported, "ALTER ROLE ... SET is not supported")
	default:
		return nil, false, nil
	}
	b.readOnly = false
	return r, true, err
}

// roleOpts are the options of CREATE/ALTER ROLE; nil pointers are absent.
type roleOpts struct {
	password                                 *string // "" with passwordNull
	passwordNull                             bool
	superuser, inherit, createRole, createDB *bool
	login, replication, bypassRLS            *bool
	connLimit                                *int
	validUntil                               *string
	inRoles, roleMembers, adminMembers       []string
	passwordOnly                             bool // only PASSWORD was given
	seen                                     map[string]bool
}

func (b *builder) roleOptions(opts []*pg_query.Node) (*roleOpts, error) {
	o := &roleOpts{seen: map[string]bool{}}
	for _, n := range opts {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		if o.seen[d.Defname] {
			return nil, b.errAt(pgerror.New(pgerror.SyntaxError, "conflicting or redundant options"), d.Location)
		}
		o.seen[d.Defname] = true
		bv := func() *bool {
			v := d.Arg.GetBoolean().GetBoolval()
			return &v
		}
		switch d.Defname {
		case "password":
			if d.Arg == nil {
				o.passwordNull = true
				empty := ""
				o.password = &empty
			} else {
				s := strVal(d.Arg)
				o.password = &s
			}
		case "superuser":
			o.superuser = bv()
		case "inherit":
			o.inherit = bv()
		case "createrole":
			o.createRole = bv()
		case "createdb":
			o.createDB = bv()
		case "canlogin":
			o.login = bv()
		case "isreplication":
			o.replication = bv()
		case "bypassrls":
			o.bypassRLS = bv()
		case "connectionlimit":
			v := int(d.Arg.GetInteger().GetIval())
			if v < -1 {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid connection limit: %d", v)
			}
			o.connLimit = &v
		case "validUntil":
			s := strVal(d.Arg)
			o.validUntil = &s
		case "addroleto":
			o.inRoles = roleSpecNames(d.Arg)
		case "rolemembers":
			o.roleMembers = roleSpecNames(d.Arg)
		case "adminmembers":
			o.adminMembers = roleSpecNames(d.Arg)
		case "sysid":
			// PostgreSQL ignores it with a notice.
		default:
			return nil, pgerror.Newf(pgerror.FeatureNotSupported, "role option %q is not supported", d.Defname)
		}
	}
	o.passwordOnly = len(o.seen) == 1 && o.password != nil
	return o, nil
}

func roleSpecNames(n *pg_query.Node) []string {
	var out []string
	for _, it := range n.GetList().GetItems() {
		if rs := it.GetRoleSpec(); rs != nil {
			out = append(out, rs.Rolename)
		}
	}
	return out
}

// apply sets the options on r.
func (o *roleOpts) apply(r *catalog.Role) error {
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&r.Superuser, o.superuser)
	set(&r.CreateRole, o.createRole)
	set(&r.CreateDB, o.createDB)
	set(&r.CanLogin, o.login)
	set(&r.Replication, o.replication)
	set(&r.BypassRLS, o.bypassRLS)
	if o.inherit != nil {
		r.NoInherit = !*o.inherit
	}
	if o.connLimit != nil {
		r.ConnLimit = *o.connLimit
	}
	if o.password != nil {
		r.Password = ""
		if !o.passwordNull {
			if *o.password == "" {
				// PostgreSQL: "empty string is not a valid password,
				// clearing password" (a NOTICE); the role has none.
			} else {
				r.Password = pgauth.EncryptPassword(*o.password)
			}
		}
	}
	if o.validUntil != nil {
		v, err := parseValidUntil(*o.validUntil)
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

// checkRoleName refuses names PostgreSQL reserves.
func checkRoleName(name string) error {
	switch {
	case name == "public" || name == "none":
		return pgerror.Newf(pgerror.ReservedName, "role name %q is reserved", name)
	case strings.HasPrefix(name, "pg_"):
		return pgerror.Newf(pgerror.ReservedName, "role name %q is reserved", name).
			WithDetail("Role names starting with \"pg_\" are reserved.")
	}
	return nil
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

func (b *builder) buildCreateRole(cs *pg_query.CreateRoleStmt) (runner, error) {
	name := cs.Role
	if err := checkRoleName(name); err != nil {
		return nil, err
	}
	o, err := b.roleOptions(cs.Options)
	if err != nil {
		return nil, err
	}
	login := cs.StmtType == pg_query.RoleStmtType_ROLESTMT_USER
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, me, err := t.catalogAndRole()
		if err != nil {
			return nil, err
		}
		switch {
		case o.superuser != nil && *o.superuser && !isSuper(me):
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to create superusers")
		case o.replication != nil && *o.replication && !isSuper(me):
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to create replication users")
		case o.bypassRLS != nil && *o.bypassRLS && !isSuper(me):
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
		if o.password != nil && !o.passwordNull && *o.password == "" {
			notice(e, "empty string is not a valid password, clearing password")
		}
		if o.seen["sysid"] {
			notice(e, "SYSID can no longer be specified")
		}
		for _, g := range o.inRoles {
			gr := cat.Roles[g]
			if gr == nil {
				return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", g)
			}
			r.MemberOf = append(r.MemberOf, gr.OID)
		}
		t.bumpCatalog()
		r.OID = t.allocID()
		t.ov.Put(catalog.BucketCatalog, catalog.RoleKey(name), catalog.EncodeRole(r))
		for _, m := range append(append([]string(nil), o.roleMembers...), o.adminMembers...) {
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
	}), nil
}

// roleSpecName resolves a RoleSpec to a role name (CURRENT_USER and
// SESSION_USER to the transaction's user).
func roleSpecName(t *Txn, rs *pg_query.RoleSpec) string {
	switch rs.Roletype {
	case pg_query.RoleSpecType_ROLESPEC_CURRENT_USER, pg_query.RoleSpecType_ROLESPEC_SESSION_USER, pg_query.RoleSpecType_ROLESPEC_CURRENT_ROLE:
		return t.user
	case pg_query.RoleSpecType_ROLESPEC_PUBLIC:
		return "public"
	}
	return rs.Rolename
}

func (b *builder) buildAlterRole(as *pg_query.AlterRoleStmt) (runner, error) {
	o, err := b.roleOptions(as.Options)
	if err != nil {
		return nil, err
	}
	if len(o.inRoles) > 0 || len(o.roleMembers) > 0 || len(o.adminMembers) > 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "ALTER ROLE does not change memberships: use GRANT and REVOKE")
	}
	spec := as.Role
	return fnRunner(func(e *env) (Cursor, error) {
		t := e.txn
		cat, me, err := t.catalogAndRole()
		if err != nil {
			return nil, err
		}
		name := roleSpecName(t, spec)
		r := cat.Roles[name]
		if r == nil {
			return nil, pgerror.Newf(pgerror.UndefinedObject, "role %q does not exist", name)
		}
		switch {
		case isSuper(me):
		case r.Superuser || o.superuser != nil:
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to alter superuser roles or change superuser attribute")
		case r.Replication || o.replication != nil:
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to alter replication roles or change replication attribute")
		case o.bypassRLS != nil:
			return nil, pgerror.New(pgerror.InsufficientPrivilege, "must be superuser to change bypassrls attribute")
		case me.CreateRole:
		case me.OID == r.OID && o.passwordOnly:
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
		if o.password != nil && !o.passwordNull && *o.password == "" {
			notice(e, "empty string is not a valid password, clearing password")
		}
		t.bumpCatalog()
		t.ov.Put(catalog.BucketCatalog, catalog.RoleKey(name), catalog.EncodeRole(nr))
		return tagCursor("ALTER ROLE", nil), nil
	}), nil
}

func (b *builder) buildRenameRole(rs *pg_query.RenameStmt) (runner, error) {
	from, to := rs.Subname, rs.Newname
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
		if err := checkRoleName(to); err != nil {
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
	}), nil
}

func (b *builder) buildDropRole(ds *pg_query.DropRoleStmt) (runner, error) {
	var specs []*pg_query.RoleSpec
	for _, n := range ds.Roles {
		if rs := n.GetRoleSpec(); rs != nil {
			specs = append(specs, rs)
		}
	}
	missingOK := ds.MissingOk
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
			name := roleSpecName(t, spec)
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
	}), nil
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

func (b *builder) buildGrantRole(gs *pg_query.GrantRoleStmt) (runner, error) {
	var granted []string
	for _, n := range gs.GrantedRoles {
		granted = append(granted, n.GetAccessPriv().GetPrivName())
	}
	var grantees []*pg_query.RoleSpec
	for _, n := range gs.GranteeRoles {
		grantees = append(grantees, n.GetRoleSpec())
	}
	isGrant := gs.IsGrant
	tag := "GRANT ROLE"
	if !isGrant {
		tag = "REVOKE ROLE"
	}
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
				mname := roleSpecName(t, spec)
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
	}), nil
}

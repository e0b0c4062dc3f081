package plan

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/heliosdb/nano/sql/catalog"
	"github.com/heliosdb/nano/sql/pgerror"
)

// The role and privilege statements read into plain values: CREATE, ALTER,
// DROP and RENAME ROLE (and USER/GROUP), GRANT/REVOKE of role membership
// and of privileges on tables and schema public. AuthStatementOf decides
// every refusal that depends only on the statement's text; exec's runners
// check the catalog and the session's role.

// AuthStatement is one of CreateRole, AlterRole, DropRole, RenameRole,
// GrantRole and Grant.
type AuthStatement interface{ authStatement() }

// RoleRef names a role in a statement (a RoleSpec).
type RoleRef struct {
	// Name is the role's name; "public" for PUBLIC.
	Name string
	// Current is CURRENT_USER, SESSION_USER or CURRENT_ROLE: the
	// session's user.
	Current bool
}

// RoleOptions are the options of CREATE/ALTER ROLE; nil pointers are
// absent.
type RoleOptions struct {
	Password     *string // "" with PasswordNull
	PasswordNull bool    // PASSWORD NULL
	Superuser    *bool
	Inherit      *bool
	CreateRole   *bool
	CreateDB     *bool
	Login        *bool
	Replication  *bool
	BypassRLS    *bool
	ConnLimit    *int
	ValidUntil   *string
	// InRoles (IN ROLE), RoleMembers (ROLE), AdminMembers (ADMIN).
	InRoles, RoleMembers, AdminMembers []string
	// PasswordOnly: PASSWORD was the only option.
	PasswordOnly bool
	// SysID: SYSID was given (PostgreSQL ignores it with a notice).
	SysID bool
}

// EmptyPassword reports PASSWORD ” (PostgreSQL clears the password with
// a notice).
func (o *RoleOptions) EmptyPassword() bool {
	return o.Password != nil && !o.PasswordNull && *o.Password == ""
}

// CreateRole is CREATE ROLE/USER/GROUP.
type CreateRole struct {
	Name string
	// User is CREATE USER: LOGIN unless the options say otherwise.
	User    bool
	Options RoleOptions
}

// AlterRole is ALTER ROLE ... [WITH] options.
type AlterRole struct {
	Role    RoleRef
	Options RoleOptions
}

// DropRole is DROP ROLE [IF EXISTS] roles.
type DropRole struct {
	Roles     []RoleRef
	MissingOK bool
}

// RenameRole is ALTER ROLE from RENAME TO to.
type RenameRole struct{ From, To string }

// GrantRole is GRANT/REVOKE roles TO/FROM grantees.
type GrantRole struct {
	Roles    []string
	Grantees []RoleRef
	Grant    bool // false: REVOKE
}

// Tag is the statement's command tag.
func (g *GrantRole) Tag() string {
	if g.Grant {
		return "GRANT ROLE"
	}
	return "REVOKE ROLE"
}

// Grant is GRANT/REVOKE privileges ON TABLE, ALL TABLES IN SCHEMA public
// or SCHEMA public.
type Grant struct {
	Grant bool // false: REVOKE
	// Schema: ON SCHEMA public (Privileges are USAGE and CREATE).
	Schema     bool
	Privileges catalog.Privilege
	// Tables are the tables named (ON TABLE); AllInSchema is ON ALL
	// TABLES IN SCHEMA public.
	Tables      []string
	AllInSchema bool
	Grantees    []RoleRef
	// GrantOption: WITH GRANT OPTION, or REVOKE GRANT OPTION FOR.
	GrantOption bool
}

// Tag is the statement's command tag.
func (g *Grant) Tag() string {
	if g.Grant {
		return "GRANT"
	}
	return "REVOKE"
}

func (*CreateRole) authStatement() {}
func (*AlterRole) authStatement()  {}
func (*DropRole) authStatement()   {}
func (*RenameRole) authStatement() {}
func (*GrantRole) authStatement()  {}
func (*Grant) authStatement()      {}

// AuthStatementOf reads a role or privilege statement; ok is false when n
// is none of them. Errors PostgreSQL positions are LocatedErrors.
func AuthStatementOf(n *pg_query.Node) (st AuthStatement, ok bool, err error) {
	switch v := n.Node.(type) {
	case *pg_query.Node_CreateRoleStmt:
		st, err = createRoleOf(v.CreateRoleStmt)
	case *pg_query.Node_AlterRoleStmt:
		st, err = alterRoleOf(v.AlterRoleStmt)
	case *pg_query.Node_DropRoleStmt:
		ds := &DropRole{MissingOK: v.DropRoleStmt.MissingOk}
		for _, r := range v.DropRoleStmt.Roles {
			if rs := r.GetRoleSpec(); rs != nil {
				ds.Roles = append(ds.Roles, roleRefOf(rs))
			}
		}
		st = ds
	case *pg_query.Node_RenameStmt:
		if v.RenameStmt.RenameType != pg_query.ObjectType_OBJECT_ROLE {
			return nil, false, nil
		}
		st = &RenameRole{From: v.RenameStmt.Subname, To: v.RenameStmt.Newname}
	case *pg_query.Node_GrantRoleStmt:
		gs := v.GrantRoleStmt
		g := &GrantRole{Grant: gs.IsGrant}
		for _, r := range gs.GrantedRoles {
			g.Roles = append(g.Roles, r.GetAccessPriv().GetPrivName())
		}
		for _, r := range gs.GranteeRoles {
			g.Grantees = append(g.Grantees, roleRefOf(r.GetRoleSpec()))
		}
		st = g
	case *pg_query.Node_GrantStmt:
		st, err = grantOf(v.GrantStmt)
	case *pg_query.Node_AlterRoleSetStmt:
		return nil, true, pgerror.New(pgerror.FeatureNotSupported, "ALTER ROLE ... SET is not supported")
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	return st, true, nil
}

func roleRefOf(rs *pg_query.RoleSpec) RoleRef {
	switch rs.GetRoletype() {
	case pg_query.RoleSpecType_ROLESPEC_CURRENT_USER, pg_query.RoleSpecType_ROLESPEC_SESSION_USER, pg_query.RoleSpecType_ROLESPEC_CURRENT_ROLE:
		return RoleRef{Current: true}
	case pg_query.RoleSpecType_ROLESPEC_PUBLIC:
		return RoleRef{Name: "public"}
	}
	return RoleRef{Name: rs.GetRolename()}
}

// CheckRoleName refuses names PostgreSQL reserves for roles.
func CheckRoleName(name string) error {
	switch {
	case name == "public" || name == "none":
		return pgerror.Newf(pgerror.ReservedName, "role name %q is reserved", name)
	case strings.HasPrefix(name, "pg_"):
		return pgerror.Newf(pgerror.ReservedName, "role name %q is reserved", name).
			WithDetail("Role names starting with \"pg_\" are reserved.")
	}
	return nil
}

func createRoleOf(cs *pg_query.CreateRoleStmt) (*CreateRole, error) {
	if err := CheckRoleName(cs.Role); err != nil {
		return nil, err
	}
	o, err := roleOptionsOf(cs.Options)
	if err != nil {
		return nil, err
	}
	return &CreateRole{Name: cs.Role, User: cs.StmtType == pg_query.RoleStmtType_ROLESTMT_USER, Options: *o}, nil
}

func alterRoleOf(as *pg_query.AlterRoleStmt) (*AlterRole, error) {
	o, err := roleOptionsOf(as.Options)
	if err != nil {
		return nil, err
	}
	if len(o.InRoles) > 0 || len(o.RoleMembers) > 0 || len(o.AdminMembers) > 0 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "ALTER ROLE does not change memberships: use GRANT and REVOKE")
	}
	return &AlterRole{Role: roleRefOf(as.Role), Options: *o}, nil
}

func roleOptionsOf(opts []*pg_query.Node) (*RoleOptions, error) {
	o := &RoleOptions{}
	seen := map[string]bool{}
	for _, n := range opts {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		if seen[d.Defname] {
			return nil, located(pgerror.New(pgerror.SyntaxError, "conflicting or redundant options"), d.Location)
		}
		seen[d.Defname] = true
		bv := func() *bool {
			v := d.Arg.GetBoolean().GetBoolval()
			return &v
		}
		switch d.Defname {
		case "password":
			if d.Arg == nil {
				o.PasswordNull = true
				empty := ""
				o.Password = &empty
			} else {
				s := d.Arg.GetString_().GetSval()
				o.Password = &s
			}
		case "superuser":
			o.Superuser = bv()
		case "inherit":
			o.Inherit = bv()
		case "createrole":
			o.CreateRole = bv()
		case "createdb":
			o.CreateDB = bv()
		case "canlogin":
			o.Login = bv()
		case "isreplication":
			o.Replication = bv()
		case "bypassrls":
			o.BypassRLS = bv()
		case "connectionlimit":
			v := int(d.Arg.GetInteger().GetIval())
			if v < -1 {
				return nil, pgerror.Newf(pgerror.InvalidParameterValue, "invalid connection limit: %d", v)
			}
			o.ConnLimit = &v
		case "validUntil":
			s := d.Arg.GetString_().GetSval()
			o.ValidUntil = &s
		case "addroleto":
			o.InRoles = roleNamesOf(d.Arg)
		case "rolemembers":
			o.RoleMembers = roleNamesOf(d.Arg)
		case "adminmembers":
			o.AdminMembers = roleNamesOf(d.Arg)
		case "sysid":
			o.SysID = true
		default:
			return nil, pgerror.Newf(pgerror.FeatureNotSupported, "role option %q is not supported", d.Defname)
		}
	}
	o.PasswordOnly = len(seen) == 1 && o.Password != nil
	return o, nil
}

func roleNamesOf(n *pg_query.Node) []string {
	var out []string
	for _, it := range n.GetList().GetItems() {
		if rs := it.GetRoleSpec(); rs != nil {
			out = append(out, rs.Rolename)
		}
	}
	return out
}

func grantOf(gs *pg_query.GrantStmt) (*Grant, error) {
	g := &Grant{Grant: gs.IsGrant, GrantOption: gs.GrantOption, Schema: gs.Objtype == pg_query.ObjectType_OBJECT_SCHEMA}
	switch gs.Objtype {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_SCHEMA:
	default:
		return nil, pgerror.Newf(pgerror.FeatureNotSupported, "%s on %s is not supported", g.Tag(), grantObjects(gs.Objtype))
	}
	valid, what := catalog.PrivAllTable, "table"
	if g.Schema {
		valid, what = catalog.PrivUsage|catalog.PrivCreate, "schema"
	}
	if len(gs.Privileges) == 0 { // ALL [PRIVILEGES]
		g.Privileges = valid
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
		if p&valid == 0 {
			return nil, pgerror.Newf(pgerror.InvalidGrantOperation, "invalid privilege type %s for %s", p.Names()[0], what)
		}
		g.Privileges |= p
	}
	for _, o := range gs.Objects {
		if rv := o.GetRangeVar(); rv != nil {
			g.Tables = append(g.Tables, rv.Relname)
			continue
		}
		if s := o.GetString_().GetSval(); s != "public" {
			return nil, pgerror.Newf(pgerror.InvalidSchemaName, "schema %q does not exist", s)
		}
		g.AllInSchema = gs.Targtype == pg_query.GrantTargetType_ACL_TARGET_ALL_IN_SCHEMA
	}
	for _, n := range gs.Grantees {
		g.Grantees = append(g.Grantees, roleRefOf(n.GetRoleSpec()))
	}
	return g, nil
}

// grantObjects names an object type GRANT does not support, in its
// refusal.
func grantObjects(o pg_query.ObjectType) string {
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

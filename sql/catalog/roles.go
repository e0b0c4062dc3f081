package catalog

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// BootstrapRoleOID is the OID of the node's configured user (PostgreSQL's
// bootstrap superuser has OID 10). That role is not stored: the engine
// adds it to every catalog it loads (exec.Config.BootstrapUser), and its
// password comes from the node's configuration. Tables created before
// roles existed have Owner 0, which means this role.
const BootstrapRoleOID = 10

// PublicOID is the grantee "OID" of PUBLIC in a Grant (PostgreSQL: 0).
const PublicOID = 0

// Role describes a role (user or group), as pg_authid does.
type Role struct {
	OID         uint32 `json:"oid"`
	Name        string `json:"name"`
	Superuser   bool   `json:"super,omitempty"`
	NoInherit   bool   `json:"noinherit,omitempty"` // rolinherit = !NoInherit
	CreateRole  bool   `json:"createrole,omitempty"`
	CreateDB    bool   `json:"createdb,omitempty"`
	CanLogin    bool   `json:"login,omitempty"`
	Replication bool   `json:"replication,omitempty"`
	BypassRLS   bool   `json:"bypassrls,omitempty"`
	ConnLimit   int    `json:"connlimit"` // -1 = no limit
	// Password is the stored secret: a SCRAM-SHA-256 verifier or an md5
	// hash (pgauth.ParseSecret); "" = no password. Never clear text.
	Password string `json:"password,omitempty"`
	// ValidUntil is when the password expires; nil = never.
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	// MemberOf lists the OIDs of the roles this role is a direct member of
	// (pg_auth_members).
	MemberOf []uint32 `json:"member_of,omitempty"`
	// Bootstrap marks the node's configured user (not stored).
	Bootstrap bool `json:"-"`
}

// Inherit is pg_authid.rolinherit.
func (r *Role) Inherit() bool { return !r.NoInherit }

// Clone returns a copy of r for modification.
func (r *Role) Clone() *Role {
	c := *r
	c.MemberOf = append([]uint32(nil), r.MemberOf...)
	if r.ValidUntil != nil {
		v := *r.ValidUntil
		c.ValidUntil = &v
	}
	return &c
}

// EncodeRole is the stored form of r.
func EncodeRole(r *Role) []byte {
	b, _ := json.Marshal(r)
	return b
}

// RoleKey is the BucketCatalog key of role name's descriptor.
func RoleKey(name string) []byte { return []byte(rolePrefix + name) }

// Privilege is a set of table privileges (PostgreSQL's AclMode bits).
type Privilege uint16

// Table privileges, with PostgreSQL's aclitem letters.
const (
	PrivInsert     Privilege = 1 << iota // a
	PrivSelect                           // r
	PrivUpdate                           // w
	PrivDelete                           // d
	PrivTruncate                         // D
	PrivReferences                       // x
	PrivTrigger                          // t

	// Schema privileges (GRANT ... ON SCHEMA public).
	PrivUsage  Privilege = 1 << 8 // U
	PrivCreate Privilege = 1 << 9 // C

	PrivAllTable = PrivInsert | PrivSelect | PrivUpdate | PrivDelete | PrivTruncate | PrivReferences | PrivTrigger
)

var privLetters = []struct {
	p    Privilege
	l    byte
	name string
}{
	{PrivInsert, 'a', "INSERT"}, {PrivSelect, 'r', "SELECT"}, {PrivUpdate, 'w', "UPDATE"}, {PrivDelete, 'd', "DELETE"},
	{PrivTruncate, 'D', "TRUNCATE"}, {PrivReferences, 'x', "REFERENCES"}, {PrivTrigger, 't', "TRIGGER"},
	{PrivUsage, 'U', "USAGE"}, {PrivCreate, 'C', "CREATE"},
}

// SchemaKey is the BucketCatalog key of the ACL of schema public: JSON
// []Grant of PrivCreate (USAGE is PUBLIC's, as in PostgreSQL 15).
var SchemaKey = []byte("schema/public")

// EncodeGrants is the stored form of an ACL.
func EncodeGrants(g []Grant) []byte {
	b, _ := json.Marshal(g)
	return b
}

// CanCreateInPublic reports whether role may create tables in schema
// public: PostgreSQL 15 gives CREATE there to the database owner (here
// the bootstrap role) and to roles granted it. Superuser status is the
// caller's concern.
func (c *Catalog) CanCreateInPublic(role uint32) bool {
	if c.HasPrivsOf(role, BootstrapRoleOID) {
		return true
	}
	for _, g := range c.SchemaACL {
		if g.Privs&PrivCreate != 0 && (g.Grantee == PublicOID || c.HasPrivsOf(role, g.Grantee)) {
			return true
		}
	}
	return false
}

// Letters renders p as in an aclitem ("arwdDxt").
func (p Privilege) Letters() string {
	var b strings.Builder
	for _, l := range privLetters {
		if p&l.p != 0 {
			b.WriteByte(l.l)
		}
	}
	return b.String()
}

// Names lists p's privileges by name (information_schema spelling).
func (p Privilege) Names() []string {
	var out []string
	for _, l := range privLetters {
		if p&l.p != 0 {
			out = append(out, l.name)
		}
	}
	return out
}

// ParsePrivilege maps a GRANT privilege name (lower case) to its bit.
func ParsePrivilege(name string) (Privilege, bool) {
	for _, l := range privLetters {
		if strings.EqualFold(l.name, name) {
			return l.p, true
		}
	}
	return 0, false
}

// Grant is one entry of a table's ACL: privileges granted to a role (or
// PUBLIC, Grantee 0) by Grantor.
type Grant struct {
	Grantee uint32    `json:"grantee"`
	Grantor uint32    `json:"grantor"`
	Privs   Privilege `json:"privs"`
	// GrantOption is the subset of Privs granted WITH GRANT OPTION.
	GrantOption Privilege `json:"grant_option,omitempty"`
}

// RoleByOID finds a role by OID (nil when none).
func (c *Catalog) RoleByOID(oid uint32) *Role {
	for _, r := range c.Roles {
		if r.OID == oid {
			return r
		}
	}
	return nil
}

// RoleNames returns the role names, sorted (a read API for pg_roles,
// pg_authid and pg_user).
func (c *Catalog) RoleNames() []string {
	out := make([]string, 0, len(c.Roles))
	for n := range c.Roles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// OwnerOID is the OID of t's owner (Owner 0 = the bootstrap role).
func (t *Table) OwnerOID() uint32 {
	if t.Owner == 0 {
		return BootstrapRoleOID
	}
	return t.Owner
}

// HasPrivsOf reports whether role has the privileges of target: it is
// target, or a member of it through a chain of roles that inherit
// (PostgreSQL's has_privs_of_role). Superuser status is the caller's
// concern.
func (c *Catalog) HasPrivsOf(role, target uint32) bool {
	return c.memberOf(role, target, true)
}

// IsMemberOf reports whether role is target or a member of it, directly
// or indirectly, whatever the inherit flags (is_member_of_role).
func (c *Catalog) IsMemberOf(role, target uint32) bool {
	return c.memberOf(role, target, false)
}

func (c *Catalog) memberOf(role, target uint32, inherit bool) bool {
	seen := map[uint32]bool{}
	stack := []uint32{role}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if cur == target {
			return true
		}
		if seen[cur] {
			continue
		}
		seen[cur] = true
		r := c.RoleByOID(cur)
		if r == nil || (inherit && r.NoInherit) {
			continue
		}
		stack = append(stack, r.MemberOf...)
	}
	return false
}

// TablePrivileges returns the privileges role holds on t: all of them
// for the owner (and members of the owner that inherit), else the union
// of the grants to PUBLIC and to every role whose privileges role has.
// Superuser status is the caller's concern.
func (c *Catalog) TablePrivileges(role uint32, t *Table) Privilege {
	if c.HasPrivsOf(role, t.OwnerOID()) {
		return PrivAllTable
	}
	var p Privilege
	for _, g := range t.ACL {
		if g.Grantee == PublicOID || c.HasPrivsOf(role, g.Grantee) {
			p |= g.Privs
		}
	}
	return p
}

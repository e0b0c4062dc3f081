package hba

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
)

// ConnType is the first field of a rule.
type ConnType int

// The connection types.
const (
	Local     ConnType = iota // Unix-domain socket (the node has none: never matches)
	Host                      // TCP, with or without TLS
	HostSSL                   // TCP with TLS
	HostNoSSL                 // TCP without TLS
)

// The methods a rule may name.
const (
	MethodTrust    = "trust"
	MethodReject   = "reject"
	MethodSCRAM    = "scram-sha-256"
	MethodMD5      = "md5"
	MethodPassword = "password"
)

// ErrSyntax wraps every parse error.
var ErrSyntax = errors.New("hba: invalid rule")

// Rule is one line of the list.
type Rule struct {
	Line      int // 1-based line in the file
	Type      ConnType
	Databases []string // "all", "sameuser", "samerole" or names
	Users     []string // "all", "+role" or names
	// Addr is the client network; AnyAddr for "all" (and local rules).
	Addr    netip.Prefix
	AnyAddr bool
	Method  string
}

// Conn is what Decide knows of a connection.
type Conn struct {
	Local    bool       // Unix-domain socket
	TLS      bool       // TLS negotiated
	Addr     netip.Addr // client address (TCP)
	User     string
	Database string
	// MemberOf reports whether User is a member of role (directly or
	// not), for "+role" and "samerole"; nil = never.
	MemberOf func(role string) bool
}

// Decision is Decide's answer.
type Decision struct {
	Matched bool   // false: no rule matched (the client is refused)
	Method  string // the matching rule's method
	Line    int    // the matching rule's line
}

// Decide returns the method of the first rule matching c.
func Decide(rules []Rule, c Conn) Decision {
	for _, r := range rules {
		if r.matches(c) {
			return Decision{Matched: true, Method: r.Method, Line: r.Line}
		}
	}
	return Decision{}
}

func (r Rule) matches(c Conn) bool {
	switch r.Type {
	case Local:
		if !c.Local {
			return false
		}
	case Host:
		if c.Local {
			return false
		}
	case HostSSL:
		if c.Local || !c.TLS {
			return false
		}
	case HostNoSSL:
		if c.Local || c.TLS {
			return false
		}
	}
	if !c.Local && !r.AnyAddr && !r.Addr.Contains(c.Addr.Unmap()) {
		return false
	}
	return r.matchDatabase(c) && r.matchUser(c)
}

func (r Rule) matchDatabase(c Conn) bool {
	for _, d := range r.Databases {
		switch d {
		case "all":
			return true
		case "sameuser":
			if c.Database == c.User {
				return true
			}
		case "samerole", "samegroup":
			if c.Database == c.User || (c.MemberOf != nil && c.MemberOf(c.Database)) {
				return true
			}
		case "replication":
			// Only physical replication connections, which this
			// protocol port does not serve.
		default:
			if d == c.Database {
				return true
			}
		}
	}
	return false
}

func (r Rule) matchUser(c Conn) bool {
	for _, u := range r.Users {
		switch {
		case u == "all":
			return true
		case strings.HasPrefix(u, "+"):
			if role := u[1:]; role == c.User || (c.MemberOf != nil && c.MemberOf(role)) {
				return true
			}
		case u == c.User:
			return true
		}
	}
	return false
}

// Parse reads a rule list in pg_hba.conf format.
func Parse(r io.Reader) ([]Rule, error) {
	var rules []Rule
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		rule, err := ParseLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		rule.Line = n
		rules = append(rules, rule)
	}
	return rules, sc.Err()
}

// ParseLine reads one rule: TYPE DATABASE USER [ADDRESS] METHOD.
func ParseLine(line string) (Rule, error) {
	f := strings.Fields(line)
	bad := func(format string, args ...any) (Rule, error) {
		return Rule{}, fmt.Errorf("%w: %s: %q", ErrSyntax, fmt.Sprintf(format, args...), strings.TrimSpace(line))
	}
	if len(f) < 4 {
		return bad("want TYPE DATABASE USER [ADDRESS] METHOD")
	}
	var r Rule
	switch f[0] {
	case "local":
		r.Type = Local
	case "host":
		r.Type = Host
	case "hostssl":
		r.Type = HostSSL
	case "hostnossl":
		r.Type = HostNoSSL
	default:
		return bad("unknown connection type %q (want local, host, hostssl or hostnossl)", f[0])
	}
	r.Databases = strings.Split(f[1], ",")
	r.Users = strings.Split(f[2], ",")
	if slices.Contains(r.Databases, "") || slices.Contains(r.Users, "") {
		return bad("empty database or user name")
	}
	rest := f[3:]
	if r.Type == Local {
		r.AnyAddr = true
	} else {
		if len(rest) < 2 {
			return bad("a %s rule needs an address and a method", f[0])
		}
		addr := rest[0]
		rest = rest[1:]
		switch {
		case addr == "all":
			r.AnyAddr = true
		case strings.Contains(addr, "/"):
			p, err := netip.ParsePrefix(addr)
			if err != nil {
				return bad("invalid CIDR address %q", addr)
			}
			r.Addr = p.Masked()
		default:
			a, err := netip.ParseAddr(addr)
			if err != nil {
				return bad("invalid address %q (want a CIDR, an IP address or all; host names are not supported)", addr)
			}
			r.Addr = netip.PrefixFrom(a, a.BitLen())
		}
	}
	if len(rest) != 1 {
		return bad("options after the method are not supported")
	}
	switch m := rest[0]; m {
	case MethodTrust, MethodReject, MethodSCRAM, MethodMD5, MethodPassword:
		r.Method = m
	default:
		return bad("unsupported authentication method %q (want trust, reject, scram-sha-256, md5 or password)", m)
	}
	return r, nil
}

package health

import (
	"fmt"
	"net"
	"strconv"

	"github.com/heliosdb/nano/proxy/backend"
)

// resolve sets the node's HTTP and native addresses from its spec's
// overrides and what the node advertised in st (kept from an earlier
// probe when st says nothing).
func (s *state) resolve(st backend.Status) {
	if st.NodeID != "" {
		s.NodeID = st.NodeID
		s.advertisedHTTP, s.advertisedNative = st.HTTPAddr, st.NativeAddr
	}
	s.HTTPAddress, s.NativeAddress = "", ""
	switch {
	case s.spec.HTTPPort != 0:
		s.HTTPAddress = net.JoinHostPort(s.spec.Host, strconv.Itoa(s.spec.HTTPPort))
	case s.advertisedHTTP != "":
		// The proxy reaches the node's PostgreSQL port by the configured
		// host, so it reaches its HTTP API by that host too.
		if _, port, err := net.SplitHostPort(s.advertisedHTTP); err == nil {
			s.HTTPAddress = net.JoinHostPort(s.spec.Host, port)
		}
	}
	switch {
	case s.spec.NativePort != 0:
		s.NativeAddress = net.JoinHostPort(s.spec.Host, strconv.Itoa(s.spec.NativePort))
	case s.advertisedNative != "":
		// Other nodes dial it: the host the node advertises for itself,
		// unless that is a wildcard.
		if h, port, err := net.SplitHostPort(s.advertisedNative); err == nil {
			if ip := net.ParseIP(h); h == "" || (ip != nil && ip.IsUnspecified()) {
				h = s.spec.Host
			}
			s.NativeAddress = net.JoinHostPort(h, port)
		}
	}
}

// checkIdentities marks configured nodes that turn out to be the same
// node (the same node_id), or that resolve to the same HTTP API or native
// address: a configuration error, reported on each of them and never
// merged. It returns the messages of conflicts that are new. c.mu is held.
func (c *Checker) checkIdentities() []string {
	found := make([]string, len(c.nodes))
	for i := range c.nodes {
		for j := range c.nodes {
			if i == j || found[i] != "" {
				continue
			}
			if why := sameNode(&c.nodes[i], &c.nodes[j]); why != "" {
				found[i] = fmt.Sprintf("configuration error: [[nodes]] %q and %q %s; give each entry its own node's host and port (or http_port/native_port)",
					c.nodes[i].Name, c.nodes[j].Name, why)
			}
		}
	}
	var fresh []string
	for i := range c.nodes {
		if found[i] != c.nodes[i].Conflict && found[i] != "" {
			fresh = append(fresh, found[i])
		}
		c.nodes[i].Conflict = found[i]
	}
	return fresh
}

func sameNode(a, b *state) string {
	switch {
	case a.NodeID != "" && a.NodeID == b.NodeID:
		return fmt.Sprintf("both reach a node with node_id %q", a.NodeID)
	case a.HTTPAddress != "" && a.HTTPAddress == b.HTTPAddress:
		return fmt.Sprintf("both have the HTTP API %s", a.HTTPAddress)
	case a.NativeAddress != "" && a.NativeAddress == b.NativeAddress:
		return fmt.Sprintf("both have the native address %s", a.NativeAddress)
	}
	return ""
}

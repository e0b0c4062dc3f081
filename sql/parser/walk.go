package parser

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Walk calls visit on n and on every parse-tree message under it, depth
// first in field order; visit returning false skips that message's
// children. It is the one walker over pg_query's tree: the builder's
// searches (a column reference, a subquery, a call, a relation name) and
// rewrites (renaming or substituting column references, clearing
// locations) are visits. The wrapper messages (*pg_query.Node) are
// visited as well as the nodes they wrap. A nil n visits nothing.
func Walk(n proto.Message, visit func(m proto.Message) bool) {
	if n != nil {
		walk(n.ProtoReflect(), func(m proto.Message) (bool, bool) { return visit(m), false })
	}
}

// Contains reports whether test hits a message of n's tree (n included);
// test answers whether m is a hit and, if not, whether to look under m.
// The walk stops at the first hit.
func Contains(n proto.Message, test func(m proto.Message) (hit, descend bool)) bool {
	if n == nil {
		return false
	}
	return walk(n.ProtoReflect(), func(m proto.Message) (bool, bool) {
		hit, descend := test(m)
		return descend && !hit, hit
	})
}

// walk visits m and, when visit says to descend, its children; it reports
// whether visit asked to stop (and then stops).
func walk(m protoreflect.Message, visit func(m proto.Message) (descend, stop bool)) bool {
	if !m.IsValid() {
		return false
	}
	descend, stop := visit(m.Interface())
	if stop || !descend {
		return stop
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && !stop; i++ {
				stop = walk(l.Get(i).Message(), visit)
			}
		case fd.Message() != nil && !fd.IsMap():
			stop = walk(v.Message(), visit)
		}
		return !stop
	})
	return stop
}

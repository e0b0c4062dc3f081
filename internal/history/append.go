package history

import (
	"fmt"
	"sort"
	"strings"
)

// Mop is one micro-operation of a list-append transaction: F 'a' appends
// V to Key's list, F 'r' reads it (Read, on OK).
type Mop struct {
	F    byte
	Key  int
	V    int
	Read []int
}

func (m Mop) String() string {
	if m.F == 'a' {
		return fmt.Sprintf("a(%d,%d)", m.Key, m.V)
	}
	if len(m.Read) > 6 {
		return fmt.Sprintf("r(%d,[%d values … %v])", m.Key, len(m.Read), m.Read[len(m.Read)-3:])
	}
	return fmt.Sprintf("r(%d,%v)", m.Key, m.Read)
}

// Txn is a list-append transaction, the Value of a "txn" operation.
type Txn []Mop

// edge kinds of the dependency graph.
const (
	ww = 1 << iota
	wr
	rw
)

type graph struct {
	out map[int]map[int]int // from → to → kinds
}

func (g *graph) add(from, to, kind int) {
	if from == to {
		return
	}
	if g.out[from] == nil {
		g.out[from] = map[int]int{}
	}
	g.out[from][to] |= kind
}

// CheckAppend checks list-append transactions. final is every key's list
// read at the end (after the faults, on the primary); it takes part as one
// more committed read-only transaction. serializable says whether G2 is
// forbidden (repeatable read allows it).
func CheckAppend(ops []Op, final map[int][]int, serializable bool) Result {
	var r Result
	finalOp := Op{ID: -1, Status: OK, F: "txn"}
	var ft Txn
	for k, l := range final {
		ft = append(ft, Mop{F: 'r', Key: k, Read: l})
	}
	finalOp.Value = ft
	txns := map[int]Op{-1: finalOp}
	type kv struct{ k, v int }
	writer := map[kv]int{}     // (key, value) → the op that appended it
	lastAppend := map[kv]int{} // (key, op) → the op's last value appended to key
	for _, op := range ops {
		t, ok := op.Value.(Txn)
		if !ok || op.F != "txn" {
			continue
		}
		txns[op.ID] = op
		for _, m := range t {
			if m.F == 'a' {
				if prev, dup := writer[kv{m.Key, m.V}]; dup {
					r.Anomalies++
					r.problem("append: value %d appended to key %d by #%d and #%d (workload bug)", m.V, m.Key, prev, op.ID)
				}
				writer[kv{m.Key, m.V}] = op.ID
				lastAppend[kv{m.Key, op.ID}] = m.V
			}
		}
	}
	// Version order per key: the longest read; every read a prefix of it.
	type read struct {
		op   int
		list []int
	}
	reads := map[int][]read{}
	ids := make([]int, 0, len(txns))
	for id := range txns {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		op := txns[id]
		if op.Status != OK {
			continue
		}
		for _, m := range op.Value.(Txn) {
			if m.F != 'r' {
				continue
			}
			// The transaction's own appends at the tail are not a read of
			// other transactions' writes.
			l := m.Read
			for len(l) > 0 && writer[kv{m.Key, l[len(l)-1]}] == id && id != -1 {
				l = l[:len(l)-1]
			}
			reads[m.Key] = append(reads[m.Key], read{id, l})
			seen := map[int]bool{}
			for _, v := range m.Read {
				if seen[v] {
					r.Duplicated++
					r.problem("append: #%d read key %d = %v: value %d twice", id, m.Key, m.Read, v)
				}
				seen[v] = true
				w, ok := writer[kv{m.Key, v}]
				switch {
				case !ok:
					r.Anomalies++
					r.problem("append: #%d read key %d = %v: value %d was never appended", id, m.Key, m.Read, v)
				case txns[w].Status == Fail:
					r.Anomalies++
					r.problem("G1a (aborted read): #%d read key %d = %v, value %d of failed %v", id, m.Key, m.Read, v, txns[w])
				}
			}
			if len(l) > 0 {
				last := l[len(l)-1]
				if w, ok := writer[kv{m.Key, last}]; ok && w != id && lastAppend[kv{m.Key, w}] != last {
					r.Anomalies++
					r.problem("G1b (intermediate read): #%d read key %d = %v, ending at %d, not %v's final append", id, m.Key, m.Read, last, txns[w])
				}
			}
		}
	}
	order := map[int][]int{}
	for k, rs := range reads {
		var longest []int
		for _, rd := range rs {
			if len(rd.list) > len(longest) {
				longest = rd.list
			}
		}
		for _, rd := range rs {
			if !isPrefix(rd.list, longest) {
				i := 0
				for i < len(rd.list) && i < len(longest) && rd.list[i] == longest[i] {
					i++
				}
				r.Anomalies++
				r.problem("append: key %d: #%d read %d values, not a prefix of the longest read (%d values): they differ at index %d: %v vs %v (no single version order)",
					k, rd.op, len(rd.list), len(longest), i, rd.list[i:min(i+5, len(rd.list))], longest[i:min(i+5, len(longest))])
			}
		}
		order[k] = longest
	}
	// Lost: acknowledged appends missing from the final read.
	for _, id := range ids {
		op := txns[id]
		if op.Status != OK || id == -1 {
			continue
		}
		for _, m := range op.Value.(Txn) {
			if m.F == 'a' && final != nil && !contains(final[m.Key], m.V) {
				r.Lost++
				r.problem("append: acknowledged a(%d,%d) of #%d missing from the final read of key %d (%d values)", m.Key, m.V, id, m.Key, len(final[m.Key]))
			}
		}
	}
	// The dependency graph.
	g := &graph{out: map[int]map[int]int{}}
	for k, o := range order {
		for i := 1; i < len(o); i++ {
			a, b := writer[kv{k, o[i-1]}], writer[kv{k, o[i]}]
			g.add(a, b, ww)
		}
		for _, rd := range reads[k] {
			if n := len(rd.list); n > 0 {
				if w, ok := writer[kv{k, rd.list[n-1]}]; ok {
					g.add(w, rd.op, wr)
				}
			}
			if n := len(rd.list); n < len(o) {
				if w, ok := writer[kv{k, o[n]}]; ok {
					g.add(rd.op, w, rw)
				}
			}
		}
	}
	found := cycles(g, txns)
	for _, c := range found {
		if c.kind == "G2" && !serializable {
			r.Notes = append(r.Notes, "G2 (allowed at repeatable read): "+c.desc)
			continue
		}
		r.Anomalies++
		r.problem("%s: %s", c.kind, c.desc)
	}
	level := "repeatable read: G0, G1a, G1b, G1c, G-single forbidden; G2 reported, allowed"
	if serializable {
		level = "serializable: G0, G1a, G1b, G1c, G-single, G2 forbidden"
	}
	r.Notes = append(r.Notes, fmt.Sprintf("append: %d transactions, %d keys, %d graph nodes; %s; real-time order not checked", len(txns)-1, len(order), len(g.out), level))
	return r
}

func isPrefix(a, b []int) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func contains(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

type cycle struct{ kind, desc string }

// cycles classifies the dependency cycles: a G0 cycle per strongly
// connected component of the ww graph, G1c per component of ww∪wr not
// already G0, G-single per rw edge closed by ww/wr edges, G2 per
// component of the whole graph with rw edges and no G-single.
func cycles(g *graph, txns map[int]Op) []cycle {
	var out []cycle
	inG0 := map[int]bool{}
	for _, scc := range sccs(g, ww) {
		out = append(out, cycle{"G0", describe(g, scc, ww, txns)})
		for _, n := range scc {
			inG0[n] = true
		}
	}
	for _, scc := range sccs(g, ww|wr) {
		if !inG0[scc[0]] {
			out = append(out, cycle{"G1c", describe(g, scc, ww|wr, txns)})
		}
	}
	// Only an rw edge inside a component of the whole graph can close a
	// cycle: the searches stay off acyclic (correct) histories.
	comp := map[int]int{}
	all := sccs(g, ww|wr|rw)
	for i, scc := range all {
		for _, n := range scc {
			comp[n] = i + 1
		}
	}
	single := map[int]bool{}
	for from, tos := range g.out {
		for to, k := range tos {
			if k&rw == 0 || comp[from] == 0 || comp[from] != comp[to] {
				continue
			}
			if path := bfs(g, to, from, ww|wr); path != nil {
				single[from], single[to] = true, true
				out = append(out, cycle{"G-single", fmt.Sprintf("%s -rw-> %s", label(from, txns), pathString(g, path, txns))})
			}
		}
	}
	for _, scc := range all {
		hasRW, hasSingle := false, false
		for _, n := range scc {
			hasSingle = hasSingle || single[n]
			for to, k := range g.out[n] {
				if k&rw != 0 && inSet(scc, to) {
					hasRW = true
				}
			}
		}
		if hasRW && !hasSingle {
			out = append(out, cycle{"G2", describe(g, scc, ww|wr|rw, txns)})
		}
	}
	return out
}

func inSet(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// sccs are the strongly connected components of more than one node over
// edges of the given kinds (Tarjan).
func sccs(g *graph, kinds int) [][]int {
	index, low, onStack := map[int]int{}, map[int]int{}, map[int]bool{}
	var stack []int
	var out [][]int
	next := 0
	var nodes []int
	for n := range g.out {
		nodes = append(nodes, n)
	}
	sort.Ints(nodes)
	var visit func(int)
	visit = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for w, k := range g.out[v] {
			if k&kinds == 0 {
				continue
			}
			if _, seen := index[w]; !seen {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > 1 {
				sort.Ints(comp)
				out = append(out, comp)
			}
		}
	}
	for _, n := range nodes {
		if _, seen := index[n]; !seen {
			visit(n)
		}
	}
	return out
}

// bfs is a shortest path from → to over edges of kinds, or nil.
func bfs(g *graph, from, to, kinds int) []int {
	prev := map[int]int{from: from}
	queue := []int{from}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		if v == to {
			var path []int
			for n := to; ; n = prev[n] {
				path = append([]int{n}, path...)
				if n == from {
					return path
				}
			}
		}
		for w, k := range g.out[v] {
			if k&kinds == 0 {
				continue
			}
			if _, seen := prev[w]; !seen {
				prev[w] = v
				queue = append(queue, w)
			}
		}
	}
	return nil
}

// describe shows one cycle through the component's first node.
func describe(g *graph, scc []int, kinds int, txns map[int]Op) string {
	start := scc[0]
	for w, k := range g.out[start] {
		if k&kinds != 0 && inSet(scc, w) {
			if path := bfs(g, w, start, kinds); path != nil {
				return label(start, txns) + " " + edgeName(g.out[start][w]&kinds) + " " + pathString(g, path, txns)
			}
		}
	}
	return fmt.Sprintf("component %v", scc)
}

func pathString(g *graph, path []int, txns map[int]Op) string {
	var b strings.Builder
	for i, n := range path {
		if i > 0 {
			b.WriteString(" " + edgeName(g.out[path[i-1]][n]) + " ")
		}
		b.WriteString(label(n, txns))
	}
	return b.String()
}

func edgeName(k int) string {
	var s []string
	for _, e := range []struct {
		k    int
		name string
	}{{ww, "ww"}, {wr, "wr"}, {rw, "rw"}} {
		if k&e.k != 0 {
			s = append(s, e.name)
		}
	}
	return "-" + strings.Join(s, "|") + "->"
}

func label(id int, txns map[int]Op) string {
	if id == -1 {
		return "[final read]"
	}
	op := txns[id]
	return fmt.Sprintf("[#%d %s %v]", id, op.Status, op.Value)
}

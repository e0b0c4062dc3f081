package session

import (
	"maps"
	"sort"
	"strings"

	"github.com/heliosdb/nano/sql/pgerror"
)

// gucs holds one session's parameter values with PostgreSQL's
// transactional semantics: a SET inside a transaction block is undone when
// the block rolls back, SET LOCAL lasts until the block ends, and RESET
// returns to the value the session started with (default or startup
// parameter). The transaction-scoped parameters (transaction_isolation,
// transaction_read_only) and the dynamic read-only ones are answered by
// dynamic. Not safe for concurrent use.
type gucs struct {
	defs    map[string]*gucDef
	session map[string]string // lower-case name -> value set for the session
	reset   map[string]string // RESET values: defaults and startup parameters
	local   map[string]string // SET LOCAL values, until the block ends
	saved   map[string]string // session values when the block began; nil = untouched
	dynamic func(name string) (string, bool)
	// shared: session and local are also held by a savepoint's gucMark
	// and are copied before they change (a SAVEPOINT per statement, as
	// pgjdbc's autosave sets, must not copy every parameter each time).
	shared bool
	// gen counts changes of session and local: a caller that remembers
	// it knows that no stored value changed while it is the same (values
	// answered by dynamic are not covered).
	gen uint64
}

func newGucs(dynamic func(string) (string, bool)) *gucs {
	g := &gucs{defs: gucTable(), session: map[string]string{}, reset: map[string]string{}, dynamic: dynamic}
	for k, d := range g.defs {
		if d.def != "" || d.check != nil {
			g.reset[k] = d.def
		}
	}
	maps.Copy(g.session, g.reset)
	return g
}

// lookup returns the definition of name (case-insensitive) or 42704.
func (g *gucs) lookup(name string) (*gucDef, error) {
	d, ok := g.defs[strings.ToLower(name)]
	if !ok {
		return nil, pgerror.Newf(pgerror.UndefinedObject, "unrecognized configuration parameter %q", name)
	}
	return d, nil
}

// Get returns the current value of name, as SHOW and current_setting()
// report it. It implements exec.Vars.
func (g *gucs) Get(name string) (string, bool) { return g.get(strings.ToLower(name)) }

// get is Get for a lower-case name.
func (g *gucs) get(k string) (string, bool) {
	if g.dynamic != nil {
		if v, ok := g.dynamic(k); ok {
			return v, true
		}
	}
	if v, ok := g.local[k]; ok {
		return v, true
	}
	if v, ok := g.session[k]; ok {
		return v, true
	}
	if d, ok := g.defs[k]; ok {
		return d.def, true
	}
	return "", false
}

// validate checks that name may be set to v and returns the canonical
// definition and value.
func (g *gucs) validate(name, v string) (*gucDef, string, error) {
	d, err := g.lookup(name)
	if err != nil {
		return nil, "", err
	}
	if d.readOnly || d.check == nil {
		return nil, "", errCannotChange(d)
	}
	cur, _ := g.Get(name)
	canon, err := d.check(d, cur, v)
	if err != nil {
		return nil, "", err
	}
	return d, canon, nil
}

// set assigns a validated value. inBlock says whether a transaction block
// is open (the change is then undone by rollback); local makes it last
// only until the block ends.
func (g *gucs) set(name, v string, inBlock, local bool) error {
	d, canon, err := g.validate(name, v)
	if err != nil {
		return err
	}
	k := strings.ToLower(d.name)
	g.own()
	g.gen++
	if local {
		if g.local == nil {
			g.local = map[string]string{}
		}
		g.local[k] = canon
		return nil
	}
	g.save(inBlock)
	g.session[k] = canon
	delete(g.local, k)
	return nil
}

// resetOne returns name to its reset value.
func (g *gucs) resetOne(name string, inBlock bool) error {
	d, err := g.lookup(name)
	if err != nil {
		return err
	}
	if d.readOnly || d.check == nil {
		return errCannotChange(d)
	}
	k := strings.ToLower(d.name)
	g.own()
	g.gen++
	g.save(inBlock)
	g.session[k] = g.reset[k]
	delete(g.local, k)
	return nil
}

// resetAll implements RESET ALL.
func (g *gucs) resetAll(inBlock bool) {
	g.save(inBlock)
	g.session = maps.Clone(g.reset)
	g.local = nil
	g.shared = false
	g.gen++
}

// setStartup applies a startup parameter: it becomes the RESET value too.
func (g *gucs) setStartup(name, v string) error {
	d, canon, err := g.validate(name, v)
	if err != nil {
		return err
	}
	k := strings.ToLower(d.name)
	g.session[k] = canon
	g.reset[k] = canon
	g.gen++
	return nil
}

func (g *gucs) save(inBlock bool) {
	if inBlock && g.saved == nil {
		g.saved = maps.Clone(g.session)
	}
}

// gucMark is the parameter values at a SAVEPOINT.
type gucMark struct{ session, local map[string]string }

// mark returns the current values, for restore. The maps are shared
// until the next change (own).
func (g *gucs) mark() gucMark {
	g.shared = true
	return gucMark{session: g.session, local: g.local}
}

// restore returns to the values of m (ROLLBACK TO SAVEPOINT undoes SET
// and SET LOCAL).
func (g *gucs) restore(m gucMark) {
	g.session, g.local, g.shared = m.session, m.local, true
	g.gen++
}

// own copies the value maps before a change when a mark shares them.
func (g *gucs) own() {
	if g.shared {
		g.session, g.local, g.shared = maps.Clone(g.session), maps.Clone(g.local), false
	}
}

// endBlock ends a transaction block: commit keeps session values,
// rollback restores those of the block's start. SET LOCAL values go.
func (g *gucs) endBlock(commit bool) {
	if (!commit && g.saved != nil) || g.local != nil {
		g.gen++
	}
	if !commit && g.saved != nil {
		g.session = g.saved
	}
	g.saved = nil
	g.local = nil
	g.shared = false // the block's marks are gone
}

// names returns the canonical names of all parameters, sorted as SHOW ALL
// sorts them (case-insensitively).
func (g *gucs) names() []string {
	keys := make([]string, 0, len(g.defs))
	for k, d := range g.defs {
		if !d.hidden {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = g.defs[k].name
	}
	return out
}

// reported returns the GUC_REPORT parameters with their current values.
func (g *gucs) reported() map[string]string {
	m := make(map[string]string, len(reportedGUCs))
	for _, r := range reportedGUCs {
		m[r.name], _ = g.get(r.key)
	}
	return m
}

// reportedGUCs lists the GUC_REPORT parameters once: reported runs after
// every statement (ReadyForQuery), so it must not walk the whole table.
var reportedGUCs = func() []struct{ key, name string } {
	var out []struct{ key, name string }
	for k, d := range gucTable() {
		if d.report {
			out = append(out, struct{ key, name string }{k, d.name})
		}
	}
	return out
}()

// errCannotChange is SET's 55P02 for a read-only parameter; one fixed at
// server start says so, as PostgreSQL does.
func errCannotChange(d *gucDef) error {
	if pgSettingsMeta[strings.ToLower(d.name)].context == "postmaster" {
		return pgerror.Newf(pgerror.CantChangeRuntimeParam, "parameter %q cannot be changed without restarting the server", d.name)
	}
	return pgerror.Newf(pgerror.CantChangeRuntimeParam, "parameter %q cannot be changed", d.name)
}

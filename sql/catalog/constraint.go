package catalog

// Check is a CHECK constraint of a table.
type Check struct {
	// OID is the constraint's pg_constraint OID.
	OID  uint32 `json:"oid"`
	Name string `json:"name"`
	// Expr is the condition as SQL text (deparsed); Columns are the
	// ordinals of the columns it reads (conkey).
	Expr    string `json:"expr"`
	Columns []int  `json:"columns"`
	// NotValid marks a constraint added NOT VALID: existing rows were not
	// checked.
	NotValid bool `json:"notvalid,omitempty"`
}

// Referential actions of a foreign key, as pg_constraint's
// confupdtype/confdeltype letters.
const (
	FKNoAction   = "a"
	FKRestrict   = "r"
	FKCascade    = "c"
	FKSetNull    = "n"
	FKSetDefault = "d"
)

// ForeignKey is a FOREIGN KEY constraint of a table (the referencing
// side). MATCH SIMPLE: a row with a NULL in any key column is not checked.
type ForeignKey struct {
	OID     uint32 `json:"oid"`
	Name    string `json:"name"`
	Columns []int  `json:"columns"` // ordinals of the referencing columns
	// RefTable is the referenced table's OID (stable across renames) and
	// RefColumns its referenced columns by name, in key order.
	RefTable   uint32   `json:"reftable"`
	RefColumns []string `json:"refcolumns"`
	// OnDelete and OnUpdate are FKNoAction, FKRestrict, ...
	OnDelete string `json:"ondelete"`
	OnUpdate string `json:"onupdate"`
	// Match is "s" (MATCH SIMPLE) or "f" (MATCH FULL).
	Match    string `json:"match,omitempty"`
	NotValid bool   `json:"notvalid,omitempty"`
	// Deferrable: SET CONSTRAINTS may defer the checks to COMMIT;
	// Deferred: they are deferred unless SET CONSTRAINTS says otherwise
	// (INITIALLY DEFERRED; implies Deferrable).
	Deferrable bool `json:"deferrable,omitempty"`
	Deferred   bool `json:"deferred,omitempty"`
}

// TableByOID finds a table by its OID.
func (c *Catalog) TableByOID(oid uint32) *Table {
	for _, t := range c.Tables {
		if t.OID == oid {
			return t
		}
	}
	return nil
}

// Reference is a foreign key of another table that references a table.
type Reference struct {
	Child *Table
	FK    *ForeignKey
}

// ReferencedBy lists the foreign keys (of any table, itself included)
// that reference t, ordered by child table name and constraint name.
func (c *Catalog) ReferencedBy(t *Table) []Reference {
	if !c.referenced(t) {
		return nil // the common case, without sorting the table names
	}
	var out []Reference
	for _, name := range c.TableNames() {
		ct := c.Tables[name]
		for i := range ct.ForeignKeys {
			if ct.ForeignKeys[i].RefTable == t.OID {
				out = append(out, Reference{Child: ct, FK: &ct.ForeignKeys[i]})
			}
		}
	}
	return out
}

// referenced reports whether a foreign key of any table refers to t.
func (c *Catalog) referenced(t *Table) bool {
	for _, ct := range c.Tables {
		for i := range ct.ForeignKeys {
			if ct.ForeignKeys[i].RefTable == t.OID {
				return true
			}
		}
	}
	return false
}

// ConstraintNameTaken reports whether name is a constraint of t (primary
// key, unique, check or foreign key).
func (t *Table) ConstraintNameTaken(name string) bool {
	if name == t.PKName && !t.HasHiddenKey() {
		return true
	}
	for _, ix := range t.Indexes {
		if ix.Constraint && ix.Name == name {
			return true
		}
	}
	for _, ck := range t.Checks {
		if ck.Name == name {
			return true
		}
	}
	for _, fk := range t.ForeignKeys {
		if fk.Name == name {
			return true
		}
	}
	return false
}

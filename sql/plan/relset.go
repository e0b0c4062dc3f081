package plan

import "math/bits"

// RelSet is a set of relations of one FROM list: bit i is relation i. A
// FROM list joins at most MaxRelations relations this way.
type RelSet uint64

// MaxRelations is the most relations PlanJoin orders (a RelSet's width).
const MaxRelations = 64

// Rel returns the set holding relation i alone.
func Rel(i int) RelSet { return 1 << uint(i) }

// Has reports whether relation i is in s.
func (s RelSet) Has(i int) bool { return s&Rel(i) != 0 }

// SubsetOf reports whether every relation of s is in o.
func (s RelSet) SubsetOf(o RelSet) bool { return s&^o == 0 }

// Len is the number of relations in s.
func (s RelSet) Len() int { return bits.OnesCount64(uint64(s)) }

// Single returns the one relation of s and true, or false when s holds
// zero or several relations.
func (s RelSet) Single() (int, bool) {
	if s.Len() != 1 {
		return 0, false
	}
	return bits.TrailingZeros64(uint64(s)), true
}

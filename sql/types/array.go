package types

import (
	"encoding/binary"
	"strings"
	"time"

	"github.com/heliosdb/nano/sql/pgerror"
)

// Array is the datum of an array type: a rectangular array of Dims
// (row-major in Elems, nil = NULL element) with per-dimension lower bounds.
// The empty array has no dimensions. Elements are datums of Elem's family.
// Like every datum it is never mutated once built.
type Array struct {
	Elem  T
	Dims  []int
	Lower []int
	Elems []Datum
}

// NewArray1 is a one-dimensional array with lower bound 1 (the empty
// array when elems is empty).
func NewArray1(elem T, elems []Datum) *Array {
	if len(elems) == 0 {
		return &Array{Elem: elem}
	}
	return &Array{Elem: elem, Dims: []int{len(elems)}, Lower: []int{1}, Elems: elems}
}

// NDims is the number of dimensions (0 for the empty array).
func (a *Array) NDims() int { return len(a.Dims) }

// HasNull reports whether an element is NULL.
func (a *Array) HasNull() bool {
	for _, e := range a.Elems {
		if e == nil {
			return true
		}
	}
	return false
}

// arrayTypes maps element type OIDs to their array types (pg_type.dat).
var arrayTypes = map[Oid]Oid{
	OidBool: 1000, OidBytea: 1001, OidChar: 1002, OidName: 1003, OidInt8: 1016,
	OidInt2: 1005, OidInt4: 1007, OidRegproc: 1008, OidText: 1009, OidOid: 1028,
	OidJSON: 199, OidFloat4: 1021, OidFloat8: 1022, OidBpchar: 1014, OidVarchar: 1015,
	OidDate: 1182, OidTime: 1183, OidTimestamp: 1115, OidTimestamptz: 1185,
	OidInterval: 1187, OidNumeric: 1231, OidUUID: 2951, OidJSONB: 3807,
	OidRegclass: 2210, OidRegtype: 2211, OidPgLSN: 3221, OidRegnamespace: 4090, OidRegprocedure: 2207,
	OidRegrole: 4097, OidRecord: 2287,
}

var elemTypes = func() map[Oid]Oid {
	m := make(map[Oid]Oid, len(arrayTypes))
	for e, a := range arrayTypes {
		m[a] = e
	}
	return m
}()

// ArrayOf is the array type of element type t (keeping t's modifier, as
// PostgreSQL's varchar(10)[]), or false when t has none here.
func ArrayOf(t T) (T, bool) {
	a, ok := arrayTypes[t.Oid]
	return T{a, t.Mod}, ok
}

// ElemOf is the element type of array type t.
func ElemOf(t T) (T, bool) {
	e, ok := elemTypes[t.Oid]
	return T{e, t.Mod}, ok
}

// IsArray reports whether t is an array type known to this package.
func (t T) IsArray() bool { _, ok := elemTypes[t.Oid]; return ok }

// AsArray returns d, a value of array type t, as an *Array: catalog rows
// carry some arrays in their text form (package pgcatalog), parsed here.
func AsArray(d Datum, t T) (*Array, error) {
	switch v := d.(type) {
	case *Array:
		return v, nil
	case string:
		if et, ok := ElemOf(t); ok {
			return parseArray(t, et, v)
		}
		// int2vector/oidvector-like text ("1 2") and unknown arrays:
		// elements as text
		if !strings.HasPrefix(strings.TrimSpace(v), "{") && !strings.HasPrefix(strings.TrimSpace(v), "[") {
			var el []Datum
			for _, f := range strings.Fields(v) {
				el = append(el, f)
			}
			a := NewArray1(Text, el)
			if len(el) > 0 && (t.Oid == 22 || t.Oid == 30) {
				a.Lower = []int{0}
			}
			return a, nil
		}
		return parseArray(t, Text, v)
	}
	return nil, errDatumType(d, t)
}

func errMalformedArray(s, detail string, args ...any) error {
	return pgerror.Newf(pgerror.InvalidTextRepresentation, "malformed array literal: \"%s\"", s).WithDetail(detail, args...)
}

// arrNode is a parsed array literal: a leaf (text, quoted) or a list.
type arrNode struct {
	leaf   bool
	text   string
	quoted bool
	kids   []*arrNode
}

type arrScanner struct {
	s   string
	i   int
	all string
}

func isArraySpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func (p *arrScanner) skip() {
	for p.i < len(p.s) && isArraySpace(p.s[p.i]) {
		p.i++
	}
}

func (p *arrScanner) list() (*arrNode, error) {
	// at '{'
	p.i++
	n := &arrNode{}
	p.skip()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return n, nil
	}
	for {
		p.skip()
		if p.i >= len(p.s) {
			return nil, errMalformedArray(p.all, "Unexpected end of input.")
		}
		var kid *arrNode
		var err error
		if p.s[p.i] == '{' {
			kid, err = p.list()
		} else {
			kid, err = p.elem()
		}
		if err != nil {
			return nil, err
		}
		n.kids = append(n.kids, kid)
		p.skip()
		if p.i >= len(p.s) {
			return nil, errMalformedArray(p.all, "Unexpected end of input.")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return n, nil
		default:
			return nil, errMalformedArray(p.all, "Unexpected \"%c\" character.", p.s[p.i])
		}
	}
}

func (p *arrScanner) elem() (*arrNode, error) {
	var b strings.Builder
	n := &arrNode{leaf: true}
	if p.s[p.i] == '"' {
		n.quoted = true
		p.i++
		for {
			if p.i >= len(p.s) {
				return nil, errMalformedArray(p.all, "Unexpected end of input.")
			}
			c := p.s[p.i]
			p.i++
			if c == '\\' {
				if p.i >= len(p.s) {
					return nil, errMalformedArray(p.all, "Unexpected end of input.")
				}
				b.WriteByte(p.s[p.i])
				p.i++
				continue
			}
			if c == '"' {
				break
			}
			b.WriteByte(c)
		}
		n.text = b.String()
		return n, nil
	}
	keep := 0 // length of b up to the last escaped or non-space byte
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\':
			p.i++
			if p.i >= len(p.s) {
				return nil, errMalformedArray(p.all, "Unexpected end of input.")
			}
			b.WriteByte(p.s[p.i])
			p.i++
			keep = b.Len()
			n.quoted = true // an escaped element is never NULL
			continue
		case c == ',' || c == '}':
			n.text = b.String()[:keep]
			if n.text == "" && !n.quoted {
				return nil, errMalformedArray(p.all, "Unexpected \"%c\" character.", c)
			}
			return n, nil
		case c == '{' || c == '"':
			return nil, errMalformedArray(p.all, "Unexpected \"%c\" character.", c)
		}
		b.WriteByte(c)
		if !isArraySpace(c) {
			keep = b.Len()
		}
		p.i++
	}
	return nil, errMalformedArray(p.all, "Unexpected end of input.")
}

// parseDimDecoration reads "[lo:hi][lo:hi]=" (or "[hi]").
func parseDimDecoration(p *arrScanner) (dims, lower []int, err error) {
	for {
		p.skip()
		if p.i >= len(p.s) || p.s[p.i] != '[' {
			break
		}
		p.i++
		num := func() (int, bool) {
			st := p.i
			if p.i < len(p.s) && (p.s[p.i] == '-' || p.s[p.i] == '+') {
				p.i++
			}
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++
			}
			v, e := parseSmallInt(p.s[st:p.i])
			return v, e == nil && p.i > st
		}
		lo, ok := num()
		if !ok {
			return nil, nil, errMalformedArray(p.all, "\"[\" must introduce explicitly-specified array dimensions.")
		}
		hi := lo
		if p.i < len(p.s) && p.s[p.i] == ':' {
			p.i++
			if hi, ok = num(); !ok {
				return nil, nil, errMalformedArray(p.all, "Missing array dimension value.")
			}
		} else {
			lo = 1
		}
		if p.i >= len(p.s) || p.s[p.i] != ']' {
			return nil, nil, errMalformedArray(p.all, "Missing \"]\" after array dimensions.")
		}
		p.i++
		if hi < lo {
			return nil, nil, pgerror.New(pgerror.ArraySubscriptError, "upper bound cannot be less than lower bound")
		}
		dims, lower = append(dims, hi-lo+1), append(lower, lo)
	}
	if len(dims) > 0 {
		p.skip()
		if p.i >= len(p.s) || p.s[p.i] != '=' {
			return nil, nil, errMalformedArray(p.all, "Missing \"=\" after array dimensions.")
		}
		p.i++
	}
	return dims, lower, nil
}

func parseSmallInt(s string) (int, error) {
	v, err := parseInt(Int4, s)
	if err != nil {
		return 0, err
	}
	return int(v.(int64)), nil
}

// parseArray is array_in: s is an array literal of type t with elements
// of type et.
func parseArray(t, et T, s string) (*Array, error) { return parseArrayLoc(t, et, s, time.UTC) }

// parseArrayLoc is parseArray with timestamptz elements read in loc.
func parseArrayLoc(t, et T, s string, loc *time.Location) (*Array, error) {
	p := &arrScanner{s: s, all: s}
	dimsDecl, lowerDecl, err := parseDimDecoration(p)
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.i >= len(p.s) || p.s[p.i] != '{' {
		if len(dimsDecl) > 0 {
			return nil, errMalformedArray(s, "Array contents must start with \"{\".")
		}
		return nil, errMalformedArray(s, "Array value must start with \"{\" or dimension information.")
	}
	root, err := p.list()
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.i != len(p.s) {
		return nil, errMalformedArray(s, "Junk after closing right brace.")
	}
	var dims []int
	for n := root; ; {
		if n.leaf {
			break
		}
		if len(n.kids) == 0 {
			if len(dims) > 0 {
				return nil, errMalformedArray(s, "Multidimensional arrays must have sub-arrays with matching dimensions.")
			}
			break
		}
		dims = append(dims, len(n.kids))
		n = n.kids[0]
	}
	if len(dims) > 6 {
		return nil, pgerror.Newf(pgerror.ProgramLimitExceeded, "number of array dimensions (%d) exceeds the maximum allowed (6)", len(dims))
	}
	a := &Array{Elem: et}
	var walk func(n *arrNode, depth int) error
	walk = func(n *arrNode, depth int) error {
		if depth == len(dims) {
			if !n.leaf {
				return errMalformedArray(s, "Unexpected \"{\" character.")
			}
			if !n.quoted && strings.EqualFold(n.text, "NULL") {
				a.Elems = append(a.Elems, nil)
				return nil
			}
			d, err := ParseTextLoc(et, n.text, loc)
			if err != nil {
				return err
			}
			a.Elems = append(a.Elems, d)
			return nil
		}
		if n.leaf {
			return errMalformedArray(s, "Unexpected array element.")
		}
		if len(n.kids) != dims[depth] {
			return errMalformedArray(s, "Multidimensional arrays must have sub-arrays with matching dimensions.")
		}
		for _, k := range n.kids {
			if err := walk(k, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if len(dims) > 0 {
		if err := walk(root, 0); err != nil {
			return nil, err
		}
		a.Dims = dims
		a.Lower = make([]int, len(dims))
		for i := range a.Lower {
			a.Lower[i] = 1
		}
	}
	if len(dimsDecl) > 0 {
		if len(dimsDecl) != len(dims) {
			return nil, errMalformedArray(s, "Specified array dimensions do not match array contents.")
		}
		for i := range dims {
			if dims[i] != dimsDecl[i] {
				return nil, errMalformedArray(s, "Specified array dimensions do not match array contents.")
			}
		}
		a.Lower = lowerDecl
	}
	return a, nil
}

// appendArrayText is array_out.
func appendArrayText(buf []byte, a *Array, loc *time.Location) []byte {
	if len(a.Dims) == 0 {
		return append(buf, "{}"...)
	}
	for _, l := range a.Lower {
		if l != 1 {
			for i := range a.Dims {
				buf = append(buf, '[')
				buf = appendInt(buf, a.Lower[i])
				buf = append(buf, ':')
				buf = appendInt(buf, a.Lower[i]+a.Dims[i]-1)
				buf = append(buf, ']')
			}
			buf = append(buf, '=')
			break
		}
	}
	k := 0
	var rec func(depth int)
	rec = func(depth int) {
		buf = append(buf, '{')
		for i := 0; i < a.Dims[depth]; i++ {
			if i > 0 {
				buf = append(buf, ',')
			}
			if depth+1 < len(a.Dims) {
				rec(depth + 1)
				continue
			}
			e := a.Elems[k]
			k++
			if e == nil {
				buf = append(buf, "NULL"...)
				continue
			}
			buf = appendArrayElem(buf, e, a.Elem, loc)
		}
		buf = append(buf, '}')
	}
	rec(0)
	return buf
}

func appendArrayElem(buf []byte, e Datum, et T, loc *time.Location) []byte {
	var s []byte
	if et.Oid == OidBool {
		if e == true {
			s = []byte{'t'}
		} else {
			s = []byte{'f'}
		}
	} else {
		s = AppendTextLoc(nil, e, et, loc)
	}
	quote := len(s) == 0 || strings.EqualFold(string(s), "NULL")
	for _, c := range s {
		if c == '{' || c == '}' || c == ',' || c == '"' || c == '\\' || isArraySpace(c) {
			quote = true
			break
		}
	}
	if !quote {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	for _, c := range s {
		if c == '"' || c == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, c)
	}
	return append(buf, '"')
}

func appendInt(buf []byte, v int) []byte {
	return AppendText(buf, int64(v), Int8)
}

// appendArrayBinary is array_send.
func appendArrayBinary(buf []byte, a *Array) ([]byte, error) {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(a.Dims)))
	hasNull := uint32(0)
	if a.HasNull() {
		hasNull = 1
	}
	buf = binary.BigEndian.AppendUint32(buf, hasNull)
	buf = binary.BigEndian.AppendUint32(buf, a.Elem.Oid)
	for i := range a.Dims {
		buf = binary.BigEndian.AppendUint32(buf, uint32(a.Dims[i]))
		buf = binary.BigEndian.AppendUint32(buf, uint32(int32(a.Lower[i])))
	}
	for _, e := range a.Elems {
		if e == nil {
			buf = binary.BigEndian.AppendUint32(buf, 0xFFFFFFFF)
			continue
		}
		at := len(buf)
		buf = append(buf, 0, 0, 0, 0)
		var err error
		if buf, err = AppendBinary(buf, e, a.Elem); err != nil {
			return buf, err
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	return buf, nil
}

// decodeArrayBinary is array_recv for array type t.
func decodeArrayBinary(t T, b []byte) (Datum, error) {
	et, _ := ElemOf(t)
	bad := func() error { return errBinary(t, "insufficient data left in message") }
	if len(b) < 12 {
		return nil, bad()
	}
	nd := int32(binary.BigEndian.Uint32(b))
	flags := binary.BigEndian.Uint32(b[4:])
	eoid := binary.BigEndian.Uint32(b[8:])
	b = b[12:]
	if nd < 0 || nd > 6 {
		return nil, pgerror.Newf(pgerror.InvalidBinaryRepresentation, "invalid number of dimensions: %d", nd)
	}
	if flags != 0 && flags != 1 {
		return nil, pgerror.New(pgerror.InvalidBinaryRepresentation, "invalid array flags")
	}
	if eoid != et.Oid {
		return nil, pgerror.Newf(pgerror.DatatypeMismatch, "binary data has array element type %d (%s) instead of expected %d (%s)",
			eoid, T{eoid, -1}, et.Oid, T{et.Oid, -1})
	}
	a := &Array{Elem: T{et.Oid, -1}}
	n := 1
	for range nd {
		if len(b) < 8 {
			return nil, bad()
		}
		d, l := int(int32(binary.BigEndian.Uint32(b))), int(int32(binary.BigEndian.Uint32(b[4:])))
		b = b[8:]
		if d < 0 || d > 1<<27 {
			return nil, pgerror.New(pgerror.ProgramLimitExceeded, "array size exceeds the maximum allowed (134217727)")
		}
		a.Dims, a.Lower = append(a.Dims, d), append(a.Lower, l)
		n *= d
		if n > 1<<27 {
			return nil, pgerror.New(pgerror.ProgramLimitExceeded, "array size exceeds the maximum allowed (134217727)")
		}
	}
	if nd > 0 && n == 0 {
		a.Dims, a.Lower = nil, nil
	}
	if nd == 0 {
		n = 0
	}
	for range n {
		if len(b) < 4 {
			return nil, bad()
		}
		l := int32(binary.BigEndian.Uint32(b))
		b = b[4:]
		if l == -1 {
			a.Elems = append(a.Elems, nil)
			continue
		}
		if l < 0 || int(l) > len(b) {
			return nil, bad()
		}
		d, err := DecodeBinary(a.Elem, b[:l])
		if err != nil {
			return nil, err
		}
		a.Elems = append(a.Elems, d)
		b = b[l:]
	}
	if len(b) != 0 {
		return nil, errBinary(t, "incorrect binary data format in array element %d", n)
	}
	return a, nil
}

// CompareArrays is btarraycmp: elements in order (NULL after every
// value), then the number of elements, dimensions, lengths and lower
// bounds.
func CompareArrays(x, y *Array) int {
	if c := compareElems(x.Elems, y.Elems); c != 0 {
		return c
	}
	cmpInt := func(a, b int) int {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	if c := cmpInt(len(x.Elems), len(y.Elems)); c != 0 {
		return c
	}
	if c := cmpInt(len(x.Dims), len(y.Dims)); c != 0 {
		return c
	}
	for i := range x.Dims {
		if c := cmpInt(x.Dims[i], y.Dims[i]); c != 0 {
			return c
		}
		if c := cmpInt(x.Lower[i], y.Lower[i]); c != 0 {
			return c
		}
	}
	return 0
}

// castArray converts the elements of d (array type from) to array type
// to.
func castArray(d Datum, from, to T, explicit bool) (Datum, error) {
	te, _ := ElemOf(to)
	if s, ok := d.(string); ok && !from.IsArray() {
		return parseArray(to, te, s)
	}
	a, err := AsArray(d, from)
	if err != nil {
		return nil, err
	}
	fe := a.Elem
	if fe == te {
		return a, nil
	}
	out := &Array{Elem: te, Dims: a.Dims, Lower: a.Lower, Elems: make([]Datum, len(a.Elems))}
	for i, e := range a.Elems {
		v, err := Cast(e, fe, te, explicit)
		if err != nil {
			return nil, err
		}
		out.Elems[i] = v
	}
	return out, nil
}

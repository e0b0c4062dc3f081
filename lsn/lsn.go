package lsn

import (
	"fmt"
	"strconv"
	"strings"
)

// LSN is a byte position in the WAL stream.
type LSN uint64

// Zero is the LSN before any record.
const Zero LSN = 0

// String formats l as PostgreSQL does: "16/B374D848".
func (l LSN) String() string {
	return fmt.Sprintf("%X/%X", uint32(l>>32), uint32(l))
}

// Sub returns l - o, or 0 when o is ahead of l (lag is never negative).
func (l LSN) Sub(o LSN) uint64 {
	if o >= l {
		return 0
	}
	return uint64(l - o)
}

// Parse reads the "X/Y" form produced by String.
func Parse(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("lsn: invalid %q: want X/Y", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("lsn: invalid %q: %w", s, err)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("lsn: invalid %q: %w", s, err)
	}
	return LSN(h<<32 | l), nil
}

// MarshalText renders l as "X/Y", so JSON documents show LSNs the way
// PostgreSQL users read them.
func (l LSN) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses "X/Y".
func (l *LSN) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

package copyfmt

import (
	"encoding/binary"
)

// Writer encodes COPY TO rows in a (resolved) format. The caller formats
// each value (text output of its type, or its binary form) and the Writer
// adds delimiters, escapes, quotes and framing.
type Writer struct {
	o *Options
}

// NewWriter returns a Writer for o.
func NewWriter(o *Options) *Writer { return &Writer{o: o} }

// Header returns the stream's first bytes: the binary signature, or the
// CSV/text header line of column names when HEADER is set; nil otherwise.
func (w *Writer) Header(names []string) []byte {
	if w.o.Format == Binary {
		b := append([]byte(nil), binarySignature...)
		return append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	if !w.o.Header {
		return nil
	}
	vals := make([][]byte, len(names))
	for i, n := range names {
		vals[i] = []byte(n)
	}
	// Column names are quoted only when they must be, never forced.
	o := *w.o
	o.ForceQuote = nil
	return (&Writer{o: &o}).AppendRow(nil, vals, make([]bool, len(names)))
}

// Trailer returns the stream's last bytes (binary format only).
func (w *Writer) Trailer() []byte {
	if w.o.Format == Binary {
		return []byte{0xff, 0xff}
	}
	return nil
}

// AppendRow appends one row to buf: vals[i] is column i's formatted value,
// ignored when nulls[i].
func (w *Writer) AppendRow(buf []byte, vals [][]byte, nulls []bool) []byte {
	if w.o.Format == Binary {
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(vals)))
		for i, v := range vals {
			if nulls[i] {
				buf = binary.BigEndian.AppendUint32(buf, 0xffffffff)
				continue
			}
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(v)))
			buf = append(buf, v...)
		}
		return buf
	}
	for i, v := range vals {
		if i > 0 {
			buf = append(buf, w.o.Delimiter[0])
		}
		switch {
		case nulls[i]:
			buf = append(buf, w.o.Null...)
		case w.o.Format == CSV:
			buf = w.appendCSV(buf, v, i, len(vals) == 1)
		default:
			buf = w.appendText(buf, v)
		}
	}
	return append(buf, '\n')
}

// appendText escapes a text-format value as PostgreSQL's
// CopyAttributeOutText does.
func (w *Writer) appendText(buf, v []byte) []byte {
	delim := w.o.Delimiter[0]
	for _, c := range v {
		switch c {
		case '\b':
			buf = append(buf, '\\', 'b')
		case '\f':
			buf = append(buf, '\\', 'f')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		case '\v':
			buf = append(buf, '\\', 'v')
		case '\\':
			buf = append(buf, '\\', '\\')
		default:
			if c == delim {
				buf = append(buf, '\\')
			}
			buf = append(buf, c)
		}
	}
	return buf
}

// appendCSV quotes a CSV value when it must be (FORCE_QUOTE, equal to the
// NULL string, holding a delimiter, quote or newline, or "\." alone in a
// one-column row), as CopyAttributeOutCSV does.
func (w *Writer) appendCSV(buf, v []byte, col int, single bool) []byte {
	delim, quote, esc := w.o.Delimiter[0], w.o.Quote[0], w.o.Escape[0]
	need := col < len(w.o.ForceQuote) && w.o.ForceQuote[col]
	if !need {
		need = string(v) == w.o.Null || (single && string(v) == `\.`)
	}
	for i := 0; !need && i < len(v); i++ {
		c := v[i]
		need = c == delim || c == quote || c == '\n' || c == '\r'
	}
	if !need {
		return append(buf, v...)
	}
	buf = append(buf, quote)
	for _, c := range v {
		if c == quote || c == esc {
			buf = append(buf, esc)
		}
		buf = append(buf, c)
	}
	return append(buf, quote)
}

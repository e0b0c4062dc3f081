package copyfmt

import "github.com/heliosdb/nano/sql/pgerror"

// Format is a COPY data format.
type Format int8

// The COPY formats.
const (
	Text Format = iota
	CSV
	Binary
)

// String is the format's name as the FORMAT option spells it.
func (f Format) String() string {
	switch f {
	case CSV:
		return "csv"
	case Binary:
		return "binary"
	}
	return "text"
}

// Options are the parsed options of one COPY statement. Zero values mean
// PostgreSQL's defaults; call Resolve before use.
type Options struct {
	Format    Format
	Delimiter string // one byte; "" = tab (text) or comma (CSV)
	Null      string // NULL marker; set NullSet when given
	NullSet   bool
	Header    bool
	Quote     string // CSV only; "" = '"'
	Escape    string // CSV only; "" = Quote
	// Per-column CSV flags, indexed like the statement's column list.
	ForceQuote   []bool
	ForceNotNull []bool
	ForceNull    []bool
}

// Resolve fills the defaults and checks the combination as PostgreSQL's
// ProcessCopyOptions does (22023 / 0A000 errors with its messages).
func (o *Options) Resolve() error {
	if o.Format == Binary {
		if o.Delimiter != "" {
			return pgerror.New(pgerror.SyntaxError, "cannot specify DELIMITER in BINARY mode")
		}
		if o.NullSet {
			return pgerror.New(pgerror.SyntaxError, "cannot specify NULL in BINARY mode")
		}
		if o.Header {
			return pgerror.New(pgerror.FeatureNotSupported, "cannot specify HEADER in BINARY mode")
		}
		return nil
	}
	csv := o.Format == CSV
	if o.Delimiter == "" {
		o.Delimiter = "\t"
		if csv {
			o.Delimiter = ","
		}
	}
	if !o.NullSet {
		o.Null = `\N`
		if csv {
			o.Null = ""
		}
	}
	if len(o.Delimiter) != 1 {
		return pgerror.New(pgerror.FeatureNotSupported, "COPY delimiter must be a single one-byte character")
	}
	if o.Delimiter[0] == '\r' || o.Delimiter[0] == '\n' {
		return pgerror.New(pgerror.InvalidParameterValue, "COPY delimiter cannot be newline or carriage return")
	}
	if o.containsNewline(o.Null) {
		return pgerror.New(pgerror.InvalidParameterValue, "COPY null representation cannot use newline or carriage return")
	}
	if !csv {
		if o.Quote != "" {
			return pgerror.New(pgerror.FeatureNotSupported, "COPY quote available only in CSV mode")
		}
		if o.Escape != "" {
			return pgerror.New(pgerror.FeatureNotSupported, "COPY escape available only in CSV mode")
		}
		if o.ForceQuote != nil || o.ForceNotNull != nil || o.ForceNull != nil {
			return pgerror.New(pgerror.FeatureNotSupported, "COPY force options available only in CSV mode")
		}
		if isAlnumOrBackslashSpecial(o.Delimiter[0]) {
			return pgerror.Newf(pgerror.InvalidParameterValue, "COPY delimiter cannot be %q", o.Delimiter)
		}
		return nil
	}
	if o.Quote == "" {
		o.Quote = `"`
	}
	if o.Escape == "" {
		o.Escape = o.Quote
	}
	if len(o.Quote) != 1 {
		return pgerror.New(pgerror.FeatureNotSupported, "COPY quote must be a single one-byte character")
	}
	if len(o.Escape) != 1 {
		return pgerror.New(pgerror.FeatureNotSupported, "COPY escape must be a single one-byte character")
	}
	if o.Delimiter[0] == o.Quote[0] {
		return pgerror.New(pgerror.InvalidParameterValue, "COPY delimiter and quote must be different")
	}
	return nil
}

func (o *Options) containsNewline(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' {
			return true
		}
	}
	return false
}

// isAlnumOrBackslashSpecial reports the delimiters text format forbids
// (they would be read as part of a backslash escape).
func isAlnumOrBackslashSpecial(c byte) bool {
	switch c {
	case '\\', '.', 'a', 'b', 'c', 'd', 'e', 'f', 'n', 'r', 't', 'v', 'x', 'A', 'B', 'C', 'D', 'E', 'F', 'N', 'R', 'T', 'V', 'X',
		'0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return true
	}
	return false
}

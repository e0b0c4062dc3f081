package copyfmt

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/heliosdb/nano/sql/pgerror"
)

// rows reads every row of data, NULL as nil.
func rows(t *testing.T, o Options, data string) ([][]*string, error) {
	t.Helper()
	if err := o.Resolve(); err != nil {
		t.Fatal(err)
	}
	r := NewReader(strings.NewReader(data), &o)
	var out [][]*string
	for {
		fs, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		var row []*string
		for _, f := range fs {
			if f.Null {
				row = append(row, nil)
				continue
			}
			s := string(f.Val)
			row = append(row, &s)
		}
		out = append(out, row)
	}
}

func p(s string) *string { return &s }

func TestReadText(t *testing.T) {
	got, err := rows(t, Options{}, "1\t\\N\ta\\tb\\\\c\\n\n\\x41\\101\\q\t\t\r\n\\.\nignored\n")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]*string{{p("1"), nil, p("a\tb\\c\n")}, {p("AAq"), p(""), p("")}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
}

func TestReadCSV(t *testing.T) {
	data := "h1,h2\n1,\"a,\"\"b\"\"\nline2\"\n,\"\"\n"
	got, err := rows(t, Options{Format: CSV, Header: true}, data)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]*string{{p("1"), p("a,\"b\"\nline2")}, {nil, p("")}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	if _, err := rows(t, Options{Format: CSV}, "1,\"open\n"); pgerror.CodeOf(err) != pgerror.BadCopyFileFormat {
		t.Fatalf("unterminated quote: %v", err)
	}
	if _, err := rows(t, Options{}, "a\xff\n"); pgerror.CodeOf(err) != pgerror.CharacterNotInRepertoire {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	if _, err := rows(t, Options{}, "a\\000\n"); pgerror.CodeOf(err) != pgerror.CharacterNotInRepertoire {
		t.Fatalf("NUL: %v", err)
	}
}

func TestWriteThenRead(t *testing.T) {
	vals := [][]byte{[]byte("x\ty\\z\n"), []byte(""), []byte("a,\"b\"")}
	nulls := []bool{false, false, false}
	for _, o := range []Options{{}, {Format: CSV}, {Format: Binary}, {Format: CSV, Delimiter: "|", Null: "NULL", NullSet: true}} {
		if err := o.Resolve(); err != nil {
			t.Fatal(err)
		}
		w := NewWriter(&o)
		data := w.Header(nil)
		data = w.AppendRow(data, vals, nulls)
		data = w.AppendRow(data, vals, []bool{true, true, true})
		data = append(data, w.Trailer()...)
		o.Header = false
		got, err := rows(t, o, string(data))
		if err != nil {
			t.Fatalf("%v: %v", o.Format, err)
		}
		want := [][]*string{{p(string(vals[0])), p(""), p(string(vals[2]))}, {nil, nil, nil}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%v round trip: %v", o.Format, got)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	for _, o := range []Options{
		{Delimiter: "ab"}, {Quote: "'"}, {Format: Binary, Header: true}, {Format: CSV, Delimiter: `"`}, {Delimiter: "\\"},
	} {
		if err := o.Resolve(); pgerror.CodeOf(err) == pgerror.InternalError {
			t.Fatalf("%+v: want an error with a SQLSTATE, got %v", o, err)
		}
	}
}

// FuzzReader: no input makes the reader panic or loop.
func FuzzReader(f *testing.F) {
	f.Add("1\t2\n\\.\n", byte(0))
	f.Add("a,\"b\nc\",d\n", byte(1))
	f.Add("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x01x\xff\xff", byte(2))
	f.Fuzz(func(t *testing.T, data string, format byte) {
		o := Options{Format: Format(format % 3)}
		if err := o.Resolve(); err != nil {
			t.Fatal(err)
		}
		r := NewReader(strings.NewReader(data), &o)
		for i := 0; i <= len(data)+1; i++ {
			if _, err := r.Read(); err != nil {
				return
			}
		}
		t.Fatalf("more rows than bytes in %q", data)
	})
}

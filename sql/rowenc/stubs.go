package rowenc

import (
	"github.com/heliosdb/nano/sql/pgerror"
	"github.com/heliosdb/nano/sql/types"
)

var errTODO = pgerror.New(pgerror.FeatureNotSupported, "not implemented yet")

// AppendKey appends the order-preserving key encoding of d.
func AppendKey(buf []byte, d types.Datum, t types.T) []byte { return buf }

// DecodeKey decodes one key-encoded datum.
func DecodeKey(buf []byte, t types.T) (d types.Datum, rest []byte, err error) {
	return nil, buf, errTODO
}

// EncodeRow appends the row value encoding.
func EncodeRow(buf []byte, row []types.Datum, typs []types.T) []byte { return buf }

// DecodeRow decodes a row value.
func DecodeRow(buf []byte, typs []types.T) ([]types.Datum, error) { return nil, errTODO }

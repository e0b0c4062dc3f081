package backend

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/jackc/pgx/v5/pgproto3"
)

// SimpleQuery runs sql with the simple query protocol and returns the text
// values of the rows of its last result (NULL as ""). An ErrorResponse
// becomes a *ServerError, returned after the ReadyForQuery that follows
// it, so the Conn stays usable. Any other error leaves the Conn unusable.
func (c *Conn) SimpleQuery(ctx context.Context, sql string) ([][]string, error) {
	stop := c.watch(ctx)
	rows, err := c.simpleQuery(sql)
	if stop() && err != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return rows, err
}

func (c *Conn) simpleQuery(sql string) ([][]string, error) {
	if err := c.sendMsg(&pgproto3.Query{String: sql}); err != nil {
		return nil, err
	}
	var rows [][]string
	var qerr error
	for {
		typ, body, err := c.r.Next()
		if err != nil {
			return nil, err
		}
		switch typ {
		case 'T':
			rows = rows[:0]
		case 'D':
			row, err := dataRow(body)
			if err != nil {
				return nil, err
			}
			rows = append(rows, row)
		case 'E':
			if qerr == nil {
				qerr = serverError(body)
			}
		case 'Z':
			if len(body) == 1 {
				c.TxStatus = body[0]
			}
			return rows, qerr
		case 'G', 'H', 'W':
			return nil, fmt.Errorf("%w: COPY in a proxy-internal query", ErrProtocol)
		}
	}
}

func dataRow(body []byte) ([]string, error) {
	if len(body) < 2 {
		return nil, fmt.Errorf("%w: short DataRow", ErrProtocol)
	}
	n := int(binary.BigEndian.Uint16(body))
	body = body[2:]
	row := make([]string, n)
	for i := range row {
		if len(body) < 4 {
			return nil, fmt.Errorf("%w: short DataRow", ErrProtocol)
		}
		l := int32(binary.BigEndian.Uint32(body))
		body = body[4:]
		if l < 0 {
			continue
		}
		if int(l) > len(body) {
			return nil, fmt.Errorf("%w: short DataRow", ErrProtocol)
		}
		row[i], body = string(body[:l]), body[l:]
	}
	return row, nil
}

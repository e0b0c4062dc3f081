// Package wire frames PostgreSQL v3 protocol messages for the proxy
// without decoding them: a Reader splits a byte stream into (type, body)
// frames, and Append* build frames. The proxy forwards most messages as
// raw frames and decodes only the few it must look into (Query, Parse,
// Bind, Close, ReadyForQuery, ErrorResponse…) with pgproto3's Decode.
//
// The startup phase (untyped packets) is read by pgwire/pgfront; a Reader
// takes over its bufio.Reader afterwards (bufio.NewReaderSize reuses a
// large enough one), so bytes the client pipelined are not lost.
//
// A frame's body is valid only until the next call on the same Reader
// (the pgproto3 rule); callers copy what they keep.
package wire

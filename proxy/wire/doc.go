// Package wire frames PostgreSQL v3 protocol messages for the proxy
// without decoding them: a Reader splits a byte stream into (type, body)
// frames, and Append* build frames. The proxy forwards most messages as
// raw frames and decodes only the few it must look into (Query, Parse,
// Bind, Close, ReadyForQuery, ErrorResponse…) with pgproto3's Decode.
//
// Unlike pgproto3.Frontend/Backend, a Reader never reads ahead of what it
// has returned except into its own bufio.Reader, so the startup phase and
// the message phase can share one Reader on one connection.
//
// A frame's body is valid only until the next call on the same Reader
// (the pgproto3 rule); callers copy what they keep.
package wire

package replication

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// maxRecord bounds the plaintext of one record of the secured connection.
const maxRecord = 32 << 10

// secureConn is the native port's record layer after the handshake: each
// Write is cut into records [4-byte length][AES-256-GCM ciphertext], the
// nonce being the record's sequence number in its direction (keys differ
// per direction), so a record that is altered, dropped, replayed or
// reordered fails to open and ends the connection.
type secureConn struct {
	net.Conn
	rmu     sync.Mutex
	rd      cipher.AEAD
	rseq    uint64
	rbuf    []byte // opened plaintext not yet read
	rcipher []byte
	wmu     sync.Mutex
	wr      cipher.AEAD
	wseq    uint64
	wbuf    []byte
}

func newSecureConn(c net.Conn, writeKey, readKey []byte) (*secureConn, error) {
	wr, err := newGCM(writeKey)
	if err != nil {
		return nil, err
	}
	rd, err := newGCM(readKey)
	if err != nil {
		return nil, err
	}
	return &secureConn{Conn: c, rd: rd, wr: wr}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("replication: record key: %w", err)
	}
	return cipher.NewGCM(b)
}

func seqNonce(seq uint64, size int) []byte {
	n := make([]byte, size)
	binary.BigEndian.PutUint64(n[size-8:], seq)
	return n
}

var errRecord = errors.New("replication: a record of the secured connection failed authentication")

func (c *secureConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for len(c.rbuf) == 0 {
		var hdr [4]byte
		if _, err := io.ReadFull(c.Conn, hdr[:]); err != nil {
			return 0, err
		}
		n := int(binary.BigEndian.Uint32(hdr[:]))
		if n < c.rd.Overhead() || n > maxRecord+c.rd.Overhead() {
			return 0, errRecord
		}
		if cap(c.rcipher) < n {
			c.rcipher = make([]byte, n)
		}
		ct := c.rcipher[:n]
		if _, err := io.ReadFull(c.Conn, ct); err != nil {
			return 0, err
		}
		pt, err := c.rd.Open(ct[:0], seqNonce(c.rseq, c.rd.NonceSize()), ct, hdr[:])
		if err != nil {
			return 0, errRecord
		}
		c.rseq++
		c.rbuf = pt
	}
	n := copy(p, c.rbuf)
	c.rbuf = c.rbuf[n:]
	return n, nil
}

func (c *secureConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), maxRecord)]
		size := len(chunk) + c.wr.Overhead()
		var hdr [4]byte
		binary.BigEndian.PutUint32(hdr[:], uint32(size))
		c.wbuf = c.wr.Seal(append(c.wbuf[:0], hdr[:]...), seqNonce(c.wseq, c.wr.NonceSize()), chunk, hdr[:])
		c.wseq++
		if _, err := c.Conn.Write(c.wbuf); err != nil {
			return written, err
		}
		written += len(chunk)
		p = p[len(chunk):]
	}
	return written, nil
}

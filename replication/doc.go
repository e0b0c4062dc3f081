// Package replication ships the WAL from a primary to its standbys over
// gRPC (proto/replication.proto, DESIGN.md section 5).
//
// Server runs on every node's native port. On a primary it serves Stream:
// a standby says Hello (node id, cluster id, term history, flushed LSN);
// the primary checks that the standby belongs to this cluster and that its
// history is a prefix of the primary's, then streams WAL records from the
// standby's flushed LSN — first from segment files (catch-up), then live by
// waiting on wal.Log.WaitFlushed — with heartbeats when idle. A standby
// that cannot continue from its position (empty, not retained, diverged)
// is told NeedBaseBackup and fetches one with BaseBackup. On a standby,
// Stream is refused (no cascading) and Status answers role and term.
//
// Server also tracks acknowledgements for synchronous replication: with
// sync on, WaitDurable holds a commit until a sync standby has fsynced its
// WAL up to the commit, degrading to async after SyncTimeout without one
// (unless strict), and restoring sync once a sync standby has caught up.
//
// Standby is the receiving side: it connects to the primary, appends the
// records it receives unchanged to its own WAL (so LSNs are identical on
// both nodes), fsyncs, acknowledges the flushed LSN (this releases sync
// commits), applies through its Target and reports the applied LSN in
// the next flush acknowledgement (one message back per commit group), or
// after StandbyConfig.AppliedAckDelay (20 ms) when none follows.
// Messages that arrived while it fsynced are appended together and share
// the next fsync. It applies only up to the primary's released LSN, which
// every message carries (ReleasedLSN on the primary side): a record the
// primary has not acknowledged stays flushed but invisible, so that no
// standby shows a commit a failover to the sync standby could take back.
// Every record's CRC32C is checked end to end before it is appended; a
// mismatch or a gap ends the session and nothing of it is applied. It
// reconnects with backoff and re-seeds itself from a base backup when told.
//
// The package imports wal but no storage or SQL package: the node supplies
// the seams (Node for the primary side, Target for the standby side).
//
// Write forwarding is not here: package forward serves its own gRPC
// service (proto/forward.proto) on the same native-port server
// (GRPCServer), so the authentication below covers it too, and dials
// with DialOption.
//
// Authentication (handshake.go): before gRPC speaks, both ends of every
// native-port connection run a mutual challenge–response proving knowledge
// of the cluster key K = PBKDF2-SHA256(replication secret, fixed salt,
// 100,000 iterations) without sending it: the client sends a nonce and an
// ephemeral X25519 key; the server answers with its own and
// HMAC(K, "server" ‖ transcript); only if that proof is right does the
// client answer HMAC(K, "client" ‖ transcript). A listener that does not
// know K (a fake primary a node was pointed at) gets nothing but the
// client's hello. The rest of the connection is AES-256-GCM records under
// keys derived from the X25519 secret and K, so neither the WAL nor the
// base backups travel in clear and an authenticated connection cannot be
// hijacked. This is not TLS: there are no certificates, and a node proves
// only that it knows the secret (every node of a cluster is equal).
//
// TLS (tls.go) is optional and goes underneath: with a TLS configuration
// the port accepts only TLS connections (optionally requiring a client
// certificate), the client verifies the server's certificate against the
// cluster's CAs and the host it dialled before it sends anything else, and
// the handshake above then runs inside the TLS connection unchanged.
package replication

// Package clustertest runs HeliosDB Nano clusters in-process for tests: a
// primary, a sync standby and an async standby on 127.0.0.1 ports, each a
// real node.Node with its own data dir, reached through real pgx
// connections. Members can be stopped, restarted on the same ports and
// data dir, or wiped.
package clustertest

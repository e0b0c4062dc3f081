// Package faultnet is an in-process TCP fault proxy for tests: a listener
// on 127.0.0.1 that forwards every connection to one target address and,
// on command, delays or black-holes the traffic. Nodes of a test cluster
// are pointed at fault proxies instead of at each other, so a test can cut
// or slow one link (proxy → primary, standbys → primary) without network
// namespaces or root.
//
// A partition black-holes: bytes in both directions of every connection
// (existing and new) are read and dropped, so peers see silence and time
// out as on a real network. When the partition heals, the connections
// that lived through it are closed (their byte streams have holes); new
// connections forward normally.
package faultnet

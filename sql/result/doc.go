// Package result is the contract between SQL execution and the wire
// protocols: column descriptors, the Writer that rows are streamed into,
// and transaction status. pgwire and sql/session both import it, so neither
// imports the other.
package result

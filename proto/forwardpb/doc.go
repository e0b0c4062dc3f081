// Package forwardpb holds the protobuf messages and gRPC service of write
// forwarding, generated from ../forward.proto by `make proto`. Do not edit
// the generated files; package forward owns the contract.
package forwardpb

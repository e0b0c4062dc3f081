// Package replicationpb holds the protobuf messages and gRPC service of WAL
// streaming, generated from ../replication.proto by `make proto`. Do not
// edit the generated files.
package replicationpb

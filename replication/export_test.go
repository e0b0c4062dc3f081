package replication

// MaxPendingBytes is maxPendingBytes, for the tests of the standby's
// backpressure.
const MaxPendingBytes = maxPendingBytes

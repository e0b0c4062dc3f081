package pgauth

import "errors"

var (
	// ErrAuthFailed is returned when the client's proof or password does not
	// match (or the user is unknown).
	ErrAuthFailed = errors.New("pgauth: authentication failed")
	// ErrProtocol is returned for malformed SASL messages or a message sent
	// out of turn.
	ErrProtocol = errors.New("pgauth: SASL protocol violation")
	// ErrBadSecret is returned by ParseSecret for a malformed verifier.
	ErrBadSecret = errors.New("pgauth: malformed stored secret")
)

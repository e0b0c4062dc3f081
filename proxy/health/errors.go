package health

import "errors"

// ErrUnknownNode is returned for a node name that is not configured.
var ErrUnknownNode = errors.New("health: unknown node")

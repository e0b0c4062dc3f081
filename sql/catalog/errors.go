package catalog

import "errors"

// ErrCorrupt reports a stored descriptor that does not decode.
var ErrCorrupt = errors.New("catalog: corrupt descriptor")

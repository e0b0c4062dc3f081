package nodecli

import (
	"errors"
	"io"
	"log/slog"

	"github.com/heliosdb/nano/internal/cliutil"
	"github.com/heliosdb/nano/node"
)

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	log, err := cliutil.NewLogger(w, level, format)
	var bad *cliutil.BadSetting
	if errors.As(err, &bad) {
		return nil, &node.ConfigError{Key: bad.Key, Reason: bad.Reason}
	}
	return log, err
}

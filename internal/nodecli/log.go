package nodecli

import (
	"io"
	"log/slog"
	"strings"

	"github.com/heliosdb/nano/node"
)

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, &node.ConfigError{Key: "log-level", Reason: "want debug, info, warn or error"}
	}
	opts := &slog.HandlerOptions{Level: l}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, &node.ConfigError{Key: "log-format", Reason: "want text or json"}
}

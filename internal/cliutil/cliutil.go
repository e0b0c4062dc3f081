package cliutil

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// BadSetting reports an invalid option value; each command line maps it
// to its own error type (and exit status).
type BadSetting struct {
	Key, Value, Reason string
}

func (e *BadSetting) Error() string { return fmt.Sprintf("%s: %q: %s", e.Key, e.Value, e.Reason) }

// NewLogger builds the logger for --log-level (debug, info, warn, error)
// and --log-format (text, json), writing to w.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, &BadSetting{Key: "log-level", Value: level, Reason: "want debug, info, warn or error"}
	}
	opts := &slog.HandlerOptions{Level: l}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, &BadSetting{Key: "log-format", Value: format, Reason: "want text or json"}
}

// SignalContext ends on SIGTERM or SIGINT; a second signal exits at once
// (status 130).
func SignalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		if _, ok := <-ch; !ok {
			return
		}
		cancel()
		if _, ok := <-ch; ok {
			os.Exit(130)
		}
	}()
	return ctx, func() { signal.Stop(ch); close(ch); cancel() }
}

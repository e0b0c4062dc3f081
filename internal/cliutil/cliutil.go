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

// SignalAction is what one more SIGINT or SIGTERM asks for.
type SignalAction uint8

// Signal actions.
const (
	SignalShutdown SignalAction = iota + 1 // start a graceful shutdown
	SignalIgnore                           // a shutdown is already under way
	SignalExit                             // give up on it: exit at once
)

// ExitAfterSignals is how many SIGINT/SIGTERM signals make the process
// exit at once. Two are not enough: Ctrl-C under a script (make run)
// sends SIGINT to the whole process group and the script then sends
// SIGTERM to each child; both must mean one graceful shutdown.
const ExitAfterSignals = 3

// ActionFor returns the action for the n-th (1-based) SIGINT or SIGTERM.
func ActionFor(n int) SignalAction {
	switch {
	case n <= 1:
		return SignalShutdown
	case n < ExitAfterSignals:
		return SignalIgnore
	}
	return SignalExit
}

// SignalContext ends on the first SIGTERM or SIGINT, which starts a
// graceful shutdown; a second one during it is logged and ignored, a
// third exits at once (status 130), as does SIGQUIT (Go's default: exit
// with a goroutine dump).
func SignalContext(log *slog.Logger) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, ExitAfterSignals)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		n := 0
		for sig := range ch {
			n++
			name := signalName(sig)
			switch ActionFor(n) {
			case SignalShutdown:
				log.Info("received "+name+": shutting down gracefully", "exit_at_once_after", fmt.Sprintf("%d signals or SIGQUIT", ExitAfterSignals))
				cancel()
			case SignalIgnore:
				log.Info("received "+name+": shutdown already in progress", "signals", n)
			case SignalExit:
				log.Warn("received "+name+": exiting at once", "signals", n)
				os.Exit(130)
			}
		}
	}()
	// The returned stop ignores SIGINT and SIGTERM from then on rather than
	// restoring their default action: a second signal sent during a
	// shutdown (as `make run` sends SIGTERM after Ctrl-C's SIGINT) that
	// arrives after the shutdown finished would otherwise kill the process
	// in its last instant (status 143) instead of letting it exit 0.
	return ctx, func() {
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
		signal.Stop(ch)
		close(ch)
		cancel()
	}
}

func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

package tlsfiles

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// ReloadOnHUP calls reload on each SIGHUP until ctx ends, logging the
// outcome (a failed reload keeps the current certificates). It returns at
// once; the goroutine it starts ends with ctx.
func ReloadOnHUP(ctx context.Context, log *slog.Logger, reload func() error) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				if err := reload(); err != nil {
					log.Error("SIGHUP: TLS certificates not reloaded; keeping the current ones", "err", err)
					continue
				}
				log.Info("SIGHUP: TLS certificates reloaded")
			}
		}
	}()
}

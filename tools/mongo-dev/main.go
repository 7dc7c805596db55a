// Command mongo-dev is a MongoDB-wire-compatible server for development and tests: FerretDB
// v1.24 embedded with its SQLite backend. `go install` of FerretDB's own command panics at
// start (it expects generated build/version files), so we embed the library from our own
// main module instead.
//
// It prints exactly one line on stdout once it accepts connections:
//
//	mongo-dev listening on mongodb://127.0.0.1:PORT/
//
// so that scripts and the test setup can read the port. It exits on SIGINT/SIGTERM and when
// its stdin reaches EOF (the parent died or closed the pipe), so a killed test runner leaves no
// orphan server behind. Pass --stdin-watch=false when running it detached from a terminal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on (port 0 = any free port)")
	dir := flag.String("dir", "data/mongo-dev", "directory for the SQLite database files")
	// FerretDB logs every unsupported command (e.g. the driver's endSessions) at warn: too noisy.
	logLevel := flag.String("log-level", "error", "log level: debug, info, warn, error")
	stdinWatch := flag.Bool("stdin-watch", true, "exit when stdin reaches EOF")
	flag.Parse()

	if err := run(*listen, *dir, *logLevel, *stdinWatch); err != nil {
		fmt.Fprintf(os.Stderr, "mongo-dev: %v\n", err)
		os.Exit(1)
	}
}

func run(listen, dir, logLevel string, stdinWatch bool) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}

	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("--dir: %w", err)
	}
	if err = os.MkdirAll(abs, 0o755); err != nil {
		return fmt.Errorf("--dir: %w", err)
	}

	// Logs go to stderr: stdout carries only the one "listening" line scripts parse.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/", // the trailing slash marks a directory for FerretDB
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if stdinWatch {
		ctx2, cancel := context.WithCancel(ctx)
		defer cancel()
		ctx = ctx2
		go func() {
			// Read until EOF or error: either means our parent is gone.
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	// The listener is bound inside ferretdb.New, so the address is known now.
	fmt.Printf("mongo-dev listening on %s\n", f.MongoDBURI())

	select {
	case err = <-done:
	case <-ctx.Done():
		err = <-done
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

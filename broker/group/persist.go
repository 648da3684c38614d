package group

// Persistence of the JSON config files, in RocketMQ's way (4.9.4
// ConfigManager, MixAll.string2File) made crash-safe:
//
//   - RocketMQ writes <file>.tmp, copies the current <file> to <file>.bak,
//     deletes <file> and renames the .tmp into place. Loading reads <file>
//     and falls back to <file>.bak when <file> is missing, empty or does
//     not decode.
//   - Quiver renames the current <file> to <file>.bak and then replaces
//     <file> with fileutil.WriteAtomic (temporary file, fsync, rename,
//     directory fsync). The files on disk are the same; a crash at any
//     point leaves a decodable <file> or, between the two renames, a
//     <file>.bak that loading falls back to.
//   - Where RocketMQ silently starts empty when <file> is corrupt and there
//     is no .bak, Quiver refuses to start (ErrCorruptFile): offsets and
//     group configs are not to be dropped without an operator noticing.
//   - After loading from the .bak, the next write does not rename the
//     corrupt <file> over the good .bak.

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/quivermq/quiver/internal/fileutil"
)

// BakSuffix is appended to a config file's name for its previous version.
const BakSuffix = ".bak"

// filePerm is the mode of the config files.
const filePerm = 0o644

// loadResult says where loadJSON found the data.
type loadResult int

const (
	loadedNothing loadResult = iota // neither file exists (or both are empty)
	loadedMain                      // from the file itself
	loadedBak                       // from the .bak after the file failed
)

// loadJSON reads path, or path.bak when path is missing, empty or does not
// decode, and decodes it with decode. An empty or missing pair of files is
// not an error (loadedNothing). decode must not keep partial state when it
// fails.
func loadJSON(path string, decode func([]byte) error, log *slog.Logger) (loadResult, error) {
	data, err := os.ReadFile(path)
	var mainErr error
	switch {
	case err == nil && len(bytes.TrimSpace(data)) > 0:
		derr := decode(data)
		if derr == nil {
			return loadedMain, nil
		}
		mainErr = fmt.Errorf("%w: %s: %w", ErrCorruptFile, path, derr)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		mainErr = fmt.Errorf("group: read %s: %w", path, err)
	}
	bak := path + BakSuffix
	bdata, berr := os.ReadFile(bak)
	switch {
	case berr != nil && !errors.Is(berr, fs.ErrNotExist):
		if mainErr != nil {
			return 0, fmt.Errorf("%w; and read %s: %w", mainErr, bak, berr)
		}
		return 0, fmt.Errorf("group: read %s (%s is missing or empty): %w", bak, path, berr)
	case berr != nil || len(bytes.TrimSpace(bdata)) == 0:
		if mainErr != nil {
			return 0, fmt.Errorf("%w (no usable %s to fall back to)", mainErr, bak)
		}
		return loadedNothing, nil
	}
	if err := decode(bdata); err != nil {
		if mainErr != nil {
			return 0, fmt.Errorf("%w; and %s: %w", mainErr, bak, err)
		}
		return 0, fmt.Errorf("%w: %s (%s is missing or empty): %w", ErrCorruptFile, bak, path, err)
	}
	if mainErr != nil {
		log.Warn("group: config file unusable, loaded its backup", slog.String("file", path),
			slog.String("backup", bak), slog.Any("err", mainErr))
	} else {
		log.Warn("group: config file missing or empty, loaded its backup", slog.String("file", path),
			slog.String("backup", bak))
	}
	return loadedBak, nil
}

// writeWithBak makes the current path the .bak (unless keepBak) and
// atomically writes data to path.
func writeWithBak(path string, data []byte, keepBak bool) error {
	if !keepBak {
		if err := os.Rename(path, path+BakSuffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("group: back up %s: %w", path, err)
		}
	}
	if err := fileutil.WriteAtomic(path, data, filePerm); err != nil {
		return fmt.Errorf("group: %w", err)
	}
	return nil
}

// filePersister is the persist state shared by Offsets and
// SubscriptionGroups: it serializes writes and remembers what was written.
type filePersister struct {
	mu        sync.Mutex
	persisted uint64 // change count last written (or loaded)
	keepBak   bool   // the file was corrupt at load: keep the good .bak once
}

// persist writes the state if its change count (current) differs from
// the last one written or loaded. snapshot encodes the state and returns
// the change count the encoding reflects; it runs with p.mu held.
func (p *filePersister) persist(path string, current func() uint64, snapshot func() ([]byte, uint64, error)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if current() == p.persisted {
		return nil
	}
	data, n, err := snapshot()
	if err != nil {
		return err
	}
	if err := writeWithBak(path, data, p.keepBak); err != nil {
		return err
	}
	p.persisted, p.keepBak = n, false
	return nil
}

// loaded records the state after a load at change count n.
func (p *filePersister) loaded(n uint64, r loadResult) {
	p.mu.Lock()
	p.persisted, p.keepBak = n, r == loadedBak
	p.mu.Unlock()
}

// Persister runs a persist function periodically on its own goroutine and
// once more at Close (the broker's consumer-offset flusher; RocketMQ runs
// it every flushConsumerOffsetInterval, 5 s).
type Persister struct {
	fn   func() error
	stop chan struct{}
	done chan struct{}
	once sync.Once
	err  error
}

// StartPersister calls fn every interval (DefaultPersistInterval if zero or
// negative) until Close. Errors are logged to logger (slog.Default() if
// nil) and the loop goes on.
func StartPersister(interval time.Duration, fn func() error, logger *slog.Logger) *Persister {
	if interval <= 0 {
		interval = DefaultPersistInterval
	}
	if logger == nil {
		logger = slog.Default()
	}
	p := &Persister{fn: fn, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				if err := fn(); err != nil {
					logger.Error("group: persist failed", slog.Any("err", err))
				}
			}
		}
	}()
	return p
}

// Close stops the loop, waits for a running fn, calls fn a last time and
// returns its error. Later calls return the same error.
func (p *Persister) Close() error {
	p.once.Do(func() {
		close(p.stop)
		<-p.done
		p.err = p.fn()
	})
	return p.err
}

package engine

// Retention and disk pressure (issue 3 item 6; spec 8.3).
//
// A cleaner goroutine, started by Open and stopped by Close, runs Clean
// every Config.CleanInterval (the first run one interval after Open, as
// RocketMQ's cleanFilesPeriodically waits before its first run). A pass:
//
//  1. Reads the usage of the file system holding Dir and updates the
//     disk-full state (below).
//  2. If the local hour is one of Config.DeleteWhen, or usage is at or
//     above Config.DiskMaxUsedSpaceRatio (or the disk is full): deletes,
//     oldest first, the sealed segments whose file was last modified more
//     than Config.FileReservedTime hours ago, stopping at the first one
//     that is not (RocketMQ's deleteExpiredFileByTime).
//  3. Under disk pressure (usage still at or above the ratio, or the disk
//     full): deletes the oldest segment regardless of age, one at a time,
//     re-reading usage after each, until usage is below the ratio or
//     nothing more may go (RocketMQ's forced clean-up).
//
// Every deletion goes through DeleteBefore: only sealed segments wholly
// below Flushed and Dispatched go, never the active one; consume-queue and
// index files wholly below the new minimum offset follow; a reader's pins
// keep a deleted segment mapped until Release.
//
// Age is the segment file's modification time, as in RocketMQ: one Stat per
// segment, no record to read, and it is the time of the segment's last
// write (its last record or filler), which is what "older than
// fileReservedTime" means for a sealed segment. The store time of the last
// record would need the offset of that record, which the log does not
// keep per segment. A file whose mtime was refreshed (copied back from a
// backup, touched) lives longer, which is the safe direction.
//
// Disk full: a check that finds usage at or above Config.DiskHighWatermark
// sets the state; Append and AppendBatch then fail at once with a
// *DiskFullError (ErrDiskFull), reads go on. A later check that finds usage
// below the watermark minus diskFullHysteresis points clears it, so writing
// resumes by itself once the cleaner (or the operator) frees space. The
// check runs at every pass and again after every deletion.

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quivermq/quiver/engine/segment"
)

// Retention defaults (spec 8.3).
const (
	DefaultFileReservedTime      = 72 // hours
	DefaultDeleteWhen            = "04"
	DefaultDiskMaxUsedSpaceRatio = 75 // percent
	DefaultDiskHighWatermark     = 90 // percent
	DefaultCleanInterval         = 10 * time.Second
)

// diskFullHysteresis is how many percentage points below
// Config.DiskHighWatermark usage must fall before appends resume, so that
// usage hovering at the watermark does not flip the state at every check.
const diskFullHysteresis = 2

// DiskFullError is the error of an append refused for disk pressure.
// errors.Is(err, ErrDiskFull) holds.
type DiskFullError struct {
	// UsedPercent is the usage the check found, Watermark the configured
	// Config.DiskHighWatermark, both in percent.
	UsedPercent float64
	Watermark   int
}

func (e *DiskFullError) Error() string {
	return fmt.Sprintf("engine: disk usage %.0f%% is above the high watermark %d%%; appends refused until space returns",
		math.Floor(e.UsedPercent), e.Watermark)
}

// Is makes errors.Is(err, ErrDiskFull) hold.
func (e *DiskFullError) Is(target error) bool { return target == ErrDiskFull }

// CleanResult says what one Clean pass did.
type CleanResult struct {
	// Expired is the number of segments deleted for age, Forced the number
	// deleted for disk pressure regardless of age.
	Expired, Forced int
	// UsedPercent is the disk usage after the pass (-1 if unknown).
	UsedPercent float64
	// TimeToDelete reports that the hour was one of Config.DeleteWhen,
	// Pressure that usage was at or above Config.DiskMaxUsedSpaceRatio (or
	// the disk full) at the start of the pass.
	TimeToDelete, Pressure bool
}

// RetentionMetrics are the cleaner's counters (Metrics.Retention).
type RetentionMetrics struct {
	// SegmentsDeleted counts commit-log segments deleted for age,
	// SegmentsForced those deleted for disk pressure; CleanRuns the passes,
	// CleanErrors the passes that failed.
	SegmentsDeleted, SegmentsForced, CleanRuns, CleanErrors int64
	// LastClean is the Clock time of the last pass (zero before the first).
	LastClean time.Time
	// DiskFull reports that appends are refused (ErrDiskFull);
	// DiskUsedPercent is the usage the last check found (-1 if unknown).
	DiskFull        bool
	DiskUsedPercent float64
}

// retention is the Store's cleaner state.
type retention struct {
	hours [24]bool // DeleteWhen, parsed

	full atomic.Pointer[DiskFullError] // non-nil: appends refused

	mu     sync.Mutex // serializes passes; guards done
	done   bool       // Close stopped the cleaner: Clean fails
	stop   chan struct{}
	wg     sync.WaitGroup
	usedPc atomic.Uint64 // math.Float64bits of the last usage, percent

	deleted, forced, runs, errs atomic.Int64
	lastClean                   atomic.Int64 // UnixNano; 0 before the first pass
}

// ParseDeleteWhen parses a DeleteWhen value: ';'-separated hours 0..23
// ("04", "04;16"; spaces around an hour are ignored). The error names the
// bad value.
func ParseDeleteWhen(s string) ([24]bool, error) {
	var hours [24]bool
	if strings.TrimSpace(s) == "" {
		return hours, fmt.Errorf("%w: DeleteWhen %q: no hour", ErrInvalidConfig, s)
	}
	for _, part := range strings.Split(s, ";") {
		p := strings.TrimSpace(part)
		h, err := strconv.Atoi(p)
		if err != nil || h < 0 || h > 23 || len(p) > 2 {
			return hours, fmt.Errorf("%w: DeleteWhen %q: hour %q is not 0..23", ErrInvalidConfig, s, part)
		}
		hours[h] = true
	}
	return hours, nil
}

// retentionDefaults fills the zero retention fields and clamps
// DiskMaxUsedSpaceRatio to 10..95 as RocketMQ does. Negative values are
// left for validateRetention.
func (c Config) retentionDefaults() Config {
	if c.FileReservedTime == 0 {
		c.FileReservedTime = DefaultFileReservedTime
	}
	if c.DeleteWhen == "" {
		c.DeleteWhen = DefaultDeleteWhen
	}
	switch {
	case c.DiskMaxUsedSpaceRatio == 0:
		c.DiskMaxUsedSpaceRatio = DefaultDiskMaxUsedSpaceRatio
	case c.DiskMaxUsedSpaceRatio > 0 && c.DiskMaxUsedSpaceRatio < 10:
		c.DiskMaxUsedSpaceRatio = 10
	case c.DiskMaxUsedSpaceRatio > 95:
		c.DiskMaxUsedSpaceRatio = 95
	}
	if c.DiskHighWatermark == 0 {
		c.DiskHighWatermark = DefaultDiskHighWatermark
	}
	if c.CleanInterval == 0 {
		c.CleanInterval = DefaultCleanInterval
	}
	return c
}

// validateRetention checks the retention fields (after retentionDefaults).
func (c Config) validateRetention() error {
	if c.FileReservedTime < 0 {
		return fmt.Errorf("%w: FileReservedTime %d hours is negative", ErrInvalidConfig, c.FileReservedTime)
	}
	if _, err := ParseDeleteWhen(c.DeleteWhen); err != nil {
		return err
	}
	if c.DiskMaxUsedSpaceRatio < 0 {
		return fmt.Errorf("%w: DiskMaxUsedSpaceRatio %d%% is negative", ErrInvalidConfig, c.DiskMaxUsedSpaceRatio)
	}
	if c.DiskHighWatermark < 10 || c.DiskHighWatermark > 100 {
		return fmt.Errorf("%w: DiskHighWatermark %d%% is not 10..100", ErrInvalidConfig, c.DiskHighWatermark)
	}
	if c.CleanInterval < 0 {
		return fmt.Errorf("%w: CleanInterval %v is negative", ErrInvalidConfig, c.CleanInterval)
	}
	return nil
}

// startCleaner starts the cleaner goroutine (Open, after recovery).
func (s *Store) startCleaner() {
	s.ret.hours, _ = ParseDeleteWhen(s.cfg.DeleteWhen) // validated by Open
	s.ret.usedPc.Store(math.Float64bits(-1))
	s.ret.stop = make(chan struct{})
	s.ret.wg.Add(1)
	go s.cleanLoop()
}

// stopCleaner stops the cleaner and waits for a pass in progress (Close,
// before the commit log closes). Clean fails with ErrClosed afterwards.
func (s *Store) stopCleaner() {
	close(s.ret.stop)
	s.ret.wg.Wait()
	s.ret.mu.Lock()
	s.ret.done = true
	s.ret.mu.Unlock()
}

func (s *Store) cleanLoop() {
	defer s.ret.wg.Done()
	t := time.NewTicker(s.cfg.CleanInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ret.stop:
			return
		case <-t.C:
		}
		if _, err := s.Clean(); err != nil && !errors.Is(err, ErrClosed) {
			s.cfg.Logger.Warn("engine: retention pass failed", "err", err)
		}
	}
}

// Clean runs one retention pass now (the cleaner runs one every
// Config.CleanInterval; see the comment at the top of retention.go) and
// reports what it did. Passes are serialized. After Close it returns
// ErrClosed.
func (s *Store) Clean() (CleanResult, error) {
	s.ret.mu.Lock()
	defer s.ret.mu.Unlock()
	if s.ret.done {
		return CleanResult{UsedPercent: -1}, ErrClosed
	}
	res, err := s.cleanLocked()
	s.ret.runs.Add(1)
	s.ret.lastClean.Store(s.cfg.Clock().UnixNano())
	if err != nil {
		s.ret.errs.Add(1)
	}
	return res, err
}

func (s *Store) cleanLocked() (CleanResult, error) {
	now := s.cfg.Clock()
	res := CleanResult{UsedPercent: s.checkDisk()}
	ratio := float64(s.cfg.DiskMaxUsedSpaceRatio)
	pressure := func() bool {
		return res.UsedPercent >= ratio || s.ret.full.Load() != nil
	}
	res.TimeToDelete = s.ret.hours[now.Hour()]
	res.Pressure = pressure()
	if !res.TimeToDelete && !res.Pressure {
		return res, nil
	}
	end, err := s.expiredEnd(now)
	if err != nil {
		return res, err
	}
	if end > s.log.MinOffset() {
		n, err := s.DeleteBefore(end)
		res.Expired += n
		s.ret.deleted.Add(int64(n))
		if n > 0 {
			res.UsedPercent = s.checkDisk()
		}
		if err != nil {
			return res, err
		}
	}
	size := int64(s.cfg.CommitLog.SegmentSize)
	for pressure() {
		n, err := s.DeleteBefore(s.log.MinOffset() + size)
		res.Forced += n
		s.ret.forced.Add(int64(n))
		if n > 0 {
			res.UsedPercent = s.checkDisk()
		}
		if err != nil {
			return res, err
		}
		if n == 0 {
			break // only the active or undispatched segments are left
		}
	}
	return res, nil
}

// expiredEnd returns the end of the run of oldest sealed segments, wholly
// below Flushed and Dispatched, whose files were last modified more than
// FileReservedTime ago; MinOffset if none.
func (s *Store) expiredEnd(now time.Time) (int64, error) {
	dir := filepath.Join(s.cfg.Dir, "commitlog")
	bases, err := segment.List(s.cfg.FS, dir)
	if err != nil {
		return 0, fmt.Errorf("engine: retention: %w", err)
	}
	size := int64(s.cfg.CommitLog.SegmentSize)
	limit := min(s.log.Flushed(), s.dispatched.Load())
	minOff := s.log.MinOffset()
	end := minOff
	keep := time.Duration(s.cfg.FileReservedTime) * time.Hour
	for _, b := range bases {
		if b < minOff {
			continue // being deleted
		}
		if b+size > limit {
			break // active, not flushed or not dispatched
		}
		fi, err := s.cfg.FS.Stat(filepath.Join(dir, segment.Name(b)))
		if err != nil {
			return end, fmt.Errorf("engine: retention: %w", err)
		}
		if now.Sub(fi.ModTime()) <= keep {
			break
		}
		end = b + size
	}
	return end, nil
}

// checkDisk reads the disk usage, updates the disk-full state and returns
// the usage in percent (-1, leaving the state as it is, if it cannot be
// read).
func (s *Store) checkDisk() float64 {
	u, err := s.cfg.FS.DiskUsage(s.cfg.Dir)
	if err != nil || u.Total == 0 {
		s.ret.usedPc.Store(math.Float64bits(-1))
		return -1
	}
	pc := u.UsedRatio() * 100
	s.ret.usedPc.Store(math.Float64bits(pc))
	hw := float64(s.cfg.DiskHighWatermark)
	switch full := s.ret.full.Load(); {
	case pc >= hw:
		if full == nil {
			s.cfg.Logger.Error("engine: disk usage above the high watermark, refusing appends",
				"used_percent", pc, "watermark", s.cfg.DiskHighWatermark)
		}
		s.ret.full.Store(&DiskFullError{UsedPercent: pc, Watermark: s.cfg.DiskHighWatermark})
	case full != nil && pc < hw-diskFullHysteresis:
		s.cfg.Logger.Info("engine: disk usage back below the high watermark, accepting appends",
			"used_percent", pc, "watermark", s.cfg.DiskHighWatermark)
		s.ret.full.Store(nil)
	}
	return pc
}

// DiskFull returns the *DiskFullError appends fail with now, or nil.
func (s *Store) DiskFull() error {
	if e := s.ret.full.Load(); e != nil {
		return e
	}
	return nil
}

func (s *Store) retentionMetrics() RetentionMetrics {
	m := RetentionMetrics{
		SegmentsDeleted: s.ret.deleted.Load(), SegmentsForced: s.ret.forced.Load(),
		CleanRuns: s.ret.runs.Load(), CleanErrors: s.ret.errs.Load(),
		DiskFull:        s.ret.full.Load() != nil,
		DiskUsedPercent: math.Float64frombits(s.ret.usedPc.Load()),
	}
	if ns := s.ret.lastClean.Load(); ns != 0 {
		m.LastClean = time.Unix(0, ns)
	}
	return m
}

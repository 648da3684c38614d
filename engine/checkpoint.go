package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/quivermq/quiver/engine/vfs"
)

// Checkpoint file layout: see "Layout under Config.Dir" in the package doc.
// Format, never change. The file is replaced atomically (checkpoint.tmp,
// fsync, rename, directory fsync); a file with a bad magic or CRC is
// ignored by Open (full recovery from the commit log's first segment).
const (
	checkpointSize  = 4096
	checkpointUsed  = 56
	checkpointMagic = 0x51564350 // "QVCP"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checkpoint is the decoded checkpoint file.
//
// Durable is Log.Flushed when it was taken, a record boundary: Open scans
// the commit log from there. Every record below Dispatched had its
// consume-queue entries and index keys synced. IndexSafe is one past the
// commit-log offset of the newest index entry before the last successful
// index Flush (index.Recovery.MaxPhyOffset after a crash). The timestamps
// are RocketMQ's, informational here.
type Checkpoint struct {
	PhysicMsgTimestamp, LogicsMsgTimestamp, IndexMsgTimestamp int64
	Durable, Dispatched, IndexSafe                            int64
}

func (c *Checkpoint) encode(b []byte) {
	binary.BigEndian.PutUint64(b[0:], uint64(c.PhysicMsgTimestamp))
	binary.BigEndian.PutUint64(b[8:], uint64(c.LogicsMsgTimestamp))
	binary.BigEndian.PutUint64(b[16:], uint64(c.IndexMsgTimestamp))
	binary.BigEndian.PutUint64(b[24:], uint64(c.Durable))
	binary.BigEndian.PutUint64(b[32:], uint64(c.Dispatched))
	binary.BigEndian.PutUint64(b[40:], uint64(c.IndexSafe))
	binary.BigEndian.PutUint32(b[48:], checkpointMagic)
	binary.BigEndian.PutUint32(b[52:], crc32.Checksum(b[:52], castagnoli))
}

func decodeCheckpoint(b []byte) (Checkpoint, error) {
	if len(b) < checkpointUsed || binary.BigEndian.Uint32(b[48:]) != checkpointMagic ||
		binary.BigEndian.Uint32(b[52:]) != crc32.Checksum(b[:52], castagnoli) {
		return Checkpoint{}, ErrCheckpoint
	}
	c := Checkpoint{
		PhysicMsgTimestamp: int64(binary.BigEndian.Uint64(b[0:])),
		LogicsMsgTimestamp: int64(binary.BigEndian.Uint64(b[8:])),
		IndexMsgTimestamp:  int64(binary.BigEndian.Uint64(b[16:])),
		Durable:            int64(binary.BigEndian.Uint64(b[24:])),
		Dispatched:         int64(binary.BigEndian.Uint64(b[32:])),
		IndexSafe:          int64(binary.BigEndian.Uint64(b[40:])),
	}
	if c.Durable < 0 || c.Dispatched < 0 || c.IndexSafe < 0 {
		return Checkpoint{}, ErrCheckpoint
	}
	return c, nil
}

// readCheckpoint reads dir/checkpoint. A missing file gives the zero
// Checkpoint and found=false.
func readCheckpoint(fsys vfs.FS, dir string) (c Checkpoint, found bool, err error) {
	name := filepath.Join(dir, "checkpoint")
	f, err := fsys.Open(name)
	if err != nil {
		if errorsIsNotExist(err) {
			return Checkpoint{}, false, nil
		}
		return Checkpoint{}, false, fmt.Errorf("engine: open %s: %w", name, err)
	}
	defer f.Close()
	var b [checkpointUsed]byte
	if _, err := f.ReadAt(b[:], 0); err != nil {
		return Checkpoint{}, true, fmt.Errorf("%w: read %s: %w", ErrCheckpoint, name, err)
	}
	c, err = decodeCheckpoint(b[:])
	if err != nil {
		return Checkpoint{}, true, fmt.Errorf("%w: %s", err, name)
	}
	return c, true, nil
}

// writeCheckpoint replaces dir/checkpoint atomically (see the layout).
func writeCheckpoint(fsys vfs.FS, dir string, c *Checkpoint) error {
	name := filepath.Join(dir, "checkpoint")
	tmp := name + ".tmp"
	var b [checkpointSize]byte
	c.encode(b[:])
	f, err := fsys.Create(tmp)
	if err != nil {
		return fmt.Errorf("engine: create %s: %w", tmp, err)
	}
	if _, err := f.WriteAt(b[:], 0); err != nil {
		_ = f.Close() // the write error is the one reported
		return fmt.Errorf("engine: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close() // the sync error is the one reported
		return fmt.Errorf("engine: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("engine: close %s: %w", tmp, err)
	}
	if err := fsys.Rename(tmp, name); err != nil {
		return fmt.Errorf("engine: rename %s: %w", tmp, err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("engine: sync dir %s: %w", dir, err)
	}
	return nil
}

func errorsIsNotExist(err error) bool {
	return os.IsNotExist(err) || errors.Is(err, fs.ErrNotExist)
}

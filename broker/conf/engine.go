package conf

import (
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/engine/consumequeue"
	"github.com/quivermq/quiver/engine/segment"
)

// EngineConfig returns the storage engine's configuration: the engine's
// defaults with every key that has an engine counterpart applied.
//
//	storePathRootDir              Dir
//	mappedFileSizeCommitLog       CommitLog.SegmentSize
//	flushDiskType                 CommitLog.FlushMode
//	flushIntervalCommitLog        CommitLog.FlushInterval
//	flushCommitLogLeastPages      CommitLog.FlushLeastPages
//	syncFlushTimeout              CommitLog.SyncFlushTimeout
//	commitLogCacheWindow          CommitLog.CacheWindow
//	mappedFileSizeConsumeQueue    ConsumeQueue.EntriesPerFile (bytes / 20)
//	maxHashSlotNum, maxIndexNum   Index.MaxHashSlots, Index.MaxIndexNum
//	messageIndexEnable            MessageIndexEnable
//	fileReservedTime              FileReservedTime
//	deleteWhen                    DeleteWhen
//	diskMaxUsedSpaceRatio         DiskMaxUsedSpaceRatio
//	cleanResourceInterval         CleanInterval
//	flushIntervalConsumeQueue     CheckpointInterval
//
// The caller sets what has no key (Notify, TagsCode, Logger, FS, Clock).
func (c *Config) EngineConfig() engine.Config {
	ec := engine.DefaultConfig()
	ec.Dir = c.StorePathRootDir
	ec.CommitLog.SegmentSize = c.MappedFileSizeCommitLog
	if c.CommitLogWriteMode == "mapped" || (c.CommitLogWriteMode == "auto" && c.FlushDiskType != SyncFlush) {
		ec.CommitLog.WriteMode = segment.WriteMapped
	}
	ec.CommitLog.FlushMode = commitlog.FlushAsync
	if c.FlushDiskType == SyncFlush {
		ec.CommitLog.FlushMode = commitlog.FlushSync
	}
	ec.CommitLog.CacheWindow = c.CommitLogCacheWindow
	ec.CommitLog.FlushInterval = c.FlushIntervalCommitLog
	ec.CommitLog.FlushLeastPages = c.FlushCommitLogLeastPages
	ec.CommitLog.SyncFlushTimeout = c.SyncFlushTimeout
	ec.ConsumeQueue.EntriesPerFile = (c.MappedFileSizeConsumeQueue + consumequeue.EntrySize - 1) / consumequeue.EntrySize
	ec.Index.MaxHashSlots = c.MaxHashSlotNum
	ec.Index.MaxIndexNum = c.MaxIndexNum
	ec.MessageIndexEnable = c.MessageIndexEnable
	ec.FileReservedTime = c.FileReservedTime
	ec.DeleteWhen = c.DeleteWhen
	ec.DiskMaxUsedSpaceRatio = c.DiskMaxUsedSpaceRatio
	ec.CleanInterval = c.CleanResourceInterval
	ec.CheckpointInterval = c.FlushIntervalConsumeQueue
	return ec
}

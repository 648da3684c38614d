// Package engine is Quiver's storage engine: the store façade over the
// commit log (engine/commitlog), the consume queues (engine/consumequeue) and
// the key index (engine/index), with the dispatcher that derives the latter
// two from the former, the checkpoint, the abort marker and recovery
// (DESIGN.md sections 3, 4 and 6).
//
// It knows nothing of sockets or of the remoting protocol; it imports
// message for the record layout.
//
// # Usage
//
//	cfg := engine.DefaultConfig()
//	cfg.Dir = "/var/quiver/store"
//	cfg.Notify = holdTable.Wake           // long polling
//	s, err := engine.Open(cfg)            // lock, recover, start dispatcher
//	res, err := s.Append(&fields)         // any goroutine
//	s.WaitFlushed(res.End, reply)         // SYNC_FLUSH only
//	r, err := s.GetMessages(topic, qid, off, 32, 256<<10, tagFilter)
//	... writev r.Records ...; r.Release() // in the write callback
//	err = s.Close()
//
// # Layout under Config.Dir
//
//	commitlog/<20-digit offset>             commit-log segments
//	consumequeue/<topic>/<qid>/<20 digits>  consume-queue files
//	index/<yyyyMMddHHmmssSSS>               index files
//	checkpoint                              see below
//	abort                                   present while a Store is open; holds the boot id
//	lock                                    held (flock) while a Store is open
//
// Checkpoint (format, never change): one 4096-byte page, big-endian; the
// first 24 bytes are RocketMQ's StoreCheckpoint.
//
//	+-----------------------------------+-----------------------------------+
//	|  0 physicMsgTimestamp int64 (ms)  |  8 logicsMsgTimestamp int64 (ms)  |
//	+-----------------------------------+-----------------------------------+
//	| 16 indexMsgTimestamp int64 (ms)   | 24 durable commit-log offset      |
//	+-----------------------------------+-----------------------------------+
//	| 32 dispatched offset int64        | 40 index safe offset int64        |
//	+-----------------+-----------------+-----------------------------------+
//	| 48 magic uint32 | 52 CRC-32C (Castagnoli) of bytes [0, 52)            |
//	+-----------------+-----------------+   zeros up to 4096
//	magic 0x51564350 ("QVCP")
//
// It is replaced atomically (checkpoint.tmp, fsync, rename, directory fsync)
// every Config.CheckpointInterval and at Close, after the consume queues and
// the index were synced. The two timestamps RocketMQ keeps apart are both the
// store time of the last dispatched record here (informational; recovery
// uses the offsets).
//
// # Recovery (Open)
//
//  1. Take the lock; read the checkpoint (missing: all zero, a full scan;
//     bad magic or CRC: the same, and the start counts as unclean); note
//     the abort marker (present: unclean), create it holding the boot id
//     (Config.BootID), sync Dir. An unclean start whose marker holds the
//     current boot id was a process crash: the page cache survived.
//  2. Open the commit log from the checkpoint's durable offset. Clean or
//     not, the log scans and validates every record from there (layout,
//     CRC, PHYSICALOFFSET), cuts a torn tail and reports corrupt ranges
//     (Store.Report) without dropping the valid records after them. The
//     read methods refuse offsets inside those ranges (ErrCorruptRecord);
//     GetMessages skips them.
//  3. Truncate every consume queue to the recovered end.
//  4. Open the index with Recovery{MaxPhyOffset: end (after a possible power
//     loss: the smaller of end and the checkpoint's index safe offset, which
//     costs re-indexing the newest index file), Unclean}.
//  5. Re-dispatch synchronously from the lowest of: the checkpoint's
//     dispatched offset, the end of the consume queues (Table.MaxPhyOffset;
//     a deleted consumequeue/ gives the log's start), the index's newest
//     entry when the index lost entries it had at the checkpoint (a deleted
//     index/), all raised to the log's MinOffset. Re-putting an entry that
//     is already there is a no-op in both.
//  6. Rebuild the topic-queue table from each queue's MaxOffset, then start
//     the dispatcher and the checkpoint writer.
//
// # Dispatch
//
// One dispatcher goroutine tails the commit log from Dispatched: woken by
// each Append through a one-slot channel (non-blocking send), else every
// Config.DispatchPoll. A pass covers at most 4096 records, so a dispatcher
// far behind still publishes and notifies as it goes. For each record: the
// consume-queue entry (tags code from Config.TagsCode), then the index keys;
// PREPARED and ROLLBACK transaction records get neither (spec 5.1) and take
// queue offset 0 at append without advancing the queue (spec 4.1). After a
// pass it publishes Dispatched and calls Config.Notify once per queue that
// grew, with no lock held (also during Open's re-dispatch, before Open
// returns). A consume-queue or index error stops the dispatcher
// (DispatchErr); appends go on, the commit log being the truth, and the next
// Open re-dispatches.
//
// # Retention
//
// DeleteBefore(offset) removes the commit-log segments wholly below offset
// (flushed and dispatched ones only), then the consume-queue and index files
// wholly below the log's new minimum, and raises the queues' MinOffset; pulls
// below it answer OFFSET_TOO_SMALL. Pinned segments stay mapped until their
// readers release them. A cleaner goroutine (retention.go) calls it every
// CleanInterval: at the DeleteWhen hours for segments older than
// FileReservedTime, and at once, regardless of age, while disk usage is at or
// above DiskMaxUsedSpaceRatio (never the active or an undispatched segment).
// At DiskHighWatermark appends fail with ErrDiskFull while reads go on; they
// resume by themselves once usage falls 2 points below it.
//
// # Concurrency
//
// Every Store method is safe for concurrent use. Append and AppendBatch take
// the commit log's append lock (the topic-queue table runs under it) and a
// shared closeMu; nothing else is locked on the append path, and an append
// never waits for the dispatcher, the checkpoint or a reader. Readers take no
// engine lock: they read the consume queue's published MaxOffset and pin the
// commit-log segments they return (GetResult.Release). Close takes closeMu
// exclusively, so it waits for appends in flight.
//
// LOCKS: closeMu (shared by appends) before commitlog's Log.mu; ckptMu only
// around the checkpoint file write. Config.Notify and WaitFlushed callbacks
// run with no engine lock held.
package engine

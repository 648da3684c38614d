// Package commitlog is the commit log of the storage engine: every stored
// message, in arrival order, in a sequence of pre-allocated segments
// (engine/segment) of Config.SegmentSize bytes, named by their base offset.
//
// # Layout
//
// The record layout is message's (stored record and end-of-file filler; see
// the message package doc for the field diagram). A record never straddles
// segments: when a record (or a whole batch) plus a filler does not fit in
// what is left of a segment, a filler covers the rest and the record goes at
// the start of the next segment.
//
//	segment 00000000000000000000                 segment 00000000000001048576
//	+--------+--------+-----+--------+---------+  +--------+-----+-------------+
//	| rec @0 | rec @n | ... | rec @p | FILLER  |  | rec @S | ... | zeros ...   |
//	+--------+--------+-----+--------+---------+  +--------+-----+-------------+
//	                                  ^ TOTALSIZE = S - q, MAGIC 0xCBD43194
//
// Every record stores its own PHYSICALOFFSET (its position in the log) and a
// body CRC; recovery relies on both. Format, never change.
//
// # Usage
//
//	l, rep, err := commitlog.Open(vfs.Default, dir, cfg, checkpoint)
//	if err := rep.Err(); err != nil { ... corrupt ranges: the engine decides }
//	_ = l.Scan(rep.Start, rebuildConsumeQueues)
//	res, err := l.Append(&fields, topicQueues)   // any goroutine
//	l.WaitFlushed(res.End, func(err error) { ... reply ... }) // FlushSync
//	rec, pin, err := l.Read(phys); ...; pin.Release()
//
// # Concurrency
//
// Appends take one mutex (Log.mu) for: reserving space (rolling to the next
// segment, handed over by the segment Allocator), assigning the physical
// offset, store timestamp and queue offsets, and encoding: into a reused
// scratch buffer written with WriteAt (pwrite, or a copy into the mapping
// under FlushSync), or straight into the mapping (WriteMapped under
// FlushAsync). The body CRC and the encoded length are computed before the
// lock. Wrote is published after the bytes are in the segment.
//
// One flusher goroutine syncs. FlushAsync: every FlushInterval, or when
// an append sees FlushLeastPages pages unflushed. FlushSync (group commit):
// WaitFlushed registers a waiter; the flusher takes every waiter, THEN reads
// Wrote, does one fdatasync per segment holding unflushed data and completes
// the waiters with the shared result on its goroutine. A second goroutine
// completes waiters older than SyncFlushTimeout with ErrFlushTimeout, even
// while an fdatasync hangs. Write and flush errors are sticky.
//
// Readers load the segment list (copy-on-write) without a lock and pin the
// segment they read; DeleteSegmentsBefore removes sealed, flushed segments,
// which stay mapped until their last pin is released.
//
// LOCKS: Log.mu before flusher.wmu. Neither is held across an fdatasync or
// a callback. QueueAssigner.AssignQueueOffset runs under Log.mu.
//
// # Recovery
//
// Open scans from the engine's checkpoint with full checks (layout, CRC,
// PHYSICALOFFSET equal to the position, filler size equal to the rest of the
// segment). The end is the first all-zero header. At a bad entry it searches
// forward, byte by byte (records are not aligned), then at the following
// segments, for the next valid entry. None: a torn tail, zeroed with
// Segment.Truncate and reported (Report.TornAt, Truncated). Found: the range
// between is reported in Report.Corrupt, left in place, and skipped by Scan;
// the valid records after it are kept (RocketMQ would truncate them).
//
// # Write path in WriteMapped mode under FlushAsync
//
// Append encodes the record straight into the active segment's mapping,
// above its Wrote, and publishes it with Segment.Commit (no scratch buffer,
// no copy). A helper goroutine keeps Config.PrepareAhead bytes ahead of the
// append position mapped writable (Segment.PrepareWrite,
// MADV_POPULATE_WRITE), so that the appender's stores do not take the
// write-protect fault per 4 KiB page; it never stores into the mapping, so
// it cannot race with the appender. The prepared pages are dirty: a flush
// writes those beyond the appender back as zeros (each page at most once).
//
// # Needed from segment
//
// Recovery syncs the scanned files through a separate handle because
// Truncate marks them flushed.
package commitlog

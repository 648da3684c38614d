// Package consumequeue is the ConsumeQueue of the storage engine: for each
// (topic, queue id), the index from queue offset to the record in the
// commit log, in RocketMQ's on-disk format. The dispatcher writes it as it
// tails the commit log; pulls read it to find records. It is derived data:
// recovery can rebuild it from the commit log. It does not read the commit
// log itself; OffsetByTime takes a callback for that.
//
// # Usage
//
//	t, err := consumequeue.OpenTable(vfs.Default, storeDir+"/consumequeue", consumequeue.DefaultConfig())
//	err = t.Truncate(commitLogEnd)            // recovery
//	t.CorrectMinOffset(commitLogMin)
//
//	q, err := t.Get(topic, queueID)           // dispatcher
//	err = q.Put(queueOffset, phyOffset, size, tagsCode)
//
//	v, err := q.Entries(offset, 32)           // pull
//	for off, e := range v.All() { ... e.PhyOffset, e.Size, e.TagsCode ... }
//	next := v.End()
//	v.Release()
//
// # Layout
//
// Format, never change. Files live in <root>/<topic>/<queueId>/, where
// root is the store's consumequeue directory and queueId is in decimal.
// Each file holds EntriesPerFile entries (300,000 by default: 6,000,000
// bytes) and is named by its start byte offset, the queue offset of its
// first entry times 20, in 20 zero-padded digits: 00000000000000000000,
// 00000000000006000000, ... Queue offset N is at byte N*20 of the queue's
// address space, so at byte (N mod EntriesPerFile)*20 of its file. Files
// are created at full size (preallocated) and never grow.
//
//	one entry, 20 bytes, big-endian
//	+-------------------------------+---------------+-------------------------------+
//	| 0 commit-log offset int64     | 8 size int32  | 12 tags code int64            |
//	+-------------------------------+---------------+-------------------------------+
//
//	blank fill entry: (0, BlankSize = 2^31-1, 0)
//	unwritten space:  20 zero bytes
//
// The size is the record's TOTALSIZE; the tags code is the Java hashCode of
// the TAGS property (0 without one), or a delivery time in
// SCHEDULE_TOPIC_XXXX. Blank entries stand for queue offsets with no
// record: those before the first record of a queue that starts late (its
// older data deleted, or its directory rebuilt), and gaps left by lost
// records. Readers skip them.
//
// # Load rules
//
// A file is loaded only if its name is a multiple of the file size, it has
// exactly the file size and no file is missing between the first and the
// last (else ErrCorrupt). *.tmp files are creations cut short and are
// removed; other names are ignored. An entry was written if its size is
// positive and its commit-log offset is not negative (RocketMQ's rule;
// blanks qualify). Put stores the size field last, so the entry a process
// crash tore has size 0. MaxOffset is the first entry not written, found
// scanning from the start of the third-last file, as RocketMQ does (earlier
// files are taken as full); files that start past it are removed. MinOffset
// is the first non-blank entry, until the store calls CorrectMinOffset.
// Truncate zeroes the entries it drops, so this package never leaves a
// stale entry past MaxOffset for a later Load to find. (A power loss can:
// see Truncate.)
//
// # Concurrency
//
// One writer (the dispatcher) calls Put; any number of readers call
// Entries, At, OffsetByTime and the offset getters without locks and
// without allocating. Put writes the 20 bytes, then stores the new
// MaxOffset with an atomic store; readers load MaxOffset first and read
// only below it, so they never see a partly written entry. A View pins
// its file with a reference count: DeleteBelow (retention), DeleteTopic
// and Close unlink files at once but unmap each when its last View is
// released. Sync, DeleteBelow and CorrectMinOffset may run concurrently
// with Put and readers. Truncate rewrites entries in place and must run
// alone (recovery, before the queue is served). Table methods are safe for
// concurrent use.
//
// Lock order: Table.mu, then Queue.mu. No lock is held across a file
// sync except by Truncate; DeleteTopic holds Table.mu while it removes the
// topic's directory.
package consumequeue

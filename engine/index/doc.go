// Package index is the engine's key index: hash-slot index files over the
// KEYS and UNIQ_KEY properties of stored messages, laid out as RocketMQ's
// IndexFile (spec/rocketmq-wire.md §6.1), so that QUERY_MESSAGE finds the
// commit-log offsets of the messages with a key in a time range.
//
// It is derived data: everything in it can be rebuilt by dispatching the
// commit log again. The dispatcher writes it; the broker queries it.
//
// # Usage
//
//	x, err := index.Open(fs, index.Config{Dir: root + "/index"},
//		index.Recovery{MaxPhyOffset: commitLogEnd, Unclean: abortMarkerFound})
//	_, phy := x.LastUpdate() // re-dispatch the commit log from phy
//	...
//	err = x.PutRecord(rec)                      // dispatcher, per stored record
//	offs = x.Query(offs[:0], topic, key, 64, beginMs, endMs)
//	... read each offset, keep the messages whose keys hold key ...
//	err = x.Flush()                             // flusher, periodically
//	n, err = x.DeleteBelow(commitLogMinOffset)  // retention
//	err = x.Close()
//
// # Files
//
// The directory holds one file per maxIndexNum entries, named by its
// creation time in local time, yyyyMMddHHmmssSSS (17 digits, so that name
// order is creation order; names are bumped by one when that would not
// hold). A full file is never written again. A file is created under
// "<name>.tmp", preallocated, synced and renamed.
//
// # Layout
//
// All integers are big-endian. With RocketMQ's defaults (5,000,000 slots,
// 20,000,000 entries) a file is 420,000,040 bytes. Format, never change.
//
//	0          40              40+4·S                          40+4·S+20·N
//	+----------+---------------+-------------------------------+
//	| header   | S slots       | N entries (entry 0 is unused) |
//	+----------+---------------+-------------------------------+
//	S = maxHashSlotNum (Config.MaxHashSlots), N = maxIndexNum (Config.MaxIndexNum)
//
//	header (40 bytes)
//	+-------------------------------+-------------------------------+
//	|  0 beginTimestamp int64 (ms)  |  8 endTimestamp int64 (ms)    |
//	+-------------------------------+-------------------------------+
//	| 16 beginPhyOffset int64       | 24 endPhyOffset int64         |
//	+---------------+---------------+-------------------------------+
//	| 32 hashSlot-  | 36 indexCount |
//	|    Count i32  |    int32      |
//	+---------------+---------------+
//
//	slot s at 40 + 4·s: int32, number of the newest entry whose
//	keyHash % S == s; 0 = empty
//
//	entry i at 40 + 4·S + 20·i (20 bytes)
//	+---------------+-------------------------------+---------------+---------------+
//	| 0 keyHash i32 | 4 phyOffset int64             | 12 timeDiff   | 16 prevIndex  |
//	|               |                               |    int32 (s)  |    int32      |
//	+---------------+-------------------------------+---------------+---------------+
//
//	keyHash        abs(Java String.hashCode(topic + "#" + key)), MinInt32 → 0
//	               (message.IndexKeyHash)
//	phyOffset      commit-log offset of the message
//	timeDiff       (storeTimestamp - beginTimestamp) / 1000, clamped to
//	               [0, MaxInt32]; 0 while beginTimestamp is 0
//	prevIndex      the entry the slot held before this one: the next
//	               older entry of the chain; 0 ends it
//	beginTimestamp, beginPhyOffset
//	               of the first entry; a new file starts with the previous
//	               file's end values in both begin and end fields
//	endTimestamp, endPhyOffset
//	               of the newest entry
//	hashSlotCount  entries that went into an empty slot
//	indexCount     next entry number: 1 in a new file; the file is full
//	               when it reaches N
//
// One difference from Java: Java computes the first entry's timeDiff before
// replacing the inherited beginTimestamp, so in a file started after a full
// one that entry's time is off by the gap; here it is 0, relative to its
// own time.
//
// # Lookup
//
// A query hashes topic#key, reads the slot, and walks the chain newest to
// oldest, keeping entries whose hash is equal and whose time (beginTimestamp
// + timeDiff·1000) lies in the range; it stops at the end of the chain, at
// a prevIndex not below the current entry, at an entry older than the
// range, or after maxNum hits. Hashes collide: callers must check the keys
// of the messages they read. Files are searched newest first, those whose
// [beginTimestamp, endTimestamp] overlaps the range, stopping after one
// that begins before the range.
//
// # Concurrency
//
// One writer (the dispatcher) calls Put; any number of goroutines call
// Query and LastUpdate; Flush and DeleteBelow run on their own goroutines.
// Put never waits for a Flush or a Query except while it starts a new file
// (a pointer append under the list lock). Within a file, Put writes the
// entry, then the header, then publishes the entry by an atomic store of the
// slot, so a concurrent Lookup sees either the old chain or the new one,
// never a half-written entry (see File.Put). Files are unmapped only under
// the list lock held exclusively, which Query holds shared for its walk.
// Lock order: Index.wmu, Index.flushMu, Index.mu.
//
// # Durability and recovery
//
// Files are written through writable shared mappings; Flush syncs the files
// written since the last Flush. A process crash loses nothing (the page
// cache survives). Open deletes every file from the first whose
// endPhyOffset is at or past the commit log's recovered end, and the
// dispatcher re-dispatches from LastUpdate's offset; Put ignores messages
// below the newest entry, so an earlier start point is harmless. See
// Recovery and Open for power loss.
package index

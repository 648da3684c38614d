// Package timer is the broker's file-backed timing wheel for RocketMQ 5's
// timer messages (TIMER_DELIVER_MS, TIMER_DELAY_SEC, TIMER_DELAY_MS): it
// holds small fixed-size references to records already stored in the
// commit log, and hands them back when they fall due. Millions of pending
// messages cost a few bytes of disk each and no Go memory per entry: the
// slot array, memory-mapped, is the only index.
//
// # Usage
//
//	w, err := timer.Open(timer.Config{Dir: storeDir + "/timer", MaxDelay: 72 * time.Hour})
//	ck := w.Durable()                 // re-add from ck.QueueOffset+1 (see Restart)
//	go w.Run(ctx, func(batch []timer.Entry) error {
//		// read each record at e.Phys (e.Size bytes) from the commit log and
//		// re-append it to its real topic; return nil once all are appended
//	})
//	err = w.Add(timer.Entry{DeliverAtMs: at, Phys: phys, Size: size, QueueOffset: qo})
//	...                               // ErrBeyondMaxDelay: refuse; ErrBusy: retry later
//	cancel(); <-runDone; w.Close()
//
// # Files
//
// Under Config.Dir (all integers big-endian; format, never change):
//
//	LOCK                   flock: one process per directory
//	checkpoint             two alternating 4 KiB records (below)
//	wheel                  4 KiB header + one 32-byte slot per Precision
//	log/00000000000000000000   timer-log segments of SegmentSize bytes,
//	log/00000000000050331648   named by the log position of their first
//	...                        byte (20 digits, engine/segment)
//
// A timer-log entry, 48 bytes, appended in Add order; positions are byte
// offsets in the log, multiples of 48, and no entry straddles two files
// (SegmentSize is a multiple of 12288):
//
//	 0               8               16              24
//	+---------------+---------------+---------------+---------------+
//	| deliverAtMs   | slotMs        | phys          | queueOffset   |
//	+---------------+-------+-------+---------------+---------------+
//	| prevPos       | size  | crc   |
//	+---------------+-------+-------+
//	 32              40      44      48
//
//	slotMs   the slot the entry is filed under: deliverAtMs rounded up to
//	         Precision, or the first slot delivery had not yet started if
//	         that is later (a past-due entry)
//	phys     commit-log offset of the stored record; size its length
//	prevPos  position of the previous entry of the same slot, -1 for the
//	         first: each slot is a chain walked from its last entry back
//	crc      CRC-32C of bytes [0, 44)
//
// A wheel slot, 32 bytes, at 4096 + 32 * ((slotMs / Precision) mod slots),
// where slots = ceil((MaxDelay + Slack) / Precision):
//
//	+---------------+---------------+---------------+-------+-------+
//	| timeMs        | firstPos      | lastPos       | count | 0     |
//	+---------------+---------------+---------------+-------+-------+
//
// A slot describes the chain of one slot time, timeMs; a slot whose
// timeMs is below the checkpointed delivery cursor is free for reuse. The wheel header holds the
// magic "QVTW", the version, Precision in ms and the slot count.
//
// A checkpoint record, at offset 0 or 4096 (seq mod 2), rest zero:
//
//	 0      4      8       16         24      32        40            48       56            64               72           80            84
//	| QVTC | ver  | seq   | precMs   | slots | segSize | queueOffset | logEnd | deliveredMs | deliveredTotal | partialPos | partialLeft | crc |
//
// Open takes the valid record with the higher seq; a torn write of one
// record leaves the other. The geometry fields must match the Config
// (ErrMismatch otherwise).
//
// # Durability
//
// The durable state is the timer log below Checkpoint.LogEnd plus the
// checkpoint. The wheel file is derived: it is never synced, and Open
// rebuilds it from the log. A checkpoint (the delivery loop's, after each
// Tick that changed something and every CheckpointInterval during a long
// backlog; Sync; Close) runs in this order:
//
//  1. under the lock: write the buffered entries (pwrite), snapshot
//     LogEnd, the highest QueueOffset added and the delivery cursor;
//  2. fdatasync every log segment holding entries below that LogEnd;
//  3. write the checkpoint record and fdatasync it;
//  4. delete log segments none of whose entries is in a slot at or past
//     the checkpointed delivery cursor (and never the segment taking
//     appends).
//
// Hence an entry counted by a checkpoint (QueueOffset) is in synced log
// bytes, and the cursor moves past a slot only after deliver returned nil
// for all its entries (it is advanced in memory after deliver, and
// written in a later checkpoint). A segment is deleted only after a
// durable checkpoint shows all its entries delivered, so a crash at any
// point leaves every undelivered counted entry readable. Write and sync
// errors are sticky: Add, Tick and Sync return them from then on, and Run
// stops.
//
// At-least-once: entries deliver accepted after the last checkpoint are
// delivered again after a crash (at most one Tick's worth, or
// CheckpointInterval of backlog). After Close, nothing is delivered twice.
// A slot longer than MaxBatch is delivered in several batches; the
// checkpoint then also records where in its chain delivery stands
// (partialPos, partialLeft), and Open resumes there.
//
// # Recovery
//
// Open reads the checkpoint, zeroes the wheel file, deletes log segments
// at or past LogEnd, and scans the remaining segments below LogEnd in log
// order: every entry with a valid CRC and slotMs at or past the delivery
// cursor is linked into its slot. (Chains are rebuilt as they are found;
// an entry whose prev pointer disagrees, after a skipped unreadable entry,
// is rewritten and the segment synced.) Stale bytes past LogEnd in the
// last segment are zeroed. The scan reads 48 bytes per entry still in the
// log: about Stats.LogBytes of sequential I/O.
//
// # Restart procedure for the broker
//
//  1. Open the wheel; ck := w.Durable().
//  2. Start Run: slots between ck.DeliveredMs and now are delivered at
//     once (catch-up), in slot order, then the loop ticks every Precision.
//  3. Re-add, in queue order, every record of the timer topic's consume
//     queue from ck.QueueOffset+1 on (Add also skips any at or below the
//     highest added, so overlapping re-adds are harmless), then go on
//     with new ones. Start Run first: after a downtime longer than Slack,
//     Add answers ErrBusy for slots the catch-up has not yet passed; wait
//     a tick and add the same entry again (never skip it).
//
// The wheel's checkpoint, not the broker's consume offset on the timer
// topic, says what the wheel holds.
//
// # Delivery
//
// Tick (Run calls it at every Precision boundary) walks the slots from the
// delivery cursor up to now. A slot is never delivered early: deliverAtMs
// is rounded up to Precision. Entries of one slot that fit in one batch
// are delivered in DeliverAtMs order (ties in Add order); a longer chain
// goes in batches of MaxBatch, newest batch first. A failed deliver is
// retried with the same batch (Run: exponential back-off from RetryMin to
// RetryMax); nothing is skipped.
//
// An entry already due is filed under the first slot delivery has not
// started, so it goes at the next tick. An entry due more than MaxDelay
// ahead is refused (ErrBeyondMaxDelay). The span is MaxDelay + Slack so
// that a slot is reused only Slack after its time: if delivery lags more
// than that, Add answers ErrBusy rather than overwrite undelivered
// entries.
//
// # Space
//
// Memory: the slot array is a shared file mapping (resident only where
// touched, and reclaimable page cache); the log is written with pwrite
// through a 6 KiB buffer and read through a read-only mapping; a batch of
// MaxBatch entries. No Go object per pending entry.
//
// Disk: 48 bytes per entry until its whole segment is delivered. A segment
// is pinned by its latest entry, so sprinkled long delays keep segments
// of short ones alive: the log can hold up to MaxDelay's worth of
// arrivals. (Compaction, moving the few live entries of an old segment
// forward, is not implemented.)
//
// # Concurrency
//
// One goroutine adds (the broker's timer dispatcher) and one delivers (Run,
// or whoever calls Tick); Pending, Stats, Durable and Sync are safe on any
// goroutine. Wheel.mu guards the slots, the segment list, the write buffer
// and the cursors; it is held for an Add (with, every 128 entries, a
// pwrite of the buffer into the page cache) and while delivery collects a
// batch, never across an fdatasync, a segment creation or deliver (Add
// releases it while the Allocator hands over the next segment).
// Wheel.ckptMu serializes checkpoints and segment deletion, is held across
// their fdatasyncs, and is taken before mu. Lock order: ckptMu, then mu;
// engine/segment's Allocator.mu is taken by Add with neither held.
package timer

// Package segment manages one pre-allocated, fixed-size, memory-mapped
// file of a log: the commit log's 1 GiB files, named by the offset of
// their first byte. It knows no record format; the owner writes bytes at
// offsets and readers read slices of the mapping.
//
// # Files
//
// A segment file is named by its base offset, 20 decimal digits,
// zero-padded (Name, ParseName), so lexical order is log order:
//
//	commitlog/00000000000000000000      bytes [0, 1 GiB) of the log
//	commitlog/00000000001073741824      bytes [1 GiB, 2 GiB)
//	commitlog/00000000002147483648.tmp  being allocated; never a segment
//
// Every file holds exactly Config.Size bytes, all allocated on disk: a
// file under its final name is complete, because Create renames it only
// after fallocate and fdatasync.
//
// # Lifecycle
//
//	Create, on the Allocator's goroutine:
//
//	  <name>.tmp       fs.Create
//	      |
//	      v
//	  preallocated     Preallocate(Size): fallocate, real blocks, no
//	      |            holes (zeros written where fallocate is missing);
//	      |            fdatasync
//	      v
//	  renamed          rename <name>.tmp -> <name>; fsync(dir)
//	      |
//	      v
//	  mapped, warmed   mmap MAP_SHARED (writable in WriteMapped mode);
//	      |            madvise(Advice); MADV_WILLNEED + one load per page;
//	      |            WriteMapped: MADV_POPULATE_WRITE of the first
//	      |            Config.PrepareWrite bytes
//	      |  Allocator.Next hands it to the writer      Open (recovery):
//	      |                                             <name> mapped,
//	      |                                             positions 0;
//	      |  <------------------------------------------ Truncate(end)
//	      v
//	  active           WriteAt (or, WriteMapped, stores into Bytes() and
//	      |            Commit) advances Wrote; Sync advances Flushed;
//	      |            readers Acquire, read Bytes()[:Wrote()], Release
//	      v
//	  sealed           the writer rolled to the next segment; still read,
//	      |            and synced until Flushed reaches the end
//	      v
//	  closed/removed   Close or Remove: Acquire fails from now on; the
//	                   last Release munmaps, closes the file and, for
//	                   Remove, unlinks it and fsyncs the directory (on a
//	                   goroutine of its own if that Release is a reader's)
//
// # Usage
//
//	alloc, _ := segment.NewAllocator(vfs.Default, dir, cfg)
//	alloc.Prepare(0)
//	seg, err := alloc.Next(0)       // the writer, when it rolls
//	err = seg.WriteAt(rec, off)     // the writer
//	err = seg.Sync()                // the flusher
//	if seg.Acquire() {              // a reader
//		b := seg.Bytes()[off:seg.Wrote()]
//		... // use b until:
//		seg.Release()
//	}
//	err = seg.Remove()              // retention
//
// # Concurrency contract
//
//   - One writer calls WriteAt, Commit, Truncate and Warm, never
//     concurrently with each other. The engine's append lock is that
//     writer. In WriteMapped mode it may also store into Bytes() at and
//     above Wrote, and publish those bytes with Commit.
//   - PrepareWrite may run on any goroutine, concurrently with the writer
//     and readers: it only asks the kernel to map pages writable ahead of
//     the writer (MADV_POPULATE_WRITE) and stores nothing.
//   - Sync may run on any goroutine, concurrently with WriteAt and with
//     other Syncs. It holds a reference for the duration of the fdatasync.
//   - Base, Size, Path, Bytes, Wrote, Flushed, Err, Acquire and Release are
//     safe on any goroutine. A reader may rely on the bytes below a value
//     of Wrote (or Flushed) that it loaded; Bytes() above it may change.
//   - The slice from Bytes is valid while its user holds a reference: the
//     owner's (from Create or Open until Close or Remove) or one taken by
//     Acquire. After Release the memory may be unmapped: touching it
//     faults. Readers never write to it.
//   - The owner calls Close or Remove once, after the writer has stopped
//     writing to the segment.
//
// # Durability
//
// Write errors and sync errors are sticky: after the first, WriteAt,
// Commit, Sync and Truncate return it. Flushed only counts bytes written before an
// fdatasync started (see Sync). In WriteMapped mode, fdatasync of the file
// writes back the pages dirtied through the mapping as well; no msync is
// needed on Linux.
package segment

// Package message holds the RocketMQ stored-message record, which is both
// the commit-log format on disk and the PULL_MESSAGE body on the wire, and
// what travels with it: the properties string, the SEND_BATCH_MESSAGE body,
// message ids and Java's String.hashCode for tag codes and index keys.
//
// It is a leaf: it imports only the standard library. engine, protocol and
// client all use it, and golden vectors in its tests pin every layout.
//
// # Usage
//
// Encoding appends to, or writes into, caller-owned bytes and does not
// allocate when the destination is large enough. The engine sizes first,
// reserves, encodes straight into the mapped segment and patches the fields
// it assigns under its lock:
//
//	f := message.Fields{Topic: topic, Body: body, Properties: props, ...}
//	n, err := f.EncodedLen()
//	... reserve n bytes at seg[pos:] ...
//	_, err = message.PutRecord(seg[pos:], &f)
//	r := message.Record(seg[pos : pos+n])
//	r.SetQueueOffset(qo)
//	r.SetPhysicalOffset(base + int64(pos))
//	r.SetStoreTimestamp(nowMs)
//
// Reading never copies. Record is a view with cheap peeks; Decode checks
// one entry (record or filler) and RecordIter walks a pull body:
//
//	n, filler, err := message.Decode(seg[pos:], true)
//	r := message.Record(seg[pos : pos+n])
//	topic, tags := r.Topic(), r.Tags()
//
// # Stored record
//
// All integers are big-endian. Offsets are for IPv4 hosts; each IPv6 host
// (SYSFLAG bit 0x10 for BORNHOST, 0x20 for STOREHOST) adds 12 bytes to every
// later offset. Format, never change.
//
//	 each row is 8 bytes; numbers are byte offsets
//	+-------------------------------+-------------------------------+
//	|  0 TOTALSIZE int32            |  4 MAGICCODE                  |
//	+-------------------------------+-------------------------------+
//	|  8 BODYCRC int32              | 12 QUEUEID int32              |
//	+-------------------------------+-------------------------------+
//	| 16 FLAG int32                 | 20 QUEUEOFFSET int64 ...      |
//	+-------------------------------+-------------------------------+
//	|    ... QUEUEOFFSET            | 28 PHYSICALOFFSET int64 ...   |
//	+-------------------------------+-------------------------------+
//	|    ... PHYSICALOFFSET         | 36 SYSFLAG int32              |
//	+-------------------------------+-------------------------------+
//	| 40 BORNTIMESTAMP int64 (ms)                                   |
//	+-------------------------------+-------------------------------+
//	| 48 BORNHOST ip (4 | 16)       |    port int32                 |
//	+-------------------------------+-------------------------------+
//	| 56 STORETIMESTAMP int64 (ms)                                  |
//	+-------------------------------+-------------------------------+
//	| 64 STOREHOST ip (4 | 16)      |    port int32                 |
//	+-------------------------------+-------------------------------+
//	| 72 RECONSUMETIMES int32       | 76 PREPARED_TRANSACTION_OFFSET|
//	+-------------------------------+    int64 ...                  |
//	|    ... PREPARED_TRANSACTION   | 84 BODYLEN int32              |
//	+-------------------------------+-------------------------------+
//	| 88 BODY (BODYLEN bytes) ...                                   |
//	+---------------------------------------+-----------------------+
//	| TOPICLEN: v1 uint8 (<= 127), v2 int16 | TOPIC ...             |
//	+---------------+-----------------------+-----------------------+
//	| PROPLEN int16 | PROPERTIES (PROPLEN bytes, <= 32767) ...      |
//	+---------------+-----------------------------------------------+
//
//	MAGICCODE  v1 0xDAA320A7  one-byte TOPICLEN; the only form clients read
//	           v2 0xDAA320AB  two-byte TOPICLEN (Java 5.x, long topics)
//	BODYCRC    = crc32.ChecksumIEEE(BODY) & 0x7FFFFFFF, of the body as stored
//	TOTALSIZE  = 91 + BODYLEN + topic + PROPLEN for v1 with IPv4 hosts;
//	             v2 adds 1, each IPv6 host adds 12
//
// # End-of-file filler
//
// A record never straddles commit-log segments. When a record plus 8 bytes
// does not fit in what is left of a segment, the writer puts a filler there
// and moves to the next segment; the bytes after it are not meaningful.
//
//	+-------------------------------+-------------------------------+
//	| remaining int32 (>= 8)        | MAGICCODE 0xCBD43194          |
//	+-------------------------------+-------------------------------+
//
// # Properties
//
// A properties string is a run of pairs, each key 0x01 value 0x02. Readers
// split on 0x02, split each segment at its first 0x01, and skip segments
// with an empty key or value; with duplicate keys the last one wins.
//
//	KEYS 0x01 k1 k2 0x02 TAGS 0x01 tagA 0x02 UNIQ_KEY 0x01 C0A8... 0x02
//
// # Batch body (SEND_BATCH_MESSAGE)
//
// Items laid end to end. The broker gives each item the batch's topic,
// queue, hosts and times, and computes its CRC.
//
//	+-------------+-------------+-------------+-------------+-------------+
//	| TOTALSIZE   | MAGICCODE 0 | BODYCRC 0   | FLAG int32  | BODYLEN     |
//	| int32       | int32       | int32       |             | int32       |
//	+-------------+-------------+-------------+-------------+-------------+
//	| BODY (BODYLEN bytes) ...  | PROPLEN int16 | PROPERTIES ...          |
//	+---------------------------+---------------+-------------------------+
//	TOTALSIZE = 22 + BODYLEN + PROPLEN
//
// # Message ids
//
// The offset message id is hex(STOREHOST ip | port int32 | commit-log
// offset int64), uppercase: 32 digits for IPv4, 56 for IPv6. For example
// 192.168.1.10:10911 at offset 0x1234 is C0A8010A00002A9F0000000000001234.
// The client id (UNIQ_KEY) is opaque to the broker; UniqIDGenerator makes
// ones in the Java client's layout.
//
// # Errors and concurrency
//
// Checks return a *CorruptionError naming the field and offset; its Reason
// (ErrTruncated, ErrBadMagic, ErrBadLength, ErrSizeMismatch, ErrChecksum)
// tells a torn tail from damage. Everything here is safe for concurrent use
// on distinct buffers; views alias their buffer and are valid only while it
// is. Only UniqIDGenerator holds state, and it is safe for concurrent use.
package message

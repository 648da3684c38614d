package engine

import "github.com/quivermq/quiver/message"

// topicQueues is the topic-queue offset table: the next queue offset of
// every (topic, queue id). It implements commitlog.QueueAssigner.
//
// LOCKS: it has none. AssignQueueOffset runs under the commit log's append
// lock, the only writer after Open; set and next run during Open, before
// any append.
type topicQueues struct {
	m map[string][]int64
}

func newTopicQueues() *topicQueues { return &topicQueues{m: make(map[string][]int64)} }

// AssignQueueOffset reserves n offsets of (topic, queueID) and returns the
// first. It does not allocate for a queue already in the table (the
// m[string(topic)] lookup does not copy). REQUIRES: 0 <= queueID <
// MaxQueueID (Append checks) and the commit log's append lock held.
func (t *topicQueues) AssignQueueOffset(topic []byte, queueID int32, n int) int64 {
	s, ok := t.m[string(topic)]
	if !ok || int(queueID) >= len(s) {
		s = t.grow(topic, s, queueID)
	}
	o := s[queueID]
	s[queueID] = o + int64(n)
	return o
}

func (t *topicQueues) grow(topic []byte, s []int64, queueID int32) []int64 {
	ns := make([]int64, int(queueID)+1)
	copy(ns, s)
	t.m[string(topic)] = ns
	return ns
}

// set records next as the next offset of (topic, queueID) if it is higher.
func (t *topicQueues) set(topic string, queueID int32, next int64) {
	s := t.m[topic]
	if int(queueID) >= len(s) {
		s = t.grow([]byte(topic), s, queueID)
	}
	if next > s[queueID] {
		s[queueID] = next
	}
}

// zeroAssigner hands out queue offset 0 without advancing anything: PREPARED
// and ROLLBACK transaction records (spec 4.1) get no queue offset of their own.
type zeroAssigner struct{}

func (zeroAssigner) AssignQueueOffset([]byte, int32, int) int64 { return 0 }

// noQueueOffset reports whether a record with this sysflag takes no queue
// offset and gets no consume-queue entry (spec 4.1, 5.1).
func noQueueOffset(sysFlag int32) bool {
	t := sysFlag & message.SysFlagTransactionMask
	return t == message.SysFlagTransactionPrepared || t == message.SysFlagTransactionRollback
}

// validTopic reports whether topic can name a consume-queue directory (the
// consumequeue package's ErrInvalidName rules). It does not allocate.
func validTopic(topic []byte) bool {
	if len(topic) == 0 || len(topic) > 255 || string(topic) == "." || string(topic) == ".." {
		return false
	}
	for _, c := range topic {
		if c == '/' || c == '\\' || c == 0 {
			return false
		}
	}
	return true
}

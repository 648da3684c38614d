package broker

import (
	"container/heap"
	"sync"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// maxParked bounds the pulls held at once; past it a pull that finds
// nothing is answered PULL_NOT_FOUND at once (the client pulls again).
const maxParked = 100_000

// holds is the long-polling table: pulls that found nothing, parked per
// queue until the dispatcher publishes new records for that queue (notify)
// or their suspend time runs out. A parked pull costs no goroutine: one
// goroutine sleeps until the earliest deadline, and notify runs on the
// engine's dispatcher.
//
// NB: RocketMQ checks for new records before it parks a pull and parks it
// afterwards; a record dispatched in between waits for the next check, up
// to 5 s later. Here park inserts first and checks after: a record
// dispatched before the insert is seen by the check, one dispatched after
// it by notify. answered makes sure only one of them answers.
type holds struct {
	b *Broker

	mu      sync.Mutex
	byQueue map[queueKey][]*pullTask // guarded by mu
	byTime  deadlines                // guarded by mu
	n       int                      // guarded by mu
	stopped bool                     // guarded by mu

	wake chan struct{}
	quit chan struct{}
	wg   sync.WaitGroup
}

type queueKey struct {
	topic string
	qid   int32
}

func newHolds(b *Broker) *holds {
	return &holds{b: b, byQueue: make(map[queueKey][]*pullTask), wake: make(chan struct{}, 1), quit: make(chan struct{})}
}

func (h *holds) start() {
	h.wg.Add(1)
	go h.timeouts()
}

// parkWith holds t until its queue grows past t.offset or t.deadline; r
// answers it.
func (h *holds) parkWith(t *pullTask, r replier) {
	t.resp = r
	h.mu.Lock()
	if h.stopped || h.n >= maxParked {
		h.mu.Unlock()
		h.b.answerEmpty(t, t.resp, new(protocol.Command))
		return
	}
	k := queueKey{t.topic, t.qid}
	h.byQueue[k] = append(h.byQueue[k], t)
	h.n++
	heap.Push(&h.byTime, t)
	first := h.byTime[0] == t
	h.mu.Unlock()
	if first {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
	// The check after the insert: see the type's NB.
	if h.b.store.MaxOffset(t.topic, t.qid) > t.offset {
		h.notify(t.topic, t.qid, h.b.store.MaxOffset(t.topic, t.qid))
	}
}

// notify is the engine's Config.Notify: (topic, qid) has records up to
// maxOffset. It answers the pulls parked below maxOffset; those whose
// filter refused every new record are parked again. It runs on the
// dispatcher goroutine (or a parking event loop) and does not block.
func (h *holds) notify(topic string, qid int32, maxOffset int64) {
	h.mu.Lock()
	k := queueKey{topic, qid}
	list := h.byQueue[k]
	if len(list) == 0 {
		h.mu.Unlock()
		return
	}
	var ready []*pullTask
	keep := list[:0]
	for _, t := range list {
		if t.offset < maxOffset {
			ready = append(ready, t)
			heap.Remove(&h.byTime, t.idx)
			h.n--
		} else {
			keep = append(keep, t)
		}
	}
	clear(list[len(keep):])
	if len(keep) == 0 {
		delete(h.byQueue, k)
	} else {
		h.byQueue[k] = keep
	}
	h.mu.Unlock()
	for _, t := range ready {
		if t.answered.Load() {
			continue
		}
		if time.Now().After(t.deadline) {
			h.finish(t)
			continue
		}
		resp := new(protocol.Command)
		if !h.b.serve(t, t.resp, resp) {
			h.repark(t)
			continue
		}
		t.answered.Store(true)
	}
}

// repark puts back a pull whose new records its filter refused.
func (h *holds) repark(t *pullTask) {
	h.mu.Lock()
	if h.stopped {
		h.mu.Unlock()
		h.finish(t)
		return
	}
	k := queueKey{t.topic, t.qid}
	h.byQueue[k] = append(h.byQueue[k], t)
	h.n++
	heap.Push(&h.byTime, t)
	h.mu.Unlock()
}

// finish answers t with what there is now, or PULL_NOT_FOUND.
func (h *holds) finish(t *pullTask) {
	if !t.answered.CompareAndSwap(false, true) {
		return
	}
	resp := new(protocol.Command)
	if !h.b.serve(t, t.resp, resp) {
		h.b.answerEmpty(t, t.resp, resp)
	}
}

// timeouts answers the pulls whose deadline passed, sleeping until the
// earliest one.
func (h *holds) timeouts() {
	defer h.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		var expired []*pullTask
		h.mu.Lock()
		for len(h.byTime) > 0 && !h.byTime[0].deadline.After(now) {
			t := heap.Pop(&h.byTime).(*pullTask)
			h.removeFromQueueLocked(t)
			h.n--
			expired = append(expired, t)
		}
		next := time.Hour
		if len(h.byTime) > 0 {
			next = h.byTime[0].deadline.Sub(now)
		}
		h.mu.Unlock()
		for _, t := range expired {
			h.finish(t)
		}
		timer.Reset(next)
		select {
		case <-h.quit:
			return
		case <-h.wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}

func (h *holds) removeFromQueueLocked(t *pullTask) {
	k := queueKey{t.topic, t.qid}
	list := h.byQueue[k]
	for i, x := range list {
		if x == t {
			list = append(list[:i], list[i+1:]...)
			list[:len(list)+1][len(list)] = nil
			break
		}
	}
	if len(list) == 0 {
		delete(h.byQueue, k)
	} else {
		h.byQueue[k] = list
	}
}

// stop answers every parked pull and stops the timeout goroutine.
func (h *holds) stop() {
	h.mu.Lock()
	h.stopped = true
	all := make([]*pullTask, 0, h.n)
	for _, list := range h.byQueue {
		all = append(all, list...)
	}
	h.byQueue = make(map[queueKey][]*pullTask)
	h.byTime = nil
	h.n = 0
	h.mu.Unlock()
	close(h.quit)
	h.wg.Wait()
	for _, t := range all {
		h.finish(t)
	}
}

// parked returns how many pulls are held.
func (h *holds) parked() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// deadlines is a min-heap of parked pulls by deadline.
type deadlines []*pullTask

func (d deadlines) Len() int           { return len(d) }
func (d deadlines) Less(i, j int) bool { return d[i].deadline.Before(d[j].deadline) }
func (d deadlines) Swap(i, j int) {
	d[i], d[j] = d[j], d[i]
	d[i].idx, d[j].idx = i, j
}
func (d *deadlines) Push(x any) {
	t := x.(*pullTask)
	t.idx = len(*d)
	*d = append(*d, t)
}
func (d *deadlines) Pop() any {
	old := *d
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.idx = -1
	*d = old[:len(old)-1]
	return t
}

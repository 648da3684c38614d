package group

import (
	"log/slog"
	"sync"
	"time"

	"github.com/quivermq/quiver/protocol"
)

// Locks is the broker's table of message-queue locks for orderly
// consumption, LOCK_BATCH_MQ and UNLOCK_BATCH_MQ (4.9.4
// RebalanceLockManager): group -> queue -> the client id holding it and
// when it last locked it.
//
// A lock not renewed for longer than Config.LockExpiry is expired: any
// client of the group may take it, and its holder's next LockBatch takes it
// again. Locks are not released when a connection closes; they expire.
//
// It is safe for concurrent use; all methods take one mutex.
type Locks struct {
	cfg Config

	mu    sync.Mutex
	table map[string]map[protocol.MessageQueue]*lockEntry
}

type lockEntry struct {
	clientID   string
	lastUpdate time.Time
}

// NewLocks returns an empty table.
func NewLocks(cfg Config) *Locks {
	return &Locks{cfg: cfg.withDefaults(), table: make(map[string]map[protocol.MessageQueue]*lockEntry)}
}

// expired reports whether e has not been renewed for longer than the
// expiry at now (RocketMQ: strictly more than lockMaxLiveTime).
func (l *Locks) expired(e *lockEntry, now time.Time) bool {
	return now.Sub(e.lastUpdate) > l.cfg.LockExpiry
}

// LockBatch tries to lock each of mqs for clientID in group and returns
// those clientID now holds, in the order of mqs without duplicates: the
// ones it already held (renewed), free ones, and expired ones taken over.
// Queues held by another client are left out.
func (l *Locks) LockBatch(group, clientID string, mqs []protocol.MessageQueue) []protocol.MessageQueue {
	now := l.cfg.Now()
	locked := make([]protocol.MessageQueue, 0, len(mqs))
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.table[group]
	if g == nil {
		if len(mqs) == 0 {
			return locked
		}
		g = make(map[protocol.MessageQueue]*lockEntry, len(mqs))
		l.table[group] = g
	}
	var seen map[protocol.MessageQueue]struct{}
	if len(mqs) > 1 {
		seen = make(map[protocol.MessageQueue]struct{}, len(mqs))
	}
	for _, mq := range mqs {
		if seen != nil {
			if _, dup := seen[mq]; dup {
				continue
			}
			seen[mq] = struct{}{}
		}
		e := g[mq]
		switch {
		case e == nil:
			g[mq] = &lockEntry{clientID: clientID, lastUpdate: now}
		case e.clientID == clientID:
			e.lastUpdate = now
		case l.expired(e, now):
			l.cfg.Logger.Warn("group: taking over an expired queue lock", slog.String("group", group),
				slog.String("mq", mq.String()), slog.String("old", e.clientID), slog.String("new", clientID))
			e.clientID, e.lastUpdate = clientID, now
		default:
			continue // held by another client
		}
		locked = append(locked, mq)
	}
	return locked
}

// UnlockBatch releases the locks of mqs in group that clientID holds
// (expired or not); locks of other clients are left alone.
func (l *Locks) UnlockBatch(group, clientID string, mqs []protocol.MessageQueue) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.table[group]
	if g == nil {
		return
	}
	for _, mq := range mqs {
		e := g[mq]
		switch {
		case e == nil:
		case e.clientID == clientID:
			delete(g, mq)
		default:
			l.cfg.Logger.Warn("group: unlock of a queue locked by another client", slog.String("group", group),
				slog.String("mq", mq.String()), slog.String("holder", e.clientID), slog.String("client", clientID))
		}
	}
	if len(g) == 0 {
		delete(l.table, group)
	}
}

// IsLocked reports whether clientID holds an unexpired lock on mq in
// group. It does not renew the lock.
func (l *Locks) IsLocked(group string, mq protocol.MessageQueue, clientID string) bool {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.table[group][mq]
	return e != nil && e.clientID == clientID && !l.expired(e, now)
}

// Holder returns the client id holding an unexpired lock on mq in group.
func (l *Locks) Holder(group string, mq protocol.MessageQueue) (clientID string, ok bool) {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.table[group][mq]
	if e == nil || l.expired(e, now) {
		return "", false
	}
	return e.clientID, true
}

// AllExpired reports whether group holds no unexpired lock
// (isLockAllExpired).
func (l *Locks) AllExpired(group string) bool {
	now := l.cfg.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.table[group] {
		if !l.expired(e, now) {
			return false
		}
	}
	return true
}

// Expire drops the locks expired at now, to bound memory (RocketMQ keeps
// them; an expired entry behaves as a free one either way). It returns the
// number dropped.
func (l *Locks) Expire(now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for group, g := range l.table {
		for mq, e := range g {
			if l.expired(e, now) {
				delete(g, mq)
				n++
			}
		}
		if len(g) == 0 {
			delete(l.table, group)
		}
	}
	return n
}

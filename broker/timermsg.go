package broker

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/quivermq/quiver/broker/timer"
	"github.com/quivermq/quiver/broker/topics"
	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/protocol"
)

// Timer messages (RocketMQ 5's arbitrary delay). A message with
// TIMER_DELIVER_MS (absolute), TIMER_DELAY_SEC or TIMER_DELAY_MS (relative)
// or the older __STARTDELIVERTIME (absolute) due in the future is stored on
// rmq_sys_wheel_timer queue 0 with REAL_TOPIC, REAL_QID and TIMER_OUT_MS
// (the due time); a feeder goroutine adds a reference to each to the
// file-backed timing wheel (broker/timer), and the wheel's Run loop hands
// due batches back, which are appended to their real topic. A message due
// now or in the past is stored at once as an ordinary message.
//
// Restart: the wheel's durable checkpoint names the last timer-topic queue
// offset it holds; the feeder re-adds from the one after it, and the wheel
// delivers every slot that fell due while the broker was down.

const timerTopic = "rmq_sys_wheel_timer"

var timerTopicBytes = []byte(timerTopic)

// timerDue returns the delivery time a message's properties ask for.
func timerDue(props []byte, now time.Time) (due int64, ok bool, err error) {
	parse := func(key string) (int64, bool, error) {
		v, ok := message.Property(props, key)
		if !ok {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(unsafeString(v), 10, 64)
		if err != nil || n < 0 {
			return 0, true, protocol.NewError(protocol.MessageIllegal, "bad "+key+" property "+strconv.Quote(string(v)))
		}
		return n, true, nil
	}
	if n, ok, err := parse(message.PropertyTimerDeliverMS); ok || err != nil {
		return n, ok, err
	}
	if n, ok, err := parse(message.PropertyTimerDelaySec); ok || err != nil {
		return now.UnixMilli() + n*1000, ok, err
	}
	if n, ok, err := parse(message.PropertyTimerDelayMS); ok || err != nil {
		return now.UnixMilli() + n, ok, err
	}
	return parse(message.PropertyStartDeliverTime)
}

// applyTimer rewrites f for the timer topic when it asks for a delivery
// time in the future, appending the new properties to buf.
func (b *Broker) applyTimer(f *message.Fields, buf []byte) ([]byte, bool, error) {
	now := time.Now()
	due, ok, err := timerDue(f.Properties, now)
	if !ok || err != nil {
		return buf, false, err
	}
	if due <= now.UnixMilli() {
		return buf, false, nil // past due: deliver at once
	}
	if max := b.cfg.TimerMaxDelay; max > 0 && time.Duration(due-now.UnixMilli())*time.Millisecond > max {
		return buf, false, protocol.NewError(protocol.MessageIllegal,
			"timer message delivery time is more than timerMaxDelaySec ("+max.String()+") ahead")
	}
	if _, _, err := b.topics.CreateSystemIfAbsent(timerTopic, 1, topics.PermRead|topics.PermWrite); err != nil {
		return buf, false, err
	}
	var num [20]byte
	return parkOn(f, buf, timerTopicBytes, 0, message.PropertyTimerOutMS, strconv.AppendInt(num[:0], due, 10)), true, nil
}

// timerService feeds the wheel from the timer topic and delivers what falls
// due.
type timerService struct {
	b     *Broker
	wheel *timer.Wheel
	next  int64 // the next timer-topic queue offset to add (feeder only)

	wake   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func openTimerService(b *Broker) (*timerService, error) {
	cfg := timer.DefaultConfig(filepath.Join(b.cfg.StorePathRootDir, "timerwheel"))
	if b.cfg.TimerMaxDelay > 0 {
		cfg.MaxDelay = b.cfg.TimerMaxDelay
	}
	cfg.Logger = b.log
	w, err := timer.Open(cfg)
	if err != nil {
		return nil, err
	}
	ts := &timerService{b: b, wheel: w, wake: make(chan struct{}, 1)}
	ts.next = max(w.Durable().QueueOffset+1, b.store.MinOffset(timerTopic, 0))
	return ts, nil
}

func (ts *timerService) kick() {
	select {
	case ts.wake <- struct{}{}:
	default:
	}
}

func (ts *timerService) start() {
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	ts.wg.Add(2)
	go func() {
		defer ts.wg.Done()
		ts.feed(ctx)
	}()
	go func() {
		defer ts.wg.Done()
		if err := ts.wheel.Run(ctx, ts.deliver); err != nil && !errors.Is(err, context.Canceled) {
			ts.b.log.Error("timer wheel stopped; timer messages are not delivered until a restart", "err", err)
		}
	}()
}

func (ts *timerService) stop() error {
	if ts.cancel != nil {
		ts.cancel()
	}
	ts.wg.Wait()
	return ts.wheel.Close()
}

// feed adds the timer topic's new records to the wheel, in queue order.
func (ts *timerService) feed(ctx context.Context) {
	poll := time.NewTimer(time.Second)
	defer poll.Stop()
	for {
		busy := ts.feedOnce()
		wait := time.Second
		if busy {
			wait = 100 * time.Millisecond
		}
		if !poll.Stop() {
			select {
			case <-poll.C:
			default:
			}
		}
		poll.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-ts.wake:
		case <-poll.C:
		}
	}
}

// feedOnce adds what it can; it reports whether the wheel asked it to wait
// (ErrBusy) or a read failed.
func (ts *timerService) feedOnce() (busy bool) {
	b := ts.b
	for {
		res, err := b.store.GetMessages(timerTopic, 0, ts.next, 256, 4<<20, nil)
		if err != nil {
			b.log.Error("timer topic read", "err", err)
			return true
		}
		switch res.Status {
		case engine.Found:
		case engine.OffsetTooSmall, engine.OffsetFoundNull:
			b.log.Warn("timer messages skipped: not readable", "from", ts.next, "to", res.NextBeginOffset, "status", res.Status.String())
			ts.next = res.NextBeginOffset
			res.Release()
			continue
		default:
			res.Release()
			return false
		}
		for i, rec := range res.Records {
			due, _, _ := timerDue(rec.Properties(), time.Now())
			if v, ok := rec.Property(message.PropertyTimerOutMS); ok {
				due, _ = strconv.ParseInt(string(v), 10, 64)
			}
			e := timer.Entry{DeliverAtMs: due, Phys: rec.PhysicalOffset(), Size: int32(len(rec)), QueueOffset: res.QueueOffsets[i]}
			switch err := ts.wheel.Add(e); {
			case err == nil:
			case errors.Is(err, timer.ErrBusy):
				res.Release()
				return true
			case errors.Is(err, timer.ErrBeyondMaxDelay):
				// timerMaxDelaySec was lowered since it was stored: deliver
				// it now rather than never.
				b.log.Warn("timer message beyond timerMaxDelaySec delivered at once", "phys", e.Phys)
				if err := b.restoreReal(rec, message.PropertyTimerOutMS); err != nil {
					res.Release()
					return true
				}
			default:
				b.log.Error("timer wheel add", "err", err)
				res.Release()
				return true
			}
			ts.next = res.QueueOffsets[i] + 1
		}
		res.Release()
	}
}

// deliver appends each due message to its real topic.
func (ts *timerService) deliver(batch []timer.Entry) error {
	for _, e := range batch {
		rec, pin, err := ts.b.store.ReadByPhys(e.Phys)
		if err != nil {
			ts.b.log.Error("timer message not readable; dropped", "phys", e.Phys, "err", err)
			continue
		}
		err = ts.b.restoreReal(rec, message.PropertyTimerOutMS)
		pin.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

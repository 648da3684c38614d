package broker

// Runtime and configuration admin codes (4.9.4 AdminBrokerProcessor
// getBrokerRuntimeInfo, getBrokerConfig, updateBrokerConfig).

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// brokerVersionDesc is the MQVersion name of protocol.CurrentVersion.
const brokerVersionDesc = "V4_9_4"

// runtimeInfo serves GET_BROKER_RUNTIME_INFO (28): a KVTable with every
// key 4.9.4's AdminBrokerProcessor.prepareRuntimeInfo and
// DefaultMessageStore.getRuntimeInfo write, because the tools parse some
// of them without a null check (mqadmin clusterList splits putTps and
// getTransferedTps, the dashboard splits getTotalTps and parses
// msgPutTotalTodayNow; a missing key is a stack trace or an exception).
// From the engine's metrics:
//
//	brokerVersionDesc, brokerVersion   V4_9_4, 401
//	bootTimestamp, runtime             when the broker started (ms), uptime
//	commitLogDiskRatio,                used fraction (0..1) of the file
//	consumeQueueDiskRatio              system holding storePathRootDir
//	commitLogMinOffset/MaxOffset       first and next commit-log offsets
//	earliestMessageTimeStamp           store time of the first record (left
//	                                   out while the commit log is empty,
//	                                   which clusterList reads as 0 hours)
//	dispatchBehindBytes                bytes not yet in consume queues
//	putMessageTimesTotal/SizeTotal     records and bytes appended since boot
//	putMessageAverageSize              their ratio
//	msgPutTotalTodayNow                the same count (see below)
//	putTps                             "a b c": the average since boot, 3 times
//	remainHowManyDataToFlush           bytes written but not yet flushed, in
//	                                   Java's "1.5 KiB" form
//	commitLogDirCapacity               "Total : 40.0 GiB, Free : 12.1 GiB."
//	*ThreadPoolQueueCapacity           the configured (unused) capacities
//
// NB: Java's msgPutTotal*/msgGetTotal* and the *Tps values are per day
// and per 10 s/1 min/10 min window. Quiver keeps totals only:
// msgPutTotalTodayNow and msgGetTotalTodayNow are totals since boot with
// the *Morning counts 0, and each *Tps key repeats the average since boot
// three times (getTransferedTps: messages pulled; getFoundTps: pulls that
// found messages; getMissTps: pulls that did not; getTotalTps: pulls).
// Quiver has no thread-pool queues (requests are handled on the event
// loops), so the queue sizes and head wait times and
// pageCacheLockTimeMills (appends hold no page-cache lock) are 0: the keys
// are there because the tools parse them. The
// put latency keys are left out (Java omits putMessageDistributeTime
// until its first minute too).
func (a *admin) runtimeInfo(req *netio.Request) {
	m := a.store.Metrics()
	now := a.now()
	up := now.Sub(a.boot)
	ratio := strconv.FormatFloat(m.Disk.UsedRatio(), 'f', -1, 64)
	tps := 0.0
	if s := up.Seconds(); s > 0 {
		tps = float64(m.CommitLog.Appends) / s
	}
	tpsText := fmt.Sprintf("%.2f %.2f %.2f", tps, tps, tps)
	rate := func(n int64) string {
		r := 0.0
		if s := up.Seconds(); s > 0 {
			r = float64(n) / s
		}
		return fmt.Sprintf("%.2f %.2f %.2f", r, r, r)
	}
	pulls, found, got := a.count.pullRequests.Load(), a.count.pullFound.Load(), a.count.pullMessages.Load()
	avgSize := 0.0
	if m.CommitLog.Appends > 0 {
		avgSize = float64(m.CommitLog.Bytes) / float64(m.CommitLog.Appends)
	}
	t := map[string]string{
		"brokerVersionDesc":               brokerVersionDesc,
		"brokerVersion":                   strconv.Itoa(int(protocol.CurrentVersion)),
		"bootTimestamp":                   itoa(a.boot.UnixMilli()),
		"runtime":                         uptimeText(up),
		"commitLogDiskRatio":              ratio,
		"consumeQueueDiskRatio":           ratio,
		"commitLogMinOffset":              itoa(m.MinOffset),
		"commitLogMaxOffset":              itoa(m.Wrote),
		"dispatchBehindBytes":             itoa(m.DispatchLag),
		"pageCacheLockTimeMills":          "0",
		"putMessageTimesTotal":            itoa(m.CommitLog.Appends),
		"putMessageSizeTotal":             itoa(m.CommitLog.Bytes),
		"putMessageAverageSize":           strconv.FormatFloat(avgSize, 'f', -1, 64),
		"msgPutTotalYesterdayMorning":     "0",
		"msgPutTotalTodayMorning":         "0",
		"msgPutTotalTodayNow":             itoa(m.CommitLog.Appends),
		"msgGetTotalYesterdayMorning":     "0",
		"msgGetTotalTodayMorning":         "0",
		"msgGetTotalTodayNow":             itoa(got),
		"putTps":                          tpsText,
		"getFoundTps":                     rate(found),
		"getMissTps":                      rate(pulls - found),
		"getTotalTps":                     rate(pulls),
		"getTransferedTps":                rate(got),
		"remainHowManyDataToFlush":        humanBytes(uint64(max(m.Wrote-m.Flushed, 0))),
		"remainTransientStoreBufferNumbs": "2147483647", // Java's value with no transient store pool

		"sendThreadPoolQueueSize":               "0",
		"pullThreadPoolQueueSize":               "0",
		"queryThreadPoolQueueSize":              "0",
		"EndTransactionQueueSize":               "0",
		"sendThreadPoolQueueHeadWaitTimeMills":  "0",
		"pullThreadPoolQueueHeadWaitTimeMills":  "0",
		"queryThreadPoolQueueHeadWaitTimeMills": "0",
		"startAcceptSendRequestTimeStamp":       "0",
	}
	for key, confKey := range map[string]string{
		"sendThreadPoolQueueCapacity":           "sendThreadPoolQueueCapacity",
		"pullThreadPoolQueueCapacity":           "pullThreadPoolQueueCapacity",
		"queryThreadPoolQueueCapacity":          "queryThreadPoolQueueCapacity",
		"EndTransactionThreadPoolQueueCapacity": "endTransactionPoolQueueCapacity",
		"startAcceptSendRequestTimeStamp":       "startAcceptSendRequestTimeStamp",
	} {
		if v, ok := a.cfg.Value(confKey); ok {
			t[key] = v
		}
	}
	if m.Disk.Total > 0 {
		t["commitLogDirCapacity"] = fmt.Sprintf("Total : %s, Free : %s.", humanBytes(m.Disk.Total), humanBytes(m.Disk.Free))
	}
	if ts, ok := a.earliestStoreTime(m.MinOffset, m.Wrote); ok {
		t["earliestMessageTimeStamp"] = itoa(ts)
	}
	a.replyBody(req, protocol.KVTable{Table: t})
}

// earliestStoreTime returns the store time (ms) of the record at the
// commit log's first offset minOff (a segment start, so never a filler),
// and false when the log holds no record below wrote or it cannot be
// read. A read of the mapping: it does not block.
func (a *admin) earliestStoreTime(minOff, wrote int64) (int64, bool) {
	if minOff < 0 || minOff >= wrote {
		return 0, false
	}
	rec, pin, err := a.store.ReadByPhys(minOff)
	if err != nil {
		return 0, false
	}
	defer pin.Release()
	if rec.IsFiller() {
		return 0, false
	}
	return rec.StoreTimestamp(), true
}

// uptimeText formats d as Java's StoreStatsService runtime:
// "[ D days, H hours, M minutes, S seconds ]".
func uptimeText(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("[ %d days, %d hours, %d minutes, %d seconds ]", s/86400, s/3600%24, s/60%60, s%60)
}

// humanBytes formats n with binary units as Java's
// MixAll.humanReadableByteCount(n, false) does ("1.5 GiB").
func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatUint(n, 10) + " B"
	}
	div, exp := uint64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// brokerConfig serves GET_BROKER_CONFIG (26): the effective configuration
// as properties text, one key=value line per key Quiver accepts (those
// with no effect in Quiver included, with their values), and the version
// header: the configuration's data version as JSON. The configuration is
// immutable while the broker runs, so the version is that of the start.
func (a *admin) brokerConfig(req *netio.Request) {
	var sb strings.Builder
	for _, k := range conf.Keys() {
		v, ok := a.cfg.Value(k.Name)
		if !ok {
			continue
		}
		sb.WriteString(k.Name)
		sb.WriteByte('=')
		sb.WriteString(v)
		sb.WriteByte('\n')
	}
	ver, err := protocol.MarshalBody(protocol.DataVersion{Timestamp: a.boot.UnixMilli()})
	if err != nil {
		replyErr(req, err)
		return
	}
	resp := req.Response(protocol.Success)
	(&protocol.GetBrokerConfigResponseHeader{Version: string(ver)}).Encode(&resp.Ext)
	resp.Body = []byte(sb.String())
	_ = req.Reply(resp)
}

// updateBrokerConfig serves UPDATE_BROKER_CONFIG (25) by refusing it
// (NO_PERMISSION).
//
// NB: Java applies any key sent and rewrites broker.conf, which lets a
// remote caller change storage paths and other settings the running
// broker has already acted on (and has been the vector of remote-code
// execution in 4.x/5.x brokers). Quiver's Config is immutable after start;
// operators edit broker.conf and restart.
func (a *admin) updateBrokerConfig(req *netio.Request) {
	a.log.Warn("UPDATE_BROKER_CONFIG refused", "from", req.RemoteAddr().String())
	_ = req.ReplyCode(protocol.NoPermission, "updating the broker configuration at runtime is not supported: edit broker.conf and restart the broker")
}

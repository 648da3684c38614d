package conf

import (
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quivermq/quiver/engine"
)

const ms = time.Millisecond

// table is every accepted key, in the order Print writes them: Quiver's
// fields first, grouped as Config is, then the keys without a field. The
// defaults are RocketMQ 4.9.4's (BrokerConfig, MessageStoreConfig,
// NettyServerConfig, NettyClientConfig, BrokerStartup). It is never
// modified after package initialization.
var table = []key{
	// identity
	fStr("brokerClusterName", "DefaultCluster", Acted, func(c *Config) *string { return &c.BrokerClusterName }, "Cluster the broker registers in."),
	withHost(fStr("brokerName", "", Acted, func(c *Config) *string { return &c.BrokerName }, "Broker (master/slave set) name."),
		func(h Host) string { return h.Name }, "host name"),
	fLong("brokerId", "0", Acted, func(c *Config) *int64 { return &c.BrokerID }, "0 for a master (forced for ASYNC_MASTER and SYNC_MASTER); > 0 for a SLAVE."),
	{name: "brokerRole", kind: kindEnum, def: "ASYNC_MASTER", effect: Acted,
		help: "ASYNC_MASTER, SYNC_MASTER or SLAVE.",
		set: func(c *Config, v string) error {
			for r := AsyncMaster; r <= Slave; r++ {
				if v == r.String() {
					c.BrokerRole = r
					return nil
				}
			}
			return errors.New("ASYNC_MASTER, SYNC_MASTER or SLAVE (upper case)")
		},
		get: func(c *Config) string { return c.BrokerRole.String() }},

	// network
	fInt("listenPort", "10911", Acted, func(c *Config) *int { return &c.ListenPort }, "Remoting port (RocketMQ's BrokerStartup sets 10911 before reading the file)."),
	withNote(fInt("haListenPort", "10912", Acted, func(c *Config) *int { return &c.HAListenPort }, "Always listenPort+1, as BrokerStartup sets it; a value in the file is ignored with a warning."),
		"listenPort+1"),
	{name: "namesrvAddr", kind: kindString, def: "", effect: Acted,
		help: "Name servers, host:port;host:port. NAMESRV_ADDR and -n replace it.",
		set: func(c *Config, v string) error {
			a, err := parseAddrList(v)
			if err == nil {
				c.NamesrvAddr = a
			}
			return err
		},
		get: func(c *Config) string { return c.NamesrvAddrString() }},
	withHost(fStr("brokerIP1", "", Acted, func(c *Config) *string { return &c.BrokerIP1 }, "Address given to clients (brokerAddr = brokerIP1:listenPort)."),
		func(h Host) string { return h.IPv4 }, "first non-loopback IPv4 of the host, else 127.0.0.1"),
	withHost(fStr("brokerIP2", "", Acted, func(c *Config) *string { return &c.BrokerIP2 }, "Host of the HA address."),
		func(h Host) string { return h.IPv4 }, "brokerIP1"),
	fDur("serverChannelMaxIdleTimeSeconds", "120", time.Second, 32, Acted, func(c *Config) *time.Duration { return &c.ServerChannelMaxIdleTime }, "Client connections idle this long (seconds) are closed; 0 disables."),
	fInt("serverSocketSndBufSize", "0", Acted, func(c *Config) *int { return &c.ServerSocketSndBufSize }, "SO_SNDBUF of client connections in bytes; 0 is the kernel's default."),
	fInt("serverSocketRcvBufSize", "0", Acted, func(c *Config) *int { return &c.ServerSocketRcvBufSize }, "SO_RCVBUF of client connections in bytes; 0 is the kernel's default."),
	fDur("clientChannelMaxIdleTimeSeconds", "120", time.Second, 32, NoEffect, func(c *Config) *time.Duration { return &c.ClientChannelMaxIdleTime }, "Idle limit (seconds) of the broker's own connections to name servers."),
	{name: "adminListenAddr", kind: kindString, def: "", effect: Acted,
		help: "Quiver: host:port of the admin/metrics HTTP endpoint; empty is off.",
		set: func(c *Config, v string) error {
			if v != "" {
				if err := checkHostPort(v, true); err != nil {
					return wantf("host:port or empty (%v)", err)
				}
			}
			c.AdminListenAddr = v
			return nil
		},
		get: func(c *Config) string { return c.AdminListenAddr }},
	{name: "logLevel", kind: kindEnum, def: "info", effect: Acted,
		help: "Quiver: log level, debug, info, warn or error.",
		set: func(c *Config, v string) error {
			var l slog.Level
			if err := l.UnmarshalText([]byte(v)); err != nil {
				return errors.New("debug, info, warn or error")
			}
			c.LogLevel = l
			return nil
		},
		get: func(c *Config) string { return strings.ToLower(c.LogLevel.String()) }},

	{name: "commitLogWriteMode", kind: kindEnum, def: "auto", effect: Acted,
		help: "Quiver: how appends reach the commit log, pwrite (a write per append or per SYNC_FLUSH round), mapped (stores into the mapping) or auto (mapped under ASYNC_FLUSH, pwrite under SYNC_FLUSH; see BENCHMARKS.md).",
		set: func(c *Config, v string) error {
			switch v {
			case "auto", "pwrite", "mapped":
				c.CommitLogWriteMode = v
				return nil
			}
			return errors.New("auto, pwrite or mapped")
		},
		get: func(c *Config) string { return c.CommitLogWriteMode }},

	withHost(key{name: "commitLogCacheWindow", kind: kindLong, effect: Acted,
		help: "Quiver: bytes of the commit log behind the flushed end kept in the page cache; older flushed data is released, and read from the disk again if asked for. 0 leaves the page cache to the kernel.",
		set: func(c *Config, v string) error {
			n, err := parseInt(v, 64)
			if err == nil && n < 0 {
				err = errors.New("a byte count, 0 or more")
			}
			if err == nil {
				c.CommitLogCacheWindow = n
			}
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(c.CommitLogCacheWindow, 10) }},
		func(h Host) string {
			if h.FreePageReporting {
				return "1073741824"
			}
			return "0"
		}, "1073741824 (1 GiB) on a VM whose free memory goes back to the host (virtio-balloon free page reporting), else 0"),

	// store
	withHost(fStr("storePathRootDir", "", Acted, func(c *Config) *string { return &c.StorePathRootDir }, "Store root: commitlog/, consumequeue/, index/, config/, checkpoint, abort, lock."),
		func(h Host) string { return filepath.Join(h.Home, "store") }, "~/store"),
	withNote(fStr("storePathCommitLog", "", Acted, func(c *Config) *string { return &c.StorePathCommitLog }, "Must be storePathRootDir/commitlog (the default) in Quiver."),
		"storePathRootDir/commitlog"),
	withAliases(fInt("mappedFileSizeCommitLog", "1073741824", Acted, func(c *Config) *int { return &c.MappedFileSizeCommitLog }, "Commit-log segment size in bytes, a multiple of 4096 in Quiver."),
		"mapedFileSizeCommitLog"),
	withAliases(fInt("mappedFileSizeConsumeQueue", "6000000", Acted, func(c *Config) *int { return &c.MappedFileSizeConsumeQueue }, "Consume-queue file size in bytes, rounded up to a multiple of 20."),
		"mapedFileSizeConsumeQueue"),
	{name: "flushDiskType", kind: kindEnum, def: "ASYNC_FLUSH", effect: Acted,
		help: "ASYNC_FLUSH or SYNC_FLUSH (group commit).",
		set: func(c *Config, v string) error {
			switch v {
			case "ASYNC_FLUSH":
				c.FlushDiskType = AsyncFlush
			case "SYNC_FLUSH":
				c.FlushDiskType = SyncFlush
			default:
				return errors.New("ASYNC_FLUSH or SYNC_FLUSH (upper case)")
			}
			return nil
		},
		get: func(c *Config) string { return c.FlushDiskType.String() }},
	fDur("syncFlushTimeout", "5000", ms, 32, Acted, func(c *Config) *time.Duration { return &c.SyncFlushTimeout }, "SYNC_FLUSH: longest wait (ms) before FLUSH_DISK_TIMEOUT."),
	fDur("flushIntervalCommitLog", "500", ms, 32, Acted, func(c *Config) *time.Duration { return &c.FlushIntervalCommitLog }, "ASYNC_FLUSH: flush period (ms)."),
	fInt("flushCommitLogLeastPages", "4", Acted, func(c *Config) *int { return &c.FlushCommitLogLeastPages }, "ASYNC_FLUSH: flush early once this many 4 KiB pages are dirty."),
	fDur("flushCommitLogThoroughInterval", "10000", ms, 32, NoEffect, func(c *Config) *time.Duration { return &c.FlushCommitLogThoroughInterval }, "Longest (ms) RocketMQ leaves fewer than the least pages unflushed; Quiver flushes every flushIntervalCommitLog."),
	fDur("flushIntervalConsumeQueue", "1000", ms, 32, Acted, func(c *Config) *time.Duration { return &c.FlushIntervalConsumeQueue }, "Consume-queue/index sync and checkpoint period (ms)."),
	fDur("cleanResourceInterval", "10000", ms, 32, Acted, func(c *Config) *time.Duration { return &c.CleanResourceInterval }, "Retention check period (ms)."),
	fInt("fileReservedTime", "72", Acted, func(c *Config) *int { return &c.FileReservedTime }, "Hours a sealed commit-log segment is kept."),
	{name: "deleteWhen", kind: kindEnum, def: "04", effect: Acted,
		help: "Hours of the day when expired files are deleted, ';'-separated (04;16).",
		set: func(c *Config, v string) error {
			hours, err := engine.ParseDeleteWhen(v)
			if err != nil {
				return errors.New("';'-separated hours 0..23, such as 04 or 04;16")
			}
			c.DeleteWhen, c.DeleteHours = v, nil
			for h, on := range hours {
				if on {
					c.DeleteHours = append(c.DeleteHours, h)
				}
			}
			return nil
		},
		get: func(c *Config) string { return c.DeleteWhen }},
	fInt("diskMaxUsedSpaceRatio", "75", Acted, func(c *Config) *int { return &c.DiskMaxUsedSpaceRatio }, "Disk usage (percent) that triggers deletion regardless of deleteWhen; clamped to 10..95 as RocketMQ does."),
	fBool("messageIndexEnable", "true", Acted, func(c *Config) *bool { return &c.MessageIndexEnable }, "Build the key index (QUERY_MESSAGE by key)."),
	fInt("maxHashSlotNum", "5000000", Acted, func(c *Config) *int { return &c.MaxHashSlotNum }, "Hash slots per index file."),
	fInt("maxIndexNum", "20000000", Acted, func(c *Config) *int { return &c.MaxIndexNum }, "Entries per index file."),
	fInt("maxMessageSize", "4194304", Acted, func(c *Config) *int { return &c.MaxMessageSize }, "Largest message body in bytes; larger sends get MESSAGE_ILLEGAL."),

	// topics and groups
	fBool("autoCreateTopicEnable", "true", Acted, func(c *Config) *bool { return &c.AutoCreateTopicEnable }, "Create TBW102 so that unknown topics are created on first send."),
	fBool("autoCreateSubscriptionGroup", "true", Acted, func(c *Config) *bool { return &c.AutoCreateSubscriptionGroup }, "Create subscription groups on first use."),
	fInt("defaultTopicQueueNums", "8", Acted, func(c *Config) *int { return &c.DefaultTopicQueueNums }, "Queue count of TBW102 (1..1024)."),
	fBool("clusterTopicEnable", "true", Acted, func(c *Config) *bool { return &c.ClusterTopicEnable }, "The cluster-name topic is writable."),
	fBool("brokerTopicEnable", "true", Acted, func(c *Config) *bool { return &c.BrokerTopicEnable }, "The broker-name topic is writable."),
	fInt("brokerPermission", "6", Acted, func(c *Config) *int { return &c.BrokerPermission }, "Broker permission bits: 4 read, 2 write, 1 inherit."),

	// messages, delay, filters
	{name: "messageDelayLevel", kind: kindEnum, def: "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h", effect: Acted,
		help: "Delay of each level, space-separated, units s, m, h, d.",
		set: func(c *Config, v string) error {
			lv, err := ParseDelayLevels(v)
			if err != nil {
				return wantf("space-separated durations with unit s, m, h or d, such as \"1s 5s 1m 2h\" (%v)", err)
			}
			c.MessageDelayLevel, c.DelayLevels = v, lv
			return nil
		},
		get: func(c *Config) string { return c.MessageDelayLevel }},
	fDur("timerMaxDelaySec", "259200", time.Second, 32, Acted, func(c *Config) *time.Duration { return &c.TimerMaxDelay }, "RocketMQ 5.x: longest delay (seconds) of a timer message."),
	fBool("enablePropertyFilter", "false", Acted, func(c *Config) *bool { return &c.EnablePropertyFilter }, "Allow SQL92 subscriptions."),
	fBool("filterSupportRetry", "false", Acted, func(c *Config) *bool { return &c.FilterSupportRetry }, "Apply SQL92 filters to retry topics too."),
	fBool("enableCalcFilterBitMap", "false", NoEffect, func(c *Config) *bool { return &c.EnableCalcFilterBitMap }, "Bloom-filter bit maps in the consume-queue extension (not in Quiver)."),

	// transactions
	fDur("transactionTimeOut", "6000", ms, 64, Acted, func(c *Config) *time.Duration { return &c.TransactionTimeOut }, "Age (ms) before a half message is first checked."),
	fInt("transactionCheckMax", "15", Acted, func(c *Config) *int { return &c.TransactionCheckMax }, "Checks before a half message is discarded."),
	fDur("transactionCheckInterval", "60000", ms, 64, Acted, func(c *Config) *time.Duration { return &c.TransactionCheckInterval }, "Transaction check period (ms)."),
	fBool("rejectTransactionMessage", "false", Acted, func(c *Config) *bool { return &c.RejectTransactionMessage }, "Refuse transactional (half) messages."),

	// pull and query
	fBool("longPollingEnable", "true", Acted, func(c *Config) *bool { return &c.LongPollingEnable }, "Hold pulls that find nothing until a message arrives."),
	fDur("shortPollingTimeMills", "1000", ms, 64, Acted, func(c *Config) *time.Duration { return &c.ShortPollingTime }, "Hold time (ms) of a pull when long polling is off."),
	fBool("notifyConsumerIdsChangedEnable", "true", Acted, func(c *Config) *bool { return &c.NotifyConsumerIdsChangedEnable }, "Tell consumers when their group's membership changes."),
	fBool("slaveReadEnable", "false", Acted, func(c *Config) *bool { return &c.SlaveReadEnable }, "A slave serves pulls."),
	fInt("maxTransferBytesOnMessageInMemory", "262144", Acted, func(c *Config) *int { return &c.MaxTransferBytesOnMessageInMemory }, "Bytes per pull reply when the data is in memory."),
	fInt("maxTransferCountOnMessageInMemory", "32", Acted, func(c *Config) *int { return &c.MaxTransferCountOnMessageInMemory }, "Messages per pull reply when the data is in memory."),
	fInt("maxTransferBytesOnMessageInDisk", "65536", Acted, func(c *Config) *int { return &c.MaxTransferBytesOnMessageInDisk }, "Bytes per pull reply when the data is on disk."),
	fInt("maxTransferCountOnMessageInDisk", "8", Acted, func(c *Config) *int { return &c.MaxTransferCountOnMessageInDisk }, "Messages per pull reply when the data is on disk."),
	fInt("defaultQueryMaxNum", "32", Acted, func(c *Config) *int { return &c.DefaultQueryMaxNum }, "Most messages a QUERY_MESSAGE returns."),
	fDur("flushConsumerOffsetInterval", "5000", ms, 32, Acted, func(c *Config) *time.Duration { return &c.FlushConsumerOffsetInterval }, "Consumer-offset persist period (ms)."),

	// registration
	fDur("registerNameServerPeriod", "30000", ms, 32, Acted, func(c *Config) *time.Duration { return &c.RegisterNameServerPeriod }, "REGISTER_BROKER period (ms), clamped to 10000..60000 as RocketMQ does."),
	fDur("registerBrokerTimeoutMills", "6000", ms, 32, Acted, func(c *Config) *time.Duration { return &c.RegisterBrokerTimeout }, "REGISTER_BROKER timeout (ms)."),
	fBool("forceRegister", "true", Acted, func(c *Config) *bool { return &c.ForceRegister }, "Register even when the topic config did not change."),
	fBool("compressedRegister", "false", Acted, func(c *Config) *bool { return &c.CompressedRegister }, "Compress the REGISTER_BROKER body."),

	// master/slave
	fDur("haSendHeartbeatInterval", "5000", ms, 32, NoEffect, func(c *Config) *time.Duration { return &c.HASendHeartbeatInterval }, "HA heartbeat period (ms); replication is not built yet."),
	fDur("haHousekeepingInterval", "20000", ms, 32, NoEffect, func(c *Config) *time.Duration { return &c.HAHousekeepingInterval }, "HA idle timeout (ms); replication is not built yet."),
	fInt("haTransferBatchSize", "32768", NoEffect, func(c *Config) *int { return &c.HATransferBatchSize }, "HA chunk size (bytes); replication is not built yet."),
	fInt("haSlaveFallbehindMax", "268435456", NoEffect, func(c *Config) *int { return &c.HASlaveFallbehindMax }, "SYNC_MASTER: largest slave lag (bytes); replication is not built yet."),
	fStr("haMasterAddress", "", NoEffect, func(c *Config) *string { return &c.HAMasterAddress }, "Master HA address for a slave; replication is not built yet."),
	fDur("slaveTimeout", "3000", ms, 32, NoEffect, func(c *Config) *time.Duration { return &c.SlaveTimeout }, "SYNC_MASTER: wait (ms) for the slave; replication is not built yet."),

	// trace, region, ACL
	fBool("traceTopicEnable", "false", Acted, func(c *Config) *bool { return &c.TraceTopicEnable }, "Create the trace topic msgTraceTopicName."),
	fStr("msgTraceTopicName", "RMQ_SYS_TRACE_TOPIC", Acted, func(c *Config) *string { return &c.MsgTraceTopicName }, "Trace topic name."),
	fBool("traceOn", "true", Acted, func(c *Config) *bool { return &c.TraceOn }, "Echoed as TRACE_ON in SEND replies."),
	fStr("regionId", "DefaultRegion", Acted, func(c *Config) *string { return &c.RegionID }, "Echoed as MSG_REGION in SEND replies."),
	fBool("aclEnable", "false", Acted, func(c *Config) *bool { return &c.ACLEnable }, "Plain ACL (the broker must refuse to start with it set if it cannot enforce it)."),

	// RocketMQ 4.9.4 keys with no field: accepted, no effect in Quiver.
	passive("rocketmqHome", kindString, "", "RocketMQ's install dir (Java reads ROCKETMQ_HOME)."),
	passive("messageStorePlugIn", kindString, "", "Java store plug-ins; a non-empty value is refused."),
	withHost(passive("sendMessageThreadPoolNums", kindInt, "", "Thread pool size."), func(h Host) string { return itoa(min(cpus(h), 4)) }, "min(CPUs, 4)"),
	withHost(passive("putMessageFutureThreadPoolNums", kindInt, "", "Thread pool size."), func(h Host) string { return itoa(min(cpus(h), 4)) }, "min(CPUs, 4)"),
	withHost(passive("pullMessageThreadPoolNums", kindInt, "", "Thread pool size."), func(h Host) string { return itoa(16 + 2*cpus(h)) }, "16 + 2*CPUs"),
	withHost(passive("processReplyMessageThreadPoolNums", kindInt, "", "Thread pool size."), func(h Host) string { return itoa(16 + 2*cpus(h)) }, "16 + 2*CPUs"),
	withHost(passive("queryMessageThreadPoolNums", kindInt, "", "Thread pool size."), func(h Host) string { return itoa(8 + cpus(h)) }, "8 + CPUs"),
	passive("adminBrokerThreadPoolNums", kindInt, "16", "Thread pool size."),
	passive("clientManageThreadPoolNums", kindInt, "32", "Thread pool size."),
	passive("consumerManageThreadPoolNums", kindInt, "32", "Thread pool size."),
	withHost(passive("heartbeatThreadPoolNums", kindInt, "", "Thread pool size."), func(h Host) string { return itoa(min(32, cpus(h))) }, "min(32, CPUs)"),
	withHost(passive("endTransactionThreadPoolNums", kindInt, "", "Thread pool size."), func(h Host) string { return itoa(max(8+2*cpus(h), 4*min(cpus(h), 4))) }, "max(8 + 2*CPUs, 4*sendMessageThreadPoolNums)"),
	passive("flushConsumerOffsetHistoryInterval", kindInt, "60000", "Java-only history of offsets (ms)."),
	passive("fetchNamesrvAddrByAddressServer", kindBool, "false", "Java fetches name servers from an HTTP address server; Quiver uses namesrvAddr."),
	passive("sendThreadPoolQueueCapacity", kindInt, "10000", "Thread pool queue capacity."),
	passive("putThreadPoolQueueCapacity", kindInt, "10000", "Thread pool queue capacity."),
	passive("pullThreadPoolQueueCapacity", kindInt, "100000", "Thread pool queue capacity."),
	passive("replyThreadPoolQueueCapacity", kindInt, "10000", "Thread pool queue capacity."),
	passive("queryThreadPoolQueueCapacity", kindInt, "20000", "Thread pool queue capacity."),
	passive("clientManagerThreadPoolQueueCapacity", kindInt, "1000000", "Thread pool queue capacity."),
	passive("consumerManagerThreadPoolQueueCapacity", kindInt, "1000000", "Thread pool queue capacity."),
	passive("heartbeatThreadPoolQueueCapacity", kindInt, "50000", "Thread pool queue capacity."),
	passive("endTransactionPoolQueueCapacity", kindInt, "100000", "Thread pool queue capacity."),
	passive("filterServerNums", kindInt, "0", "Filter servers (removed from RocketMQ)."),
	passive("highSpeedMode", kindBool, "false", "Unused by RocketMQ too."),
	passive("commercialEnable", kindBool, "true", "Commercial statistics."),
	passive("commercialTimerCount", kindInt, "1", "Commercial statistics."),
	passive("commercialTransCount", kindInt, "1", "Commercial statistics."),
	passive("commercialBigCount", kindInt, "1", "Commercial statistics."),
	passive("commercialBaseCount", kindInt, "1", "Commercial statistics."),
	passive("transferMsgByHeap", kindBool, "true", "Java heap copy of pull replies; Quiver always writes from the mapping."),
	passive("maxDelayTime", kindInt, "40", "Java-only."),
	passive("disableConsumeIfConsumerReadSlowly", kindBool, "false", "Java-only consumer throttling."),
	passive("consumerFallbehindThreshold", kindLong, "17179869184", "Java-only consumer throttling (bytes)."),
	passive("brokerFastFailureEnable", kindBool, "true", "Java thread-pool fast failure; Quiver bounds its queues instead."),
	passive("waitTimeMillsInSendQueue", kindLong, "200", "Java thread-pool queue wait (ms)."),
	passive("waitTimeMillsInPullQueue", kindLong, "5000", "Java thread-pool queue wait (ms)."),
	passive("waitTimeMillsInHeartbeatQueue", kindLong, "31000", "Java thread-pool queue wait (ms)."),
	passive("waitTimeMillsInTransactionQueue", kindLong, "3000", "Java thread-pool queue wait (ms)."),
	passive("startAcceptSendRequestTimeStamp", kindLong, "0", "Java-only."),
	passive("expectConsumerNumUseFilter", kindInt, "32", "Bloom-filter sizing (consume-queue extension)."),
	passive("maxErrorRateOfBloomFilter", kindInt, "20", "Bloom-filter sizing (consume-queue extension)."),
	passive("filterDataCleanTimeSpan", kindLong, "86400000", "Filter data retention (ms)."),
	passive("storeReplyMessageEnable", kindBool, "true", "Java-only."),
	passive("enableDetailStat", kindBool, "true", "Java statistics."),
	passive("autoDeleteUnusedStats", kindBool, "false", "Java statistics."),
	passive("isolateLogEnable", kindBool, "false", "Java log directory per broker."),
	passive("storePathDLedgerCommitLog", kindString, "", "DLedger commit log (not supported)."),
	passive("readOnlyCommitLogStorePaths", kindString, "", "Extra read-only commit-log paths; a non-empty value is refused."),
	passive("enableConsumeQueueExt", kindBool, "false", "Consume-queue extension (not in Quiver)."),
	passive("mappedFileSizeConsumeQueueExt", kindInt, "50331648", "Consume-queue extension file size."),
	passive("bitMapLengthConsumeQueueExt", kindInt, "64", "Consume-queue extension bit map length."),
	passive("commitIntervalCommitLog", kindInt, "200", "Transient store pool commit period (ms)."),
	passive("useReentrantLockWhenPutMessage", kindBool, "true", "Java lock choice."),
	passive("flushCommitLogTimed", kindBool, "true", "Java flusher sleep style."),
	passive("deleteCommitLogFilesInterval", kindInt, "100", "Java pause between deletions (ms)."),
	passive("deleteConsumeQueueFilesInterval", kindInt, "100", "Java pause between deletions (ms)."),
	passive("destroyMapedFileIntervalForcibly", kindInt, "120000", "Java forced unmap delay (ms); Quiver unmaps when readers release."),
	passive("redeleteHangedFileInterval", kindInt, "120000", "Java retry of hung deletions (ms)."),
	passive("putMsgIndexHightWater", kindInt, "600000", "Java dispatch flow control."),
	passive("checkCRCOnRecover", kindBool, "true", "Quiver always checks CRCs on recovery."),
	passive("commitCommitLogLeastPages", kindInt, "4", "Transient store pool."),
	passive("flushLeastPagesWhenWarmMapedFile", kindInt, "4096", "Java warm-up flush."),
	passive("flushConsumeQueueLeastPages", kindInt, "2", "Java consume-queue flush."),
	passive("commitCommitLogThoroughInterval", kindInt, "200", "Transient store pool."),
	passive("flushConsumeQueueThoroughInterval", kindInt, "60000", "Java consume-queue flush (ms)."),
	passive("accessMessageInMemoryMaxRatio", kindInt, "40", "Suggests pulling from the slave; no slave yet."),
	passive("maxMsgsNumBatch", kindInt, "64", "Java index query batch."),
	passive("messageIndexSafe", kindBool, "false", "Java index recovery mode; Quiver's index recovery is always safe."),
	passive("offsetCheckInSlave", kindBool, "false", "Slave offset checks; no slave yet."),
	passive("flushDelayOffsetInterval", kindLong, "10000", "Java delay-offset persist period (ms)."),
	passive("cleanFileForciblyEnable", kindBool, "true", "Quiver always deletes under disk pressure."),
	passive("warmMapedFileEnable", kindBool, "false", "Quiver always warms new segments."),
	passive("debugLockEnable", kindBool, "false", "Java-only."),
	passive("duplicationEnable", kindBool, "false", "Java-only."),
	passive("diskFallRecorded", kindBool, "true", "Java statistics."),
	passive("osPageCacheBusyTimeOutMills", kindLong, "1000", "Java page-cache busy check (ms)."),
	passive("transientStorePoolEnable", kindBool, "false", "Java off-heap write buffers."),
	passive("transientStorePoolSize", kindInt, "5", "Java off-heap write buffers."),
	passive("fastFailIfNoBufferInStorePool", kindBool, "false", "Java off-heap write buffers."),
	passive("enableDLegerCommitLog", kindBool, "false", "DLedger commit log; true is refused (not supported)."),
	passive("dLegerGroup", kindString, "", "DLedger (not supported)."),
	passive("dLegerPeers", kindString, "", "DLedger (not supported)."),
	passive("dLegerSelfId", kindString, "", "DLedger (not supported)."),
	passive("preferredLeaderId", kindString, "", "DLedger (not supported)."),
	passive("enableBatchPush", kindBool, "false", "DLedger (not supported)."),
	passive("enableScheduleMessageStats", kindBool, "true", "Java statistics."),
	passive("enableLmq", kindBool, "false", "Light message queues (not supported)."),
	passive("enableMultiDispatch", kindBool, "false", "Light message queues (not supported)."),
	passive("maxLmqConsumeQueueNum", kindInt, "20000", "Light message queues (not supported)."),
	passive("enableScheduleAsyncDeliver", kindBool, "false", "Java scheduler delivery style."),
	passive("scheduleAsyncDeliverMaxPendingLimit", kindInt, "2000", "Java scheduler delivery style."),
	passive("scheduleAsyncDeliverMaxResendNum2Blocked", kindInt, "3", "Java scheduler delivery style."),
	passive("serverWorkerThreads", kindInt, "8", "Netty."),
	passive("serverCallbackExecutorThreads", kindInt, "0", "Netty."),
	passive("serverSelectorThreads", kindInt, "3", "Netty."),
	passive("serverOnewaySemaphoreValue", kindInt, "256", "Netty."),
	passive("serverAsyncSemaphoreValue", kindInt, "64", "Netty."),
	passive("serverSocketBacklog", kindInt, "1024", "Netty."),
	passive("serverPooledByteBufAllocatorEnable", kindBool, "true", "Netty."),
	passive("useEpollNativeSelector", kindBool, "false", "Netty."),
	passive("writeBufferHighWaterMark", kindInt, "0", "Netty."),
	passive("writeBufferLowWaterMark", kindInt, "0", "Netty."),
	passive("clientWorkerThreads", kindInt, "4", "Netty client."),
	withHost(passive("clientCallbackExecutorThreads", kindInt, "", "Netty client."), func(h Host) string { return itoa(cpus(h)) }, "CPUs"),
	passive("clientOnewaySemaphoreValue", kindInt, "65535", "Netty client."),
	passive("clientAsyncSemaphoreValue", kindInt, "65535", "Netty client."),
	passive("connectTimeoutMillis", kindInt, "3000", "Netty client connect timeout (ms)."),
	passive("channelNotActiveInterval", kindLong, "60000", "Netty client."),
	passive("clientSocketSndBufSize", kindInt, "0", "Netty client."),
	passive("clientSocketRcvBufSize", kindInt, "0", "Netty client."),
	passive("clientPooledByteBufAllocatorEnable", kindBool, "false", "Netty client."),
	passive("clientCloseSocketIfTimeout", kindBool, "true", "Netty client."),
	passive("useTLS", kindBool, "false", "TLS to name servers (not supported)."),
	passive("autoMessageVersionOnTopicLen", kindBool, "true", "RocketMQ 5.x: store long topic names with message version 2."),
	passive("rmqAddressServerDomain", kindString, "jmenv.tbsite.net", "Address server (fetchNamesrvAddrByAddressServer)."),
	passive("rmqAddressServerSubGroup", kindString, "nsaddr", "Address server (fetchNamesrvAddrByAddressServer)."),

	// Not RocketMQ 4.9 keys, but common in copied files; RocketMQ ignores
	// them silently (paths derive from storePathRootDir).
	legacyKey("storePathConsumeQueue", "Not a RocketMQ key (ignored by RocketMQ too): the path is storePathRootDir/consumequeue."),
	legacyKey("storePathIndex", "Not a RocketMQ key (ignored by RocketMQ too): the path is storePathRootDir/index."),
	legacyKey("storeCheckpoint", "Not a RocketMQ key (ignored by RocketMQ too): the path is storePathRootDir/checkpoint."),
	legacyKey("abortFile", "Not a RocketMQ key (ignored by RocketMQ too): the path is storePathRootDir/abort."),
	legacyKey("checkTransactionMessageEnable", "Not a RocketMQ 4.x key (ignored by RocketMQ too)."),
}

func withAliases(k key, aliases ...string) key {
	k.aliases = aliases
	return k
}

// parseAddrList parses namesrvAddr: host:port entries separated by ';'
// (blanks around entries and empty entries are ignored).
func parseAddrList(v string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(v, ";") {
		a := strings.TrimSpace(part)
		if a == "" {
			continue
		}
		if err := checkHostPort(a, false); err != nil {
			return nil, wantf("host:port;host:port (%q: %v)", a, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// checkHostPort checks host:port with a numeric port 1..65535 (0 too when
// zeroOK) and, unless zeroOK, a non-empty host.
func checkHostPort(a string, zeroOK bool) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return errors.New("not host:port")
	}
	if host == "" && !zeroOK {
		return errors.New("no host")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 || (p == 0 && !zeroOK) {
		return errors.New("port not 1..65535")
	}
	return nil
}

// ParseDelayLevels parses a messageDelayLevel value: durations separated
// by blanks, each a positive integer and a unit s, m, h or d ("1s 5s 1m
// 2h"). Level i+1 is element i.
func ParseDelayLevels(s string) ([]time.Duration, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil, errors.New("no level")
	}
	out := make([]time.Duration, 0, len(fields))
	for _, f := range fields {
		var unit time.Duration
		switch f[len(f)-1] {
		case 's':
			unit = time.Second
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		default:
			return nil, wantf("level %q has no unit s, m, h or d", f)
		}
		n, err := strconv.ParseInt(f[:len(f)-1], 10, 64)
		if err != nil || n <= 0 || n > int64(1<<62)/int64(unit) {
			return nil, wantf("level %q is not a positive count", f)
		}
		out = append(out, time.Duration(n)*unit)
	}
	return out, nil
}

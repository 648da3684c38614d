package conf

import (
	"log/slog"
	"strings"
	"time"
)

// Role is brokerRole.
type Role uint8

// The broker roles of RocketMQ's BrokerRole enum.
const (
	AsyncMaster Role = iota + 1 // ASYNC_MASTER: replies do not wait for the slave
	SyncMaster                  // SYNC_MASTER: replies wait for the slave (slaveTimeout)
	Slave                       // SLAVE: replicates a master; brokerId > 0
)

var roleNames = [...]string{AsyncMaster: "ASYNC_MASTER", SyncMaster: "SYNC_MASTER", Slave: "SLAVE"}

// String returns the broker.conf spelling.
func (r Role) String() string {
	if r >= AsyncMaster && r <= Slave {
		return roleNames[r]
	}
	return "Role(?)"
}

// IsMaster reports ASYNC_MASTER or SYNC_MASTER.
func (r Role) IsMaster() bool { return r == AsyncMaster || r == SyncMaster }

// FlushDiskType is flushDiskType.
type FlushDiskType uint8

// RocketMQ's FlushDiskType enum.
const (
	AsyncFlush FlushDiskType = iota + 1 // ASYNC_FLUSH: acknowledge, flush in the background
	SyncFlush                           // SYNC_FLUSH: acknowledge after group commit
)

// String returns the broker.conf spelling.
func (f FlushDiskType) String() string {
	switch f {
	case AsyncFlush:
		return "ASYNC_FLUSH"
	case SyncFlush:
		return "SYNC_FLUSH"
	}
	return "FlushDiskType(?)"
}

// Config is the broker's configuration: RocketMQ 4.9 broker.conf keys
// (BrokerConfig, MessageStoreConfig, NettyServerConfig, NettyClientConfig)
// plus Quiver's own. Each field's doc names its key, unit and RocketMQ
// default; the authoritative list, with the keys that have no field
// (accepted, no effect in Quiver), is Keys().
//
// A Config comes from Load or Loader.Load, which fill defaults, apply the
// file, the environment and the overrides, derive and validate. It is
// immutable afterwards and safe for concurrent reads.
type Config struct {
	// --- identity ---

	// BrokerClusterName (brokerClusterName), default "DefaultCluster".
	BrokerClusterName string
	// BrokerName (brokerName), default the host name.
	BrokerName string
	// BrokerID (brokerId): 0 for a master (forced), > 0 for a slave.
	BrokerID int64
	// BrokerRole (brokerRole), default ASYNC_MASTER.
	BrokerRole Role

	// --- network ---

	// ListenPort (listenPort) is the remoting port, default 10911.
	ListenPort int
	// HAListenPort (haListenPort) is always ListenPort+1, as RocketMQ's
	// BrokerStartup sets it after reading the file.
	HAListenPort int
	// NamesrvAddr (namesrvAddr, env NAMESRV_ADDR, flag -n) lists the name
	// servers as host:port; the key holds them ';'-separated. Empty by
	// default: the broker registers nowhere.
	NamesrvAddr []string
	// BrokerIP1 (brokerIP1) is the address clients are given, default the
	// host's first non-loopback IPv4 (127.0.0.1 if none).
	BrokerIP1 string
	// BrokerIP2 (brokerIP2) is the host of the HA address, default
	// BrokerIP1.
	BrokerIP2 string
	// ServerChannelMaxIdleTime (serverChannelMaxIdleTimeSeconds), default
	// 120 s; 0 disables the idle check (Netty's meaning of 0).
	ServerChannelMaxIdleTime time.Duration
	// ServerSocketSndBufSize and ServerSocketRcvBufSize
	// (serverSocketSndBufSize, serverSocketRcvBufSize) set SO_SNDBUF and
	// SO_RCVBUF of client connections in bytes; default 0, the kernel's.
	ServerSocketSndBufSize, ServerSocketRcvBufSize int
	// ClientChannelMaxIdleTime (clientChannelMaxIdleTimeSeconds), default
	// 120 s: idle limit of the broker's own connections (name servers).
	ClientChannelMaxIdleTime time.Duration
	// AdminListenAddr (adminListenAddr, Quiver) is host:port of the admin
	// and metrics HTTP endpoint (pprof, /varz); "" (the default) is off.
	AdminListenAddr string
	// LogLevel (logLevel, Quiver) is the slog level: debug, info, warn or
	// error. Default info.
	LogLevel slog.Level

	// --- store ---

	// CommitLogWriteMode (commitLogWriteMode, Quiver) is "auto" (the
	// default), "pwrite" or "mapped": engine/segment.WriteMode. Auto is
	// mapped under ASYNC_FLUSH (an append is a copy into the mapping, which
	// a helper keeps writable ahead of it) and pwrite under SYNC_FLUSH
	// (group commit writes a stage with one pwrite per round).
	CommitLogWriteMode string
	// CommitLogCacheWindow (commitLogCacheWindow, Quiver) is
	// engine/commitlog.Config.CacheWindow in bytes. Default 1 GiB on a VM
	// guest with free page reporting (Host.FreePageReporting), else 0.
	CommitLogCacheWindow int64

	// StorePathRootDir (storePathRootDir), default ~/store.
	StorePathRootDir string
	// StorePathCommitLog (storePathCommitLog) is StorePathRootDir/commitlog;
	// the key is accepted only with that value (Quiver keeps the commit log
	// under the root).
	StorePathCommitLog string
	// MappedFileSizeCommitLog (mappedFileSizeCommitLog, or the pre-4.5.2
	// spelling mapedFileSizeCommitLog) is the commit-log segment size in
	// bytes, default 1 GiB; Quiver needs a multiple of 4096.
	MappedFileSizeCommitLog int
	// MappedFileSizeConsumeQueue (mappedFileSizeConsumeQueue or
	// mapedFileSizeConsumeQueue) is the consume-queue file size in bytes,
	// default 6,000,000 (300,000 entries); rounded up to a multiple of 20
	// as RocketMQ does.
	MappedFileSizeConsumeQueue int
	// FlushDiskType (flushDiskType), default ASYNC_FLUSH.
	FlushDiskType FlushDiskType
	// SyncFlushTimeout (syncFlushTimeout, ms), default 5 s.
	SyncFlushTimeout time.Duration
	// FlushIntervalCommitLog (flushIntervalCommitLog, ms), default 500 ms.
	FlushIntervalCommitLog time.Duration
	// FlushCommitLogLeastPages (flushCommitLogLeastPages), default 4.
	FlushCommitLogLeastPages int
	// FlushCommitLogThoroughInterval (flushCommitLogThoroughInterval, ms),
	// default 10 s. No engine counterpart: the engine's flusher never
	// leaves data unflushed longer than FlushIntervalCommitLog.
	FlushCommitLogThoroughInterval time.Duration
	// FlushIntervalConsumeQueue (flushIntervalConsumeQueue, ms), default
	// 1 s: how often consume queues and the index are synced and the
	// checkpoint written.
	FlushIntervalConsumeQueue time.Duration
	// CleanResourceInterval (cleanResourceInterval, ms), default 10 s: how
	// often retention runs.
	CleanResourceInterval time.Duration
	// FileReservedTime (fileReservedTime, hours), default 72.
	FileReservedTime int
	// DeleteWhen (deleteWhen): ';'-separated hours of the day, default "04".
	DeleteWhen string
	// DeleteHours is DeleteWhen parsed.
	DeleteHours []int
	// DiskMaxUsedSpaceRatio (diskMaxUsedSpaceRatio, percent), default 75,
	// clamped to 10..95 as RocketMQ does.
	DiskMaxUsedSpaceRatio int
	// MessageIndexEnable (messageIndexEnable), default true.
	MessageIndexEnable bool
	// MaxHashSlotNum (maxHashSlotNum), default 5,000,000.
	MaxHashSlotNum int
	// MaxIndexNum (maxIndexNum), default 20,000,000.
	MaxIndexNum int
	// MaxMessageSize (maxMessageSize, bytes), default 4 MiB.
	MaxMessageSize int

	// --- topics and groups ---

	// AutoCreateTopicEnable (autoCreateTopicEnable), default true.
	AutoCreateTopicEnable bool
	// AutoCreateSubscriptionGroup (autoCreateSubscriptionGroup), default
	// true.
	AutoCreateSubscriptionGroup bool
	// DefaultTopicQueueNums (defaultTopicQueueNums): TBW102's queue count,
	// default 8 (client-go asks for 4 when it auto-creates a topic).
	DefaultTopicQueueNums int
	// ClusterTopicEnable (clusterTopicEnable), default true.
	ClusterTopicEnable bool
	// BrokerTopicEnable (brokerTopicEnable), default true.
	BrokerTopicEnable bool
	// BrokerPermission (brokerPermission), default 6 (read|write).
	BrokerPermission int

	// --- messages, delay, filters ---

	// MessageDelayLevel (messageDelayLevel), default "1s 5s 10s 30s 1m 2m
	// 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h".
	MessageDelayLevel string
	// DelayLevels is MessageDelayLevel parsed: DelayLevels[i] is level i+1.
	DelayLevels []time.Duration
	// TimerMaxDelay (timerMaxDelaySec, seconds; RocketMQ 5.x), default 3
	// days: the longest delay of a timer message.
	TimerMaxDelay time.Duration
	// EnablePropertyFilter (enablePropertyFilter): SQL92 filters, default
	// false.
	EnablePropertyFilter bool
	// FilterSupportRetry (filterSupportRetry), default false: whether SQL92
	// filters apply to retry topics.
	FilterSupportRetry bool
	// EnableCalcFilterBitMap (enableCalcFilterBitMap), default false.
	// No effect in Quiver (no consume-queue extension).
	EnableCalcFilterBitMap bool

	// --- transactions ---

	// TransactionTimeOut (transactionTimeOut, ms), default 6 s.
	TransactionTimeOut time.Duration
	// TransactionCheckMax (transactionCheckMax), default 15.
	TransactionCheckMax int
	// TransactionCheckInterval (transactionCheckInterval, ms), default 60 s.
	TransactionCheckInterval time.Duration
	// RejectTransactionMessage (rejectTransactionMessage), default false.
	RejectTransactionMessage bool

	// --- pull and query ---

	// LongPollingEnable (longPollingEnable), default true.
	LongPollingEnable bool
	// ShortPollingTime (shortPollingTimeMills, ms), default 1 s.
	ShortPollingTime time.Duration
	// NotifyConsumerIdsChangedEnable (notifyConsumerIdsChangedEnable),
	// default true.
	NotifyConsumerIdsChangedEnable bool
	// SlaveReadEnable (slaveReadEnable), default false.
	SlaveReadEnable bool
	// MaxTransferBytesOnMessageInMemory (maxTransferBytesOnMessageInMemory),
	// default 262144.
	MaxTransferBytesOnMessageInMemory int
	// MaxTransferCountOnMessageInMemory (maxTransferCountOnMessageInMemory),
	// default 32.
	MaxTransferCountOnMessageInMemory int
	// MaxTransferBytesOnMessageInDisk (maxTransferBytesOnMessageInDisk),
	// default 65536.
	MaxTransferBytesOnMessageInDisk int
	// MaxTransferCountOnMessageInDisk (maxTransferCountOnMessageInDisk),
	// default 8.
	MaxTransferCountOnMessageInDisk int
	// DefaultQueryMaxNum (defaultQueryMaxNum), default 32.
	DefaultQueryMaxNum int
	// FlushConsumerOffsetInterval (flushConsumerOffsetInterval, ms),
	// default 5 s: how often consumer offsets are persisted.
	FlushConsumerOffsetInterval time.Duration

	// --- name-server registration ---

	// RegisterNameServerPeriod (registerNameServerPeriod, ms), default
	// 30 s, clamped to 10..60 s as RocketMQ's BrokerController does.
	RegisterNameServerPeriod time.Duration
	// RegisterBrokerTimeout (registerBrokerTimeoutMills, ms), default 6 s.
	RegisterBrokerTimeout time.Duration
	// ForceRegister (forceRegister), default true.
	ForceRegister bool
	// CompressedRegister (compressedRegister), default false.
	CompressedRegister bool

	// --- master/slave (no effect until replication lands) ---

	// HASendHeartbeatInterval (haSendHeartbeatInterval, ms), default 5 s.
	HASendHeartbeatInterval time.Duration
	// HAHousekeepingInterval (haHousekeepingInterval, ms), default 20 s.
	HAHousekeepingInterval time.Duration
	// HATransferBatchSize (haTransferBatchSize, bytes), default 32768.
	HATransferBatchSize int
	// HASlaveFallbehindMax (haSlaveFallbehindMax, bytes), default 256 MiB.
	HASlaveFallbehindMax int
	// HAMasterAddress (haMasterAddress), default "" (learned from the name
	// server).
	HAMasterAddress string
	// SlaveTimeout (slaveTimeout, ms), default 3 s.
	SlaveTimeout time.Duration

	// --- trace, region, ACL ---

	// TraceTopicEnable (traceTopicEnable), default false.
	TraceTopicEnable bool
	// MsgTraceTopicName (msgTraceTopicName), default RMQ_SYS_TRACE_TOPIC.
	MsgTraceTopicName string
	// TraceOn (traceOn), default true: echoed as TRACE_ON in SEND replies.
	TraceOn bool
	// RegionID (regionId), default "DefaultRegion": echoed as MSG_REGION.
	RegionID string
	// ACLEnable (aclEnable), default false. NB: a broker that cannot
	// enforce ACL must refuse to start with it set, not ignore it.
	ACLEnable bool

	// Warnings lists what the loader noticed but accepted: duplicate keys,
	// clamped values, forced values, keys RocketMQ ignores too. Loader
	// also logs each one.
	Warnings []string

	// sources maps a key's canonical name to where its value came from:
	// "default", "<file>:<line>", "env NAMESRV_ADDR", an override's origin.
	sources map[string]string
	// passive holds the values of keys that have no field (accepted, no
	// effect in Quiver), by canonical name.
	passive map[string]string
	// host is the Host the defaults were derived from.
	host Host
}

// Source returns where key's value came from ("default", "broker.conf:3",
// "env NAMESRV_ADDR", "flag -n", "derived: ..."), or "" for an unknown key.
// An alias (mapedFileSizeCommitLog) is resolved to its key.
func (c *Config) Source(key string) string {
	k := lookup(key)
	if k == nil {
		return ""
	}
	if s, ok := c.sources[k.name]; ok {
		return s
	}
	if k.hostDef != nil {
		return "default: " + k.defNote
	}
	return "default"
}

// Value returns the text of key's current value as Print writes it, and
// whether the key exists. It serves keys with and without a field.
func (c *Config) Value(key string) (string, bool) {
	k := lookup(key)
	if k == nil {
		return "", false
	}
	return k.get(c), true
}

// NamesrvAddrString returns NamesrvAddr ';'-joined, RocketMQ's form.
func (c *Config) NamesrvAddrString() string { return strings.Join(c.NamesrvAddr, ";") }

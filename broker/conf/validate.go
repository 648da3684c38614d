package conf

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Validate checks the rules RocketMQ enforces (or should): enums, ranges,
// relations between keys, and what the engine needs (it runs
// engine.Config.Validate on EngineConfig). Every violation is reported,
// joined, each naming the key, its value and its source; each wraps
// ErrInvalid. Load calls it.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		v, _ := c.Value(key)
		errs = append(errs, fmt.Errorf("%w: %s=%s (%s): %s", ErrInvalid, key, v, c.Source(key), fmt.Sprintf(format, args...)))
	}
	if strings.TrimSpace(c.BrokerClusterName) == "" {
		bad("brokerClusterName", "must not be empty")
	}
	if strings.TrimSpace(c.BrokerName) == "" {
		bad("brokerName", "must not be empty")
	}
	switch c.BrokerRole {
	case AsyncMaster, SyncMaster:
		if c.BrokerID != 0 {
			bad("brokerId", "a master's brokerId is 0")
		}
	case Slave:
		if c.BrokerID <= 0 {
			bad("brokerId", "a SLAVE needs brokerId > 0")
		}
	default:
		bad("brokerRole", "want ASYNC_MASTER, SYNC_MASTER or SLAVE")
	}
	if c.FlushDiskType != AsyncFlush && c.FlushDiskType != SyncFlush {
		bad("flushDiskType", "want ASYNC_FLUSH or SYNC_FLUSH")
	}
	if c.ListenPort < 1 || c.ListenPort > 65534 {
		bad("listenPort", "want 1..65534 (haListenPort is listenPort+1)")
	}
	if strings.TrimSpace(c.BrokerIP1) == "" || strings.ContainsAny(c.BrokerIP1, " \t;,") {
		bad("brokerIP1", "want a host address")
	}
	if strings.TrimSpace(c.BrokerIP2) == "" || strings.ContainsAny(c.BrokerIP2, " \t;,") {
		bad("brokerIP2", "want a host address")
	}
	if c.ServerSocketSndBufSize < 0 {
		bad("serverSocketSndBufSize", "want >= 0 bytes")
	}
	if c.ServerSocketRcvBufSize < 0 {
		bad("serverSocketRcvBufSize", "want >= 0 bytes")
	}
	if c.DefaultTopicQueueNums < 1 || c.DefaultTopicQueueNums > 1024 {
		bad("defaultTopicQueueNums", "want 1..1024")
	}
	if c.BrokerPermission < 0 || c.BrokerPermission > 7 {
		bad("brokerPermission", "want 0..7 (4 read, 2 write, 1 inherit)")
	}
	if c.StorePathRootDir == "" {
		bad("storePathRootDir", "must not be empty")
	}
	if want := filepath.Join(c.StorePathRootDir, "commitlog"); filepath.Clean(c.StorePathCommitLog) != want {
		bad("storePathCommitLog", "Quiver keeps the commit log at storePathRootDir/commitlog (%s); remove the key or set it to that", want)
	}
	if c.MappedFileSizeCommitLog <= 0 || c.MappedFileSizeCommitLog%4096 != 0 {
		bad("mappedFileSizeCommitLog", "want a positive multiple of 4096 bytes")
	}
	if c.MappedFileSizeConsumeQueue <= 0 {
		bad("mappedFileSizeConsumeQueue", "want a positive size in bytes")
	}
	if c.MaxMessageSize <= 0 {
		bad("maxMessageSize", "want a positive size in bytes")
	} else if c.MaxMessageSize >= c.MappedFileSizeCommitLog && c.MappedFileSizeCommitLog > 0 {
		bad("maxMessageSize", "a message must fit in a commit-log segment (mappedFileSizeCommitLog=%d)", c.MappedFileSizeCommitLog)
	}
	if c.FileReservedTime < 1 {
		bad("fileReservedTime", "want at least 1 hour")
	}
	if c.SyncFlushTimeout <= 0 {
		bad("syncFlushTimeout", "want > 0 ms")
	}
	if c.FlushIntervalCommitLog <= 0 {
		bad("flushIntervalCommitLog", "want > 0 ms")
	}
	if c.FlushIntervalConsumeQueue <= 0 {
		bad("flushIntervalConsumeQueue", "want > 0 ms")
	}
	if c.CleanResourceInterval <= 0 {
		bad("cleanResourceInterval", "want > 0 ms")
	}
	if c.FlushCommitLogLeastPages < 0 {
		bad("flushCommitLogLeastPages", "want >= 0")
	}
	if c.MaxHashSlotNum <= 0 {
		bad("maxHashSlotNum", "want > 0")
	}
	if c.MaxIndexNum < 2 {
		bad("maxIndexNum", "want >= 2 (entry 0 is never used)")
	}
	if len(c.DelayLevels) == 0 {
		bad("messageDelayLevel", "want at least one level")
	}
	if len(c.DeleteHours) == 0 {
		bad("deleteWhen", "want at least one hour")
	}
	for _, k := range []string{"maxTransferBytesOnMessageInMemory", "maxTransferCountOnMessageInMemory",
		"maxTransferBytesOnMessageInDisk", "maxTransferCountOnMessageInDisk", "defaultQueryMaxNum", "transactionCheckMax"} {
		if v, _ := c.Value(k); strings.HasPrefix(v, "-") || v == "0" {
			bad(k, "want > 0")
		}
	}
	// Features Quiver does not have, where ignoring the key would run a
	// different broker than the operator configured.
	if c.passive["enableDLegerCommitLog"] == "true" {
		bad("enableDLegerCommitLog", "the DLedger commit log is not supported")
	}
	if c.passive["messageStorePlugIn"] != "" {
		bad("messageStorePlugIn", "Java store plug-ins are not supported")
	}
	if c.passive["readOnlyCommitLogStorePaths"] != "" {
		bad("readOnlyCommitLogStorePaths", "extra commit-log paths are not supported")
	}
	if len(errs) == 0 {
		// The engine's own rules (index file size within an int32...).
		if err := c.EngineConfig().Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%w: storage: %w", ErrInvalid, err))
		}
	}
	return errors.Join(errs...)
}

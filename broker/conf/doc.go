// Package conf is the broker's configuration: RocketMQ 4.9's broker.conf
// keys with RocketMQ's defaults, plus Quiver's own (adminListenAddr,
// logLevel), so that an operator's existing file works unchanged.
//
// # Usage
//
//	var ov []conf.Override
//	if nFlagSet {
//		ov = append(ov, conf.Override{Key: "namesrvAddr", Value: *n, Origin: "flag -n"})
//	}
//	cfg, err := conf.Load(*c, os.Getenv, ov...) // file < NAMESRV_ADDR < -n
//	if err != nil { ... }                       // names key, line, expected type
//	if *p { conf.Print(os.Stdout, cfg) }        // every key, value and source
//	store, err := engine.Open(cfg.EngineConfig())
//
// # Keys
//
// One table (table.go) lists every accepted key: its name and older
// spellings, RocketMQ's default, how it parses, help text, and whether
// Quiver acts on it. Loading, printing, the unknown-key suggestion and
// Keys() all come from it. Keys Quiver does not act on (thread pools,
// Netty buffers...) are accepted and type-checked, and marked "no effect
// in Quiver".
//
// # Differences from RocketMQ
//
// RocketMQ ignores unknown keys and values that do not parse; Quiver
// refuses both with the line and, for a key, the nearest valid one.
// Booleans must be true or false (Java reads anything else as false);
// enums must be spelled exactly. NAMESRV_ADDR replaces a namesrvAddr in
// the file (in RocketMQ the file wins over the environment). brokerIP2
// defaults to brokerIP1. storePathCommitLog, when set, must be
// storePathRootDir/commitlog. fileReservedTime must be at least 1. Keys
// that select features Quiver lacks (enableDLegerCommitLog=true,
// messageStorePlugIn, readOnlyCommitLogStorePaths) are refused rather than
// ignored. Values RocketMQ clamps or forces (diskMaxUsedSpaceRatio,
// registerNameServerPeriod, a master's brokerId, haListenPort,
// mappedFileSizeConsumeQueue rounding) are clamped the same way, with a
// warning.
//
// # Concurrency
//
// A Config is immutable once Load returns it; any number of goroutines
// may read it.
package conf

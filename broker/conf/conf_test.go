package conf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/internal/props"
)

var testHost = Host{Name: "mq-host-1", IPv4: "10.1.2.3", Home: "/home/mq", NumCPU: 2}

func noEnv(string) string { return "" }

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func testLoader(env func(string) string) Loader {
	return Loader{Env: env, Host: &testHost, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// parse loads text as the file "broker.conf".
func parse(t *testing.T, text string, ov ...Override) (*Config, error) {
	t.Helper()
	return testLoader(noEnv).Parse("broker.conf", strings.NewReader(text), ov...)
}

func mustParse(t *testing.T, text string, ov ...Override) *Config {
	t.Helper()
	c, err := parse(t, text, ov...)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return c
}

// TestDefaults spot-checks RocketMQ 4.9.4's defaults (BrokerConfig,
// MessageStoreConfig, NettyServerConfig, BrokerStartup).
func TestDefaults(t *testing.T) {
	c, err := testLoader(noEnv).Load("")
	if err != nil {
		t.Fatal(err)
	}
	levels := []time.Duration{1 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second,
		1 * time.Minute, 2 * time.Minute, 3 * time.Minute, 4 * time.Minute, 5 * time.Minute, 6 * time.Minute,
		7 * time.Minute, 8 * time.Minute, 9 * time.Minute, 10 * time.Minute, 20 * time.Minute, 30 * time.Minute,
		1 * time.Hour, 2 * time.Hour}
	checks := []struct {
		name      string
		got, want any
	}{
		{"brokerClusterName", c.BrokerClusterName, "DefaultCluster"},
		{"brokerName", c.BrokerName, "mq-host-1"},
		{"brokerId", c.BrokerID, int64(0)},
		{"brokerRole", c.BrokerRole, AsyncMaster},
		{"listenPort", c.ListenPort, 10911},
		{"haListenPort", c.HAListenPort, 10912},
		{"namesrvAddr", len(c.NamesrvAddr), 0},
		{"brokerIP1", c.BrokerIP1, "10.1.2.3"},
		{"brokerIP2", c.BrokerIP2, "10.1.2.3"},
		{"storePathRootDir", c.StorePathRootDir, "/home/mq/store"},
		{"storePathCommitLog", c.StorePathCommitLog, "/home/mq/store/commitlog"},
		{"autoCreateTopicEnable", c.AutoCreateTopicEnable, true},
		{"autoCreateSubscriptionGroup", c.AutoCreateSubscriptionGroup, true},
		{"defaultTopicQueueNums", c.DefaultTopicQueueNums, 8},
		{"flushDiskType", c.FlushDiskType, AsyncFlush},
		{"syncFlushTimeout", c.SyncFlushTimeout, 5 * time.Second},
		{"flushIntervalCommitLog", c.FlushIntervalCommitLog, 500 * time.Millisecond},
		{"flushCommitLogLeastPages", c.FlushCommitLogLeastPages, 4},
		{"flushCommitLogThoroughInterval", c.FlushCommitLogThoroughInterval, 10 * time.Second},
		{"maxMessageSize", c.MaxMessageSize, 4194304},
		{"mappedFileSizeCommitLog", c.MappedFileSizeCommitLog, 1 << 30},
		{"mappedFileSizeConsumeQueue", c.MappedFileSizeConsumeQueue, 300000 * 20},
		{"fileReservedTime", c.FileReservedTime, 72},
		{"deleteWhen", c.DeleteWhen, "04"},
		{"deleteHours", c.DeleteHours, []int{4}},
		{"diskMaxUsedSpaceRatio", c.DiskMaxUsedSpaceRatio, 75},
		{"messageIndexEnable", c.MessageIndexEnable, true},
		{"maxHashSlotNum", c.MaxHashSlotNum, 5000000},
		{"maxIndexNum", c.MaxIndexNum, 20000000},
		{"enablePropertyFilter", c.EnablePropertyFilter, false},
		{"delayLevels", c.DelayLevels, levels},
		{"timerMaxDelaySec", c.TimerMaxDelay, 259200 * time.Second},
		{"transactionTimeOut", c.TransactionTimeOut, 6 * time.Second},
		{"transactionCheckMax", c.TransactionCheckMax, 15},
		{"transactionCheckInterval", c.TransactionCheckInterval, 60 * time.Second},
		{"longPollingEnable", c.LongPollingEnable, true},
		{"shortPollingTimeMills", c.ShortPollingTime, time.Second},
		{"notifyConsumerIdsChangedEnable", c.NotifyConsumerIdsChangedEnable, true},
		{"serverChannelMaxIdleTimeSeconds", c.ServerChannelMaxIdleTime, 120 * time.Second},
		{"clientChannelMaxIdleTimeSeconds", c.ClientChannelMaxIdleTime, 120 * time.Second},
		{"registerBrokerTimeoutMills", c.RegisterBrokerTimeout, 6 * time.Second},
		{"registerNameServerPeriod", c.RegisterNameServerPeriod, 30 * time.Second},
		{"compressedRegister", c.CompressedRegister, false},
		{"forceRegister", c.ForceRegister, true},
		{"brokerPermission", c.BrokerPermission, 6},
		{"defaultQueryMaxNum", c.DefaultQueryMaxNum, 32},
		{"msgTraceTopicName", c.MsgTraceTopicName, "RMQ_SYS_TRACE_TOPIC"},
		{"traceTopicEnable", c.TraceTopicEnable, false},
		{"regionId", c.RegionID, "DefaultRegion"},
		{"aclEnable", c.ACLEnable, false},
		{"haTransferBatchSize", c.HATransferBatchSize, 32768},
		{"haSlaveFallbehindMax", c.HASlaveFallbehindMax, 256 << 20},
		{"adminListenAddr", c.AdminListenAddr, ""},
		{"logLevel", c.LogLevel, slog.LevelInfo},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	// Keys without a field, as text.
	for k, want := range map[string]string{
		"transientStorePoolEnable":        "false",
		"warmMapedFileEnable":             "false",
		"useReentrantLockWhenPutMessage":  "true",
		"sendMessageThreadPoolNums":       "2",  // min(CPUs, 4)
		"pullMessageThreadPoolNums":       "20", // 16 + 2*CPUs
		"endTransactionThreadPoolNums":    "12", // max(8 + 2*CPUs, 4*send)
		"fetchNamesrvAddrByAddressServer": "false",
		"checkCRCOnRecover":               "true",
		"accessMessageInMemoryMaxRatio":   "40",
	} {
		if got, ok := c.Value(k); !ok || got != want {
			t.Errorf("Value(%s) = %q, %v; want %q", k, got, ok, want)
		}
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings on defaults: %q", c.Warnings)
	}
	if got := c.Source("brokerClusterName"); got != "default" {
		t.Errorf("Source(brokerClusterName) = %q", got)
	}
	if got := c.Source("haListenPort"); got != "derived: listenPort+1" {
		t.Errorf("Source(haListenPort) = %q", got)
	}
}

// TestSpecKeysAccepted: every key of spec section 8.3, plus the ones the
// brief names, loads with its default value.
func TestSpecKeysAccepted(t *testing.T) {
	keys := map[string]string{
		"brokerClusterName": "DefaultCluster", "brokerName": "b", "brokerId": "0", "brokerRole": "ASYNC_MASTER",
		"flushDiskType": "ASYNC_FLUSH", "namesrvAddr": "127.0.0.1:9876", "brokerIP1": "127.0.0.1", "brokerIP2": "127.0.0.1",
		"listenPort": "10911", "deleteWhen": "04", "fileReservedTime": "72", "autoCreateTopicEnable": "true",
		"defaultTopicQueueNums": "8", "autoCreateSubscriptionGroup": "true", "enablePropertyFilter": "false",
		"messageDelayLevel": "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h", "transactionTimeOut": "6000",
		"transactionCheckMax": "15", "transactionCheckInterval": "60000", "maxMessageSize": "4194304",
		"mappedFileSizeCommitLog": "1073741824", "mappedFileSizeConsumeQueue": "6000000", "storePathRootDir": "/s",
		"storePathCommitLog": "/s/commitlog", "brokerPermission": "6", "registerNameServerPeriod": "30000",
		"registerBrokerTimeoutMills": "6000", "forceRegister": "true", "compressedRegister": "false",
		"longPollingEnable": "true", "shortPollingTimeMills": "1000", "slaveReadEnable": "false",
		"notifyConsumerIdsChangedEnable": "true", "traceTopicEnable": "false", "traceOn": "true",
		"regionId": "DefaultRegion", "aclEnable": "false", "rejectTransactionMessage": "false",
		"flushIntervalCommitLog": "500", "flushIntervalConsumeQueue": "1000", "syncFlushTimeout": "5000",
		"slaveTimeout": "3000", "haSendHeartbeatInterval": "5000", "haHousekeepingInterval": "20000",
		"haTransferBatchSize": "32768", "haSlaveFallbehindMax": "268435456", "haMasterAddress": "",
		"maxTransferBytesOnMessageInMemory": "262144", "maxTransferCountOnMessageInMemory": "32",
		"maxTransferBytesOnMessageInDisk": "65536", "maxTransferCountOnMessageInDisk": "8",
		"accessMessageInMemoryMaxRatio": "40", "messageIndexEnable": "true", "maxHashSlotNum": "5000000",
		"maxIndexNum": "20000000", "defaultQueryMaxNum": "32", "diskMaxUsedSpaceRatio": "75",
		"checkCRCOnRecover": "true", "offsetCheckInSlave": "false", "autoMessageVersionOnTopicLen": "true",
		// named in the brief
		"haListenPort": "10912", "flushCommitLogLeastPages": "4", "flushCommitLogThoroughInterval": "10000",
		"mapedFileSizeCommitLog": "1073741824", "mapedFileSizeConsumeQueue": "6000000", "enableCalcFilterBitMap": "false",
		"filterSupportRetry": "false", "timerMaxDelaySec": "259200", "clientChannelMaxIdleTimeSeconds": "120",
		"transientStorePoolEnable": "false", "warmMapedFileEnable": "false", "useReentrantLockWhenPutMessage": "true",
		"sendMessageThreadPoolNums": "4", "pullMessageThreadPoolNums": "24", "fetchNamesrvAddrByAddressServer": "false",
		"msgTraceTopicName": "RMQ_SYS_TRACE_TOPIC", "adminListenAddr": "", "logLevel": "info",
	}
	var b strings.Builder
	for k, v := range keys {
		b.WriteString(k + "=" + v + "\n")
	}
	c := mustParse(t, b.String())
	for k := range keys {
		if k == "haListenPort" {
			continue // always derived
		}
		if !strings.HasPrefix(c.Source(k), "broker.conf:") {
			t.Errorf("Source(%s) = %q, want the file", k, c.Source(k))
		}
	}
}

func TestSegmentSizeSpellings(t *testing.T) {
	for _, k := range []string{"mapedFileSizeCommitLog", "mappedFileSizeCommitLog"} {
		c := mustParse(t, k+"=1048576\nmaxMessageSize=65536\n")
		if c.MappedFileSizeCommitLog != 1<<20 {
			t.Errorf("%s: MappedFileSizeCommitLog = %d", k, c.MappedFileSizeCommitLog)
		}
		if got := c.EngineConfig().CommitLog.SegmentSize; got != 1<<20 {
			t.Errorf("%s: SegmentSize = %d", k, got)
		}
	}
	for _, k := range []string{"mapedFileSizeConsumeQueue", "mappedFileSizeConsumeQueue"} {
		c := mustParse(t, k+"=20000\n")
		if c.MappedFileSizeConsumeQueue != 20000 || c.EngineConfig().ConsumeQueue.EntriesPerFile != 1000 {
			t.Errorf("%s: size %d, entries %d", k, c.MappedFileSizeConsumeQueue, c.EngineConfig().ConsumeQueue.EntriesPerFile)
		}
	}
	c := mustParse(t, "mapedFileSizeCommitLog=1048576\nmappedFileSizeCommitLog=2097152\nmaxMessageSize=65536\n")
	if c.MappedFileSizeCommitLog != 2<<20 {
		t.Errorf("both spellings: %d, want the last", c.MappedFileSizeCommitLog)
	}
	if src := c.Source("mapedFileSizeCommitLog"); src != "broker.conf:2" {
		t.Errorf("source %q", src)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "set again (first at line 1)") {
		t.Errorf("warnings %q", c.Warnings)
	}
	c = mustParse(t, "mappedFileSizeCommitLog=2097152\nmapedFileSizeCommitLog=1048576\nmaxMessageSize=65536\n")
	if c.MappedFileSizeCommitLog != 1<<20 || c.Source("mappedFileSizeCommitLog") != "broker.conf:2 (as mapedFileSizeCommitLog)" {
		t.Errorf("%d from %q", c.MappedFileSizeCommitLog, c.Source("mappedFileSizeCommitLog"))
	}
	// RocketMQ rounds the consume-queue size up to a multiple of 20.
	c = mustParse(t, "mappedFileSizeConsumeQueue=30\n")
	if c.MappedFileSizeConsumeQueue != 40 || c.EngineConfig().ConsumeQueue.EntriesPerFile != 2 || len(c.Warnings) != 1 {
		t.Errorf("rounding: %d %q", c.MappedFileSizeConsumeQueue, c.Warnings)
	}
}

func TestNamesrvPrecedence(t *testing.T) {
	file := "namesrvAddr=10.0.0.1:9876;10.0.0.2:9876\n"
	env := envOf(map[string]string{"NAMESRV_ADDR": "10.0.0.3:9876"})
	flag := Override{Key: "namesrvAddr", Value: "10.0.0.4:9876", Origin: "flag -n"}
	cases := []struct {
		name    string
		env     func(string) string
		ov      []Override
		want    []string
		wantSrc string
	}{
		{"file", noEnv, nil, []string{"10.0.0.1:9876", "10.0.0.2:9876"}, "broker.conf:1"},
		{"env over file", env, nil, []string{"10.0.0.3:9876"}, "env NAMESRV_ADDR"},
		{"flag over env", env, []Override{flag}, []string{"10.0.0.4:9876"}, "flag -n"},
		{"flag over file", noEnv, []Override{flag}, []string{"10.0.0.4:9876"}, "flag -n"},
	}
	for _, tc := range cases {
		c, err := testLoader(tc.env).Parse("broker.conf", strings.NewReader(file), tc.ov...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !reflect.DeepEqual(c.NamesrvAddr, tc.want) || c.Source("namesrvAddr") != tc.wantSrc {
			t.Errorf("%s: %q from %q, want %q from %q", tc.name, c.NamesrvAddr, c.Source("namesrvAddr"), tc.want, tc.wantSrc)
		}
	}
	c, err := testLoader(env).Load("")
	if err != nil || c.NamesrvAddrString() != "10.0.0.3:9876" {
		t.Errorf("env without a file: %v %v", c, err)
	}
	// A bad -n names its origin.
	_, err = testLoader(noEnv).Load("", Override{Key: "namesrvAddr", Value: "nohostport", Origin: "flag -n"})
	if !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), "at flag -n: namesrvAddr=") {
		t.Errorf("bad -n: %v", err)
	}
}

func TestUnknownKey(t *testing.T) {
	cases := []struct{ text, want string }{
		{"brokerClusterName=c\nbrokerName=b\nbrokerNmae=broker-a\n",
			`conf: unknown key "brokerNmae" at broker.conf:3; did you mean "brokerName"?`},
		{"brokername=x\n", `conf: unknown key "brokername" at broker.conf:1; did you mean "brokerName"?`},
		{"flushDiskTyp=SYNC_FLUSH\n", `did you mean "flushDiskType"?`},
		{"mapedFileSizeComitLog=1\n", `did you mean "mapedFileSizeCommitLog"?`},
		{"namesrvAdr=1.2.3.4:9876\n", `did you mean "namesrvAddr"?`},
		{"zzzzzzzz=1\n", `conf: unknown key "zzzzzzzz" at broker.conf:1`},
	}
	for _, tc := range cases {
		_, err := parse(t, tc.text)
		if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.text, err, tc.want)
		}
	}
	_, err := parse(t, "zzzzzzzz=1\n")
	if strings.Contains(err.Error(), "did you mean") {
		t.Errorf("far-off key got a suggestion: %v", err)
	}
	_, err = testLoader(noEnv).Load("", Override{Key: "listenport", Value: "1", Origin: "flag -x"})
	if !errors.Is(err, ErrUnknownKey) || !strings.Contains(err.Error(), `"listenport" in flag -x; did you mean "listenPort"?`) {
		t.Errorf("override: %v", err)
	}
}

func TestBadValues(t *testing.T) {
	cases := []struct{ text, want string }{
		{"# c\nlistenPort=10911x\n", `conf: bad value at broker.conf:2: listenPort="10911x": want a 32-bit integer`},
		{"listenPort=99999999999\n", `listenPort="99999999999": want a 32-bit integer`},
		{"brokerId=one\n", `brokerId="one": want a 64-bit integer`},
		{"\n\nautoCreateTopicEnable=yes\n", `at broker.conf:3: autoCreateTopicEnable="yes": want true or false`},
		{"brokerRole=MASTER\n", `brokerRole="MASTER": want ASYNC_MASTER, SYNC_MASTER or SLAVE`},
		{"brokerRole=sync_master\n", `want ASYNC_MASTER, SYNC_MASTER or SLAVE (upper case)`},
		{"flushDiskType=SYNC\n", `flushDiskType="SYNC": want ASYNC_FLUSH or SYNC_FLUSH`},
		{"namesrvAddr=10.0.0.1\n", `namesrvAddr="10.0.0.1": want host:port;host:port ("10.0.0.1": not host:port)`},
		{"namesrvAddr=10.0.0.1:9876;10.0.0.2:99999\n", `port not 1..65535`},
		{"messageDelayLevel=1s 5x\n", `level "5x" has no unit s, m, h or d`},
		{"messageDelayLevel=1s 0m\n", `level "0m" is not a positive count`},
		{"deleteWhen=25\n", `deleteWhen="25": want ';'-separated hours 0..23`},
		{"deleteWhen=04;x\n", `deleteWhen="04;x"`},
		{"syncFlushTimeout=-1\n", `syncFlushTimeout="-1": want a count of milliseconds >= 0`},
		{"logLevel=loud\n", `logLevel="loud": want debug, info, warn or error`},
		{"adminListenAddr=localhost\n", `adminListenAddr="localhost": want host:port or empty`},
		{"sendMessageThreadPoolNums=many\n", `sendMessageThreadPoolNums="many": want a 32-bit integer`},
		{"transientStorePoolEnable=1\n", `transientStorePoolEnable="1": want true or false`},
	}
	for _, tc := range cases {
		_, err := parse(t, tc.text)
		if !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %q", tc.text, err, tc.want)
		}
	}
	// Every problem is reported, not just the first.
	_, err := parse(t, "listenPort=x\nbrokerNmae=b\nbrokerId=y\n")
	if !errors.Is(err, ErrBadValue) || !errors.Is(err, ErrUnknownKey) || strings.Count(err.Error(), "\n") != 2 {
		t.Errorf("joined: %v", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct{ text, want string }{
		{"brokerRole=SLAVE\n", `brokerId=0 (default): a SLAVE needs brokerId > 0`},
		{"brokerRole=SLAVE\nbrokerId=-1\n", `a SLAVE needs brokerId > 0`},
		{"listenPort=0\n", `listenPort=0 (broker.conf:1): want 1..65534`},
		{"listenPort=65535\n", `want 1..65534 (haListenPort is listenPort+1)`},
		{"defaultTopicQueueNums=0\n", `defaultTopicQueueNums=0 (broker.conf:1): want 1..1024`},
		{"defaultTopicQueueNums=1025\n", `want 1..1024`},
		{"brokerClusterName=\n", `brokerClusterName= (broker.conf:1): must not be empty`},
		{"brokerName=  \n", `brokerName= (broker.conf:1): must not be empty`},
		{"brokerPermission=8\n", `want 0..7`},
		{"mappedFileSizeCommitLog=1000000\n", `want a positive multiple of 4096 bytes`},
		{"mappedFileSizeCommitLog=4194304\n", `maxMessageSize=4194304 (default): a message must fit`},
		{"fileReservedTime=0\n", `fileReservedTime=0 (broker.conf:1): want at least 1 hour`},
		{"storePathRootDir=/a\nstorePathCommitLog=/b/commitlog\n", `Quiver keeps the commit log at storePathRootDir/commitlog (/a/commitlog)`},
		{"enableDLegerCommitLog=true\n", `the DLedger commit log is not supported`},
		{"messageStorePlugIn=com.example.Plugin\n", `plug-ins are not supported`},
		{"maxIndexNum=1\n", `maxIndexNum=1 (broker.conf:1): want >= 2`},
		{"maxHashSlotNum=100000000\nmaxIndexNum=100000000\n", `storage:`},
		{"flushIntervalCommitLog=0\n", `flushIntervalCommitLog=0 (broker.conf:1): want > 0 ms`},
		{"maxTransferCountOnMessageInDisk=0\n", `want > 0`},
	}
	for _, tc := range cases {
		_, err := parse(t, tc.text)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %v\nwant %q", tc.text, err, tc.want)
		}
	}
	// Accepted: a slave with an id, storePathCommitLog spelled with a
	// trailing slash, a zero port for the admin endpoint.
	c := mustParse(t, "brokerRole=SLAVE\nbrokerId=2\nstorePathRootDir=/a\nstorePathCommitLog=/a/commitlog/\nadminListenAddr=127.0.0.1:0\n")
	if c.BrokerRole != Slave || c.BrokerID != 2 || c.AdminListenAddr != "127.0.0.1:0" {
		t.Errorf("slave: %v %d", c.BrokerRole, c.BrokerID)
	}
}

// TestForcedAndClamped: values RocketMQ forces or clamps are forced and
// clamped the same way, with a warning.
func TestForcedAndClamped(t *testing.T) {
	c := mustParse(t, "brokerRole=SYNC_MASTER\nbrokerId=3\nlistenPort=20911\nhaListenPort=30000\n"+
		"diskMaxUsedSpaceRatio=99\nregisterNameServerPeriod=5000\n")
	if c.BrokerID != 0 || c.Source("brokerId") != "forced: master" {
		t.Errorf("brokerId %d from %q", c.BrokerID, c.Source("brokerId"))
	}
	if c.HAListenPort != 20912 {
		t.Errorf("haListenPort %d", c.HAListenPort)
	}
	if c.DiskMaxUsedSpaceRatio != 95 || c.EngineConfig().DiskMaxUsedSpaceRatio != 95 {
		t.Errorf("diskMaxUsedSpaceRatio %d", c.DiskMaxUsedSpaceRatio)
	}
	if c.RegisterNameServerPeriod != 10*time.Second {
		t.Errorf("registerNameServerPeriod %v", c.RegisterNameServerPeriod)
	}
	want := []string{"haListenPort=30000 ignored", "brokerId=3 forced to 0", "diskMaxUsedSpaceRatio=99 clamped to 95", "registerNameServerPeriod=5000 clamped to 10000"}
	if len(c.Warnings) != len(want) {
		t.Fatalf("warnings %q", c.Warnings)
	}
	for i, w := range want {
		if !strings.Contains(c.Warnings[i], w) {
			t.Errorf("warning %d = %q, want %q", i, c.Warnings[i], w)
		}
	}
	c = mustParse(t, "diskMaxUsedSpaceRatio=5\n")
	if c.DiskMaxUsedSpaceRatio != 10 {
		t.Errorf("low ratio %d", c.DiskMaxUsedSpaceRatio)
	}
	// brokerIP2 follows brokerIP1 unless set.
	c = mustParse(t, "brokerIP1=10.9.9.9\n")
	if c.BrokerIP2 != "10.9.9.9" || c.Source("brokerIP2") != "derived: brokerIP1" {
		t.Errorf("brokerIP2 %q from %q", c.BrokerIP2, c.Source("brokerIP2"))
	}
	c = mustParse(t, "brokerIP1=10.9.9.9\nbrokerIP2=10.8.8.8\n")
	if c.BrokerIP2 != "10.8.8.8" {
		t.Errorf("brokerIP2 %q", c.BrokerIP2)
	}
}

func TestDuplicateKeyLogged(t *testing.T) {
	var logs bytes.Buffer
	l := Loader{Env: noEnv, Host: &testHost, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	c, err := l.Parse("b.conf", strings.NewReader("brokerName=a\nbrokerName=b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.BrokerName != "b" || c.Source("brokerName") != "b.conf:2" {
		t.Errorf("%q from %q", c.BrokerName, c.Source("brokerName"))
	}
	if !strings.Contains(logs.String(), "b.conf:2: brokerName set again (first at line 1); the last value wins") {
		t.Errorf("log: %s", logs.String())
	}
}

func TestPrint(t *testing.T) {
	env := envOf(map[string]string{"NAMESRV_ADDR": "10.0.0.3:9876"})
	c, err := testLoader(env).Parse("/etc/broker.conf", strings.NewReader("brokerName=broker-a\nmapedFileSizeCommitLog=1048576\nbrokerId=5\nmaxMessageSize=65536\n"),
		Override{Key: "listenPort", Value: "20911", Origin: "flag -x"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Print(&b, c); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, re := range []string{
		`brokerName=broker-a +# /etc/broker.conf:1\n`,
		`mappedFileSizeCommitLog=1048576 +# /etc/broker.conf:2 \(as mapedFileSizeCommitLog\)\n`,
		`namesrvAddr=10.0.0.3:9876 +# env NAMESRV_ADDR\n`,
		`listenPort=20911 +# flag -x\n`,
		`haListenPort=20912 +# derived: listenPort\+1\n`,
		`brokerId=0 +# forced: master\n`,
		`brokerClusterName=DefaultCluster +# default\n`,
		`brokerIP1=10.1.2.3 +# default: first non-loopback IPv4`,
		`storePathCommitLog=/home/mq/store/commitlog +# derived: storePathRootDir/commitlog\n`,
		`sendMessageThreadPoolNums=2 +# default: min\(CPUs, 4\); no effect in Quiver\n`,
		`# warning: /etc/broker.conf:3: brokerId=5 forced to 0`,
	} {
		if !regexpMatch(re, out) {
			t.Errorf("output lacks %s", re)
		}
	}
	if n := strings.Count(out, "\n"); n != len(table)+1+len(c.Warnings) {
		t.Errorf("%d lines for %d keys", n, len(table))
	}
}

func TestEngineConfig(t *testing.T) {
	c := mustParse(t, "storePathRootDir=/data/store\nmappedFileSizeCommitLog=67108864\nflushDiskType=SYNC_FLUSH\n"+
		"flushIntervalCommitLog=200\nflushCommitLogLeastPages=8\nsyncFlushTimeout=3000\nmappedFileSizeConsumeQueue=600000\n"+
		"maxHashSlotNum=1000\nmaxIndexNum=4000\nmessageIndexEnable=false\nfileReservedTime=48\ndeleteWhen=04;16\n"+
		"diskMaxUsedSpaceRatio=80\ncleanResourceInterval=5000\nflushIntervalConsumeQueue=2000\n")
	ec := c.EngineConfig()
	want := engine.DefaultConfig()
	want.Dir = "/data/store"
	want.CommitLog.SegmentSize = 64 << 20
	want.CommitLog.FlushMode = commitlog.FlushSync
	want.CommitLog.FlushInterval = 200 * time.Millisecond
	want.CommitLog.FlushLeastPages = 8
	want.CommitLog.SyncFlushTimeout = 3 * time.Second
	want.ConsumeQueue.EntriesPerFile = 30000
	want.Index.MaxHashSlots = 1000
	want.Index.MaxIndexNum = 4000
	want.MessageIndexEnable = false
	want.FileReservedTime = 48
	want.DeleteWhen = "04;16"
	want.DiskMaxUsedSpaceRatio = 80
	want.CleanInterval = 5 * time.Second
	want.CheckpointInterval = 2 * time.Second
	want.CommitLog.CacheWindow = 0 // testHost has no free page reporting
	// Funcs cannot be compared: clear them on both sides.
	for _, e := range []*engine.Config{&ec, &want} {
		e.Clock, e.TagsCode, e.CommitLog.Clock, e.FS, e.Index.Logger = nil, nil, nil, nil, nil
	}
	if !reflect.DeepEqual(ec, want) {
		t.Errorf("EngineConfig:\n got %+v\nwant %+v", ec, want)
	}
	if !reflect.DeepEqual(c.DeleteHours, []int{4, 16}) {
		t.Errorf("DeleteHours %v", c.DeleteHours)
	}
	if err := c.EngineConfig().Validate(); err != nil {
		t.Errorf("engine rejects it: %v", err)
	}
	// The default flush mode is async.
	if m := mustParse(t, "").EngineConfig().CommitLog.FlushMode; m != commitlog.FlushAsync {
		t.Errorf("default flush mode %v", m)
	}
}

func TestServerConfig(t *testing.T) {
	c := mustParse(t, "listenPort=20911\nserverSocketSndBufSize=65536\n")
	sc := c.ServerConfig()
	if sc.Addr != ":20911" || sc.IdleTimeout != 120*time.Second || sc.SocketSendBuffer != 65536 || sc.SocketRecvBuffer != 0 {
		t.Errorf("%+v", sc)
	}
	if err := sc.Validate(); err != nil {
		t.Error(err)
	}
	if sc := mustParse(t, "serverChannelMaxIdleTimeSeconds=0\n").ServerConfig(); sc.IdleTimeout >= 0 {
		t.Errorf("idle 0 should disable: %v", sc.IdleTimeout)
	}
}

// TestDistributionFiles loads files shaped like RocketMQ's distribution
// and a production-style one.
func TestDistributionFiles(t *testing.T) {
	cases := []struct {
		file  string
		check func(t *testing.T, c *Config)
	}{
		{"broker.conf", func(t *testing.T, c *Config) {
			if c.BrokerName != "broker-a" || c.BrokerRole != AsyncMaster || c.FileReservedTime != 48 || c.DeleteWhen != "04" {
				t.Errorf("%+v", c)
			}
		}},
		{"2m-2s-sync/broker-a.properties", func(t *testing.T, c *Config) {
			if c.BrokerRole != SyncMaster || c.BrokerID != 0 {
				t.Errorf("%v %d", c.BrokerRole, c.BrokerID)
			}
		}},
		{"2m-2s-sync/broker-a-s.properties", func(t *testing.T, c *Config) {
			if c.BrokerRole != Slave || c.BrokerID != 1 {
				t.Errorf("%v %d", c.BrokerRole, c.BrokerID)
			}
		}},
		{"production.properties", func(t *testing.T, c *Config) {
			if c.BrokerIP1 != "10.0.0.21" || c.BrokerIP2 != "10.0.0.21" {
				t.Errorf("ip %q %q", c.BrokerIP1, c.BrokerIP2)
			}
			if c.NamesrvAddrString() != "10.0.0.11:9876;10.0.0.12:9876" || c.DefaultTopicQueueNums != 4 || c.AutoCreateTopicEnable {
				t.Errorf("%+v", c)
			}
			if c.MappedFileSizeConsumeQueue != 300000 || c.EngineConfig().ConsumeQueue.EntriesPerFile != 15000 {
				t.Errorf("cq %d", c.MappedFileSizeConsumeQueue)
			}
			if c.FlushDiskType != SyncFlush || c.DiskMaxUsedSpaceRatio != 88 || !reflect.DeepEqual(c.DeleteHours, []int{4, 16}) {
				t.Errorf("%+v", c)
			}
			if v, _ := c.Value("sendMessageThreadPoolNums"); v != "128" {
				t.Errorf("sendMessageThreadPoolNums %q", v)
			}
			// Five keys RocketMQ never read: accepted with a warning each.
			n := 0
			for _, w := range c.Warnings {
				if strings.Contains(w, "is not a RocketMQ broker key") {
					n++
				}
			}
			if n != 5 {
				t.Errorf("warnings %q", c.Warnings)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			c, err := testLoader(noEnv).Load(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
	if _, err := testLoader(noEnv).Load("testdata/missing.conf"); err == nil || !strings.Contains(err.Error(), "missing.conf") {
		t.Errorf("missing file: %v", err)
	}
}

func TestDefaultFile(t *testing.T) {
	c, err := testLoader(noEnv).Parse("embedded", strings.NewReader(DefaultFile),
		Override{Key: "storePathRootDir", Value: "/tmp/quiver-run", Origin: "make run"})
	if err != nil {
		t.Fatal(err)
	}
	if c.BrokerClusterName != "DefaultCluster" || c.BrokerName != "broker-a" || c.NamesrvAddrString() != "" /* standalone */ ||
		c.FlushDiskType != AsyncFlush || c.StorePathRootDir != "/tmp/quiver-run" || c.Source("storePathRootDir") != "make run" {
		t.Errorf("%+v", c)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings %q", c.Warnings)
	}
}

// TestTable checks the key table itself.
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range table {
		for _, n := range append([]string{k.name}, k.aliases...) {
			if seen[n] {
				t.Errorf("%s listed twice", n)
			}
			seen[n] = true
			if lookup(n) == nil || suggest(n) != n {
				t.Errorf("%s: lookup or suggest broken", n)
			}
		}
		if k.help == "" || k.set == nil || k.get == nil || k.effect == 0 || k.kind == 0 {
			t.Errorf("%s: incomplete row", k.name)
		}
	}
	// Every key round-trips: its printed value parses back to itself.
	c := mustParse(t, "")
	for _, k := range table {
		v := k.get(c)
		if err := k.set(c, v); err != nil || k.get(c) != v {
			t.Errorf("%s: %q does not round-trip (%v)", k.name, v, err)
		}
	}
	infos := Keys()
	if len(infos) != len(table) || infos[0].Name != "brokerClusterName" {
		t.Fatalf("Keys: %d", len(infos))
	}
	for _, ki := range infos {
		if ki.Name == "brokerName" && ki.Default != "(host name)" {
			t.Errorf("brokerName default %q", ki.Default)
		}
		if ki.Name == "sendMessageThreadPoolNums" && ki.Effect != NoEffect {
			t.Errorf("sendMessageThreadPoolNums effect %v", ki.Effect)
		}
	}
}

func TestParseDelayLevels(t *testing.T) {
	got, err := ParseDelayLevels(" 1s  2m\t3h 1d ")
	want := []time.Duration{time.Second, 2 * time.Minute, 3 * time.Hour, 24 * time.Hour}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("%v %v", got, err)
	}
	for _, bad := range []string{"", "   ", "s", "1", "1w", "-1s", "1.5s", "99999999999999999d"} {
		if _, err := ParseDelayLevels(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"a", "", 1}, {"kitten", "sitting", 3}, {"brokernmae", "brokername", 2}} {
		if d := props.EditDistance(tc.a, tc.b); d != tc.d {
			t.Errorf("%q %q: %d, want %d", tc.a, tc.b, d, tc.d)
		}
	}
}

func TestDetectHost(t *testing.T) {
	h := DetectHost()
	if ip := net.ParseIP(h.IPv4); ip == nil || ip.To4() == nil || h.Name == "" || h.NumCPU < 1 {
		t.Errorf("%+v", h)
	}
	c, err := Loader{Env: noEnv, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.BrokerIP1 != h.IPv4 || c.BrokerName != h.Name {
		t.Errorf("%q %q", c.BrokerIP1, c.BrokerName)
	}
}

// TestCommitLogCacheWindow: the default follows the host's free page
// reporting, a value in the file wins, and a negative one is refused.
func TestCommitLogCacheWindow(t *testing.T) {
	if w := mustParse(t, "").EngineConfig().CommitLog.CacheWindow; w != 0 {
		t.Errorf("default without free page reporting: %d, want 0", w)
	}
	h := testHost
	h.FreePageReporting = true
	l := Loader{Env: noEnv, Host: &h, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for text, want := range map[string]int64{"": 1 << 30, "commitLogCacheWindow=0\n": 0, "commitLogCacheWindow=268435456\n": 256 << 20} {
		c, err := l.Parse("broker.conf", strings.NewReader(text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if w := c.EngineConfig().CommitLog.CacheWindow; w != want {
			t.Errorf("%q with free page reporting: %d, want %d", text, w, want)
		}
	}
	for _, v := range []string{"-1", "1GiB"} {
		if _, err := parse(t, "commitLogCacheWindow="+v+"\n"); err == nil {
			t.Errorf("commitLogCacheWindow=%s accepted", v)
		}
	}
}

// TestFreePageReporting reads a virtio-balloon device's feature bits as
// sysfs shows them (this dev machine's device: "0110010...").
func TestFreePageReporting(t *testing.T) {
	dir := t.TempDir()
	if freePageReporting(filepath.Join(dir, "none")) {
		t.Error("no driver directory: reported")
	}
	for i, tc := range []struct {
		features string
		want     bool
	}{{"0110000000", false}, {"0110010000", true}, {"011", false}} {
		drv := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(filepath.Join(drv, "virtio3"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(drv, "virtio3", "features"), []byte(tc.features+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := freePageReporting(drv); got != tc.want {
			t.Errorf("features %s: %v, want %v", tc.features, got, tc.want)
		}
	}
}

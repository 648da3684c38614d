package conf

import _ "embed"

// DefaultFile is the broker.conf `make run` starts with: cluster
// DefaultCluster, broker broker-a, ASYNC_MASTER, ASYNC_FLUSH, name server
// 127.0.0.1:9876, brokerIP1 127.0.0.1. storePathRootDir is left to its
// default (or an Override). Load it with
//
//	conf.Loader{}.Parse("embedded broker.conf", strings.NewReader(conf.DefaultFile), overrides...)
//
//go:embed broker.conf
var DefaultFile string

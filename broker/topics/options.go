package topics

import (
	"fmt"
	"log/slog"
	"time"
)

// Options configures a Manager. Field names follow broker.conf keys where
// one exists. Start from DefaultOptions.
type Options struct {
	// Path is the table's file, <storePathRootDir>/config/topics.json.
	// Empty keeps the table in memory only (Load and Persist do nothing).
	Path string
	// BrokerName (brokerName) names the broker's own system topic.
	// Required.
	BrokerName string
	// ClusterName (brokerClusterName) names the cluster's system topic and
	// reply topic. Default "DefaultCluster".
	ClusterName string
	// DefaultQueueNums (defaultTopicQueueNums) is TBW102's read and write
	// queue count. Default 8.
	DefaultQueueNums int32
	// AutoCreateTopicEnable (autoCreateTopicEnable) creates TBW102 with
	// the inherit bit, so SENDs to unknown topics create them. Default
	// true.
	AutoCreateTopicEnable bool
	// ClusterTopicEnable (clusterTopicEnable) gives the cluster topic
	// read and write permission besides inherit. Default true.
	ClusterTopicEnable bool
	// BrokerTopicEnable (brokerTopicEnable) gives the broker topic read
	// and write permission besides inherit. Default true.
	BrokerTopicEnable bool
	// TraceTopicEnable (traceTopicEnable) creates TraceTopicName at start.
	// Default false.
	TraceTopicEnable bool
	// TraceTopicName (msgTraceTopicName). Default RMQ_SYS_TRACE_TOPIC.
	TraceTopicName string
	// BrokerPermission (brokerPermission) is the broker-wide permission,
	// PermRead|PermWrite by default; SetBrokerPermission changes it later.
	BrokerPermission int32
	// Clock gives the DataVersion timestamps. Default time.Now.
	Clock func() time.Time
	// Logger receives topic creations, deletions and load problems.
	// Default slog.Default().
	Logger *slog.Logger
	// DeferPersist stops mutations from writing the file themselves: the
	// owner calls Persist, for example on each Changed signal, off the
	// event loops. By default every mutation persists before it returns,
	// as Java does.
	DeferPersist bool
}

// DefaultOptions returns RocketMQ 4.9.4's defaults for brokerName.
func DefaultOptions(brokerName string) Options {
	return Options{
		BrokerName:            brokerName,
		ClusterName:           "DefaultCluster",
		DefaultQueueNums:      8,
		AutoCreateTopicEnable: true,
		ClusterTopicEnable:    true,
		BrokerTopicEnable:     true,
		TraceTopicName:        TopicTrace,
		BrokerPermission:      PermRead | PermWrite,
		Clock:                 time.Now,
		Logger:                slog.Default(),
	}
}

// Validate reports the first field out of range. Clock and Logger may be
// nil (New fills them in).
func (o *Options) Validate() error {
	switch {
	case o.BrokerName == "":
		return fmt.Errorf("%w: empty BrokerName", ErrInvalidConfig)
	case o.ClusterName == "":
		return fmt.Errorf("%w: empty ClusterName", ErrInvalidConfig)
	case o.DefaultQueueNums <= 0:
		return fmt.Errorf("%w: DefaultQueueNums %d must be positive", ErrInvalidConfig, o.DefaultQueueNums)
	case o.BrokerPermission < 0 || o.BrokerPermission > 15:
		return fmt.Errorf("%w: BrokerPermission %d outside 0..15", ErrInvalidConfig, o.BrokerPermission)
	}
	if o.TraceTopicEnable {
		if err := ValidateTopic(o.TraceTopicName); err != nil {
			return fmt.Errorf("%w: TraceTopicName %q: %w", ErrInvalidConfig, o.TraceTopicName, err)
		}
	}
	return nil
}

package protocol

// Which typed header goes with which request code. The broker and name
// server decode into their own reused structs; this table is for code that
// handles many codes generically (fuzzing, tracing, tests).

// NewRequestHeader returns a new zero header for requests with code, or nil
// when Quiver has no typed header for it here. Codes whose request carries
// no custom fields get EmptyHeader. SEND_MESSAGE, SEND_MESSAGE_V2,
// SEND_BATCH_MESSAGE and PULL_MESSAGE headers live in header_send.go and
// header_pull.go and are not listed.
func NewRequestHeader(code RequestCode) Header {
	switch code {
	// name server
	case RegisterBroker:
		return new(RegisterBrokerRequestHeader)
	case UnregisterBroker, QueryDataVersion:
		return new(BrokerIdentityHeader)
	case GetRouteInfoByTopic:
		return new(GetRouteInfoRequestHeader)
	case DeleteTopicInNamesrv:
		return new(DeleteTopicFromNamesrvRequestHeader)
	case PutKVConfig:
		return new(PutKVConfigRequestHeader)
	case GetKVConfig, DeleteKVConfig:
		return new(KVConfigKeyHeader)
	case GetKVListByNamespace:
		return new(GetKVListByNamespaceRequestHeader)
	case WipeWritePermOfBroker, AddWritePermOfBroker:
		return new(BrokerNameHeader)
	case GetTopicsByCluster:
		return new(GetTopicsByClusterRequestHeader)

	// broker, clients
	case QueryConsumerOffset:
		return new(QueryConsumerOffsetRequestHeader)
	case UpdateConsumerOffset:
		return new(UpdateConsumerOffsetRequestHeader)
	case GetMaxOffset, GetMinOffset, GetEarliestMsgStoreTime:
		return new(TopicQueueHeader)
	case SearchOffsetByTimestamp:
		return new(SearchOffsetRequestHeader)
	case QueryMessage:
		return new(QueryMessageRequestHeader)
	case ViewMessageByID:
		return new(ViewMessageRequestHeader)
	case UnregisterClient:
		return new(UnregisterClientRequestHeader)
	case ConsumerSendMsgBack:
		return new(ConsumerSendMsgBackRequestHeader)
	case EndTransaction:
		return new(EndTransactionRequestHeader)
	case CheckTransactionState:
		return new(CheckTransactionStateRequestHeader)
	case GetConsumerListByGroup, NotifyConsumerIDsChanged, GetConsumerConnectionList:
		return new(ConsumerGroupHeader)

	// broker, admin
	case UpdateAndCreateTopic:
		return new(CreateTopicRequestHeader)
	case DeleteTopicInBroker, GetTopicStatsInfo, QueryTopicConsumeByWho:
		return new(TopicHeader)
	case DeleteSubscriptionGroup:
		return new(DeleteSubscriptionGroupRequestHeader)
	case GetConsumeStats:
		return new(GetConsumeStatsRequestHeader)
	case GetProducerConnectionList:
		return new(GetProducerConnectionListRequestHeader)
	case ResetConsumerClientOffset, InvokeBrokerToResetOffset:
		return new(ResetOffsetRequestHeader)
	case GetConsumerStatusFromClient, InvokeBrokerToGetConsumerStatus:
		return new(GetConsumerStatusRequestHeader)
	case GetConsumerRunningInfo:
		return new(GetConsumerRunningInfoRequestHeader)
	case ConsumeMessageDirectly:
		return new(ConsumeMessageDirectlyResultRequestHeader)
	case QueryCorrectionOffset:
		return new(QueryCorrectionOffsetRequestHeader)
	case CloneGroupOffset:
		return new(CloneGroupOffsetRequestHeader)

	// no custom header
	case HeartBeat, LockBatchMQ, UnlockBatchMQ, GetAllTopicConfig, GetAllConsumerOffset,
		GetAllDelayOffset, GetAllSubscriptionGroupConfig, UpdateAndCreateSubscriptionGroup,
		GetBrokerRuntimeInfo, CheckClientConfig, GetBrokerConfig, UpdateBrokerConfig,
		GetBrokerClusterInfo, GetAllTopicListFromNameserver, GetSystemTopicListFromNs,
		GetUnitTopicList, GetHasUnitSubTopicList, GetHasUnitSubUnunitTopicList,
		UpdateNamesrvConfig, GetNamesrvConfig:
		return EmptyHeader{}
	}
	return nil
}

// NewResponseHeader returns a new zero header for a successful response to
// a request with code, or nil when Quiver has no typed header for it here.
// Responses without custom fields get EmptyHeader.
func NewResponseHeader(code RequestCode) Header {
	switch code {
	case RegisterBroker:
		return new(RegisterBrokerResponseHeader)
	case QueryDataVersion:
		return new(QueryDataVersionResponseHeader)
	case GetKVConfig:
		return new(GetKVConfigResponseHeader)
	case WipeWritePermOfBroker:
		return new(WipeWritePermOfBrokerResponseHeader)
	case AddWritePermOfBroker:
		return new(AddWritePermOfBrokerResponseHeader)
	case QueryConsumerOffset, GetMaxOffset, GetMinOffset, SearchOffsetByTimestamp:
		return new(OffsetResponseHeader)
	case GetEarliestMsgStoreTime:
		return new(GetEarliestMsgStoreTimeResponseHeader)
	case QueryMessage:
		return new(QueryMessageResponseHeader)
	case GetBrokerConfig:
		return new(GetBrokerConfigResponseHeader)
	case UnregisterBroker, GetRouteInfoByTopic, DeleteTopicInNamesrv, PutKVConfig,
		DeleteKVConfig, GetKVListByNamespace, GetTopicsByCluster, UpdateConsumerOffset,
		ViewMessageByID, HeartBeat, UnregisterClient, ConsumerSendMsgBack, EndTransaction,
		GetConsumerListByGroup, LockBatchMQ, UnlockBatchMQ, UpdateAndCreateTopic,
		DeleteTopicInBroker, GetAllTopicConfig, UpdateAndCreateSubscriptionGroup,
		DeleteSubscriptionGroup, GetTopicStatsInfo, GetConsumeStats,
		GetConsumerConnectionList, GetProducerConnectionList, QueryTopicConsumeByWho,
		ResetConsumerClientOffset, InvokeBrokerToResetOffset, GetConsumerRunningInfo,
		ConsumeMessageDirectly, GetBrokerRuntimeInfo, QueryCorrectionOffset,
		CloneGroupOffset, CheckClientConfig, UpdateBrokerConfig, GetBrokerClusterInfo,
		GetAllTopicListFromNameserver, GetAllConsumerOffset, GetAllDelayOffset,
		GetAllSubscriptionGroupConfig, GetConsumerStatusFromClient,
		InvokeBrokerToGetConsumerStatus, GetSystemTopicListFromNs, GetUnitTopicList,
		GetHasUnitSubTopicList, GetHasUnitSubUnunitTopicList, UpdateNamesrvConfig,
		GetNamesrvConfig:
		return EmptyHeader{}
	}
	return nil
}

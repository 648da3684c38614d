package broker

import (
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// register installs every handler: the one table of what the broker
// serves. A code not here is answered REQUEST_CODE_NOT_SUPPORTED by netio.
func (b *Broker) register(srv *netio.Server) {
	for code, h := range map[protocol.RequestCode]netio.Handler{
		protocol.SendMessage:      b.send,
		protocol.SendMessageV2:    b.send,
		protocol.SendBatchMessage: b.send,
		protocol.PullMessage:      b.pull,

		protocol.HeartBeat:               b.heartbeat,
		protocol.UnregisterClient:        b.unregisterClient,
		protocol.GetConsumerListByGroup:  b.consumerList,
		protocol.QueryConsumerOffset:     b.queryConsumerOffset,
		protocol.UpdateConsumerOffset:    b.updateConsumerOffset,
		protocol.GetMaxOffset:            b.offsetQuery,
		protocol.GetMinOffset:            b.offsetQuery,
		protocol.SearchOffsetByTimestamp: b.searchOffset,
		protocol.GetEarliestMsgStoreTime: b.earliestStoreTime,
		protocol.LockBatchMQ:             b.lockBatch,
		protocol.ConsumerSendMsgBack:     b.consumerSendMsgBack,
		protocol.EndTransaction:          b.endTransaction,
		protocol.CheckClientConfig:       b.checkClientConfig,
		protocol.UnlockBatchMQ:           b.unlockBatch,
	} {
		srv.Register(code, h)
	}
	b.registerAdmin(srv)
}

package broker

import (
	"errors"

	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/engine/commitlog"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// responseFor maps an error from the engine, the topic table or a decoder
// to the response code and remark RocketMQ clients expect. It is the one
// place that decides; handlers call replyErr.
func responseFor(err error) (protocol.ResponseCode, string) {
	switch {
	case err == nil:
		return protocol.Success, ""
	case errors.Is(err, commitlog.ErrFlushTimeout):
		// SendResult FLUSH_DISK_TIMEOUT: the record is stored but not
		// known to be durable; client-go reports it as such.
		return protocol.FlushDiskTimeout, err.Error()
	case errors.Is(err, engine.ErrDiskFull):
		return protocol.ServiceNotAvailable, "service not available now: the broker's disk is full (" + err.Error() + "); reads go on, writes resume when space returns"
	case errors.Is(err, engine.ErrClosed), errors.Is(err, commitlog.ErrClosed):
		return protocol.ServiceNotAvailable, "service not available now: the broker is shutting down"
	case errors.Is(err, commitlog.ErrRecordTooLarge):
		return protocol.MessageIllegal, err.Error()
	case errors.Is(err, engine.ErrInvalidQueue), errors.Is(err, engine.ErrInvalidTopic):
		return protocol.SystemError, err.Error()
	}
	return protocol.ResponseFor(err)
}

// replyErr answers req with the response for err.
func replyErr(req *netio.Request, err error) {
	code, remark := responseFor(err)
	_ = req.ReplyCode(code, remark)
}

// respondErr answers a parked request with the response for err.
func respondErr(r *netio.Responder, err error) {
	code, remark := responseFor(err)
	var resp protocol.Command
	resp.Code = int32(code)
	resp.SetRemark(remark)
	_ = r.Reply(&resp)
}

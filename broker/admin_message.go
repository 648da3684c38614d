package broker

// Message lookups (4.9.4 QueryMessageProcessor): by commit-log offset
// (the offset message id) and by key through the index. Both answer with
// stored records, written from the commit-log mapping with no copy: the
// segments stay pinned until the reply's write completes.

import (
	"errors"
	"strconv"

	"github.com/quivermq/quiver/engine"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

// maxQueryMessages caps QUERY_MESSAGE's maxNum, as RocketMQ caps it at
// maxMsgsNumBatch (default 64; that key has no effect in Quiver).
const maxQueryMessages = 64

// viewMessage serves VIEW_MESSAGE_BY_ID (33): the header's offset is the
// commit-log offset decoded from an offset message id; the body is the
// stored record at it, as it is on disk. SYSTEM_ERROR "can not find
// message by the offset, N" when no record starts there.
func (a *admin) viewMessage(req *netio.Request) {
	var h protocol.ViewMessageRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	notFound := "can not find message by the offset, " + strconv.FormatInt(h.Offset, 10)
	if h.Offset < 0 {
		_ = req.ReplyCode(protocol.SystemError, notFound)
		return
	}
	rec, pin, err := a.store.ReadByPhys(h.Offset)
	if err != nil {
		if errors.Is(err, engine.ErrClosed) {
			replyErr(req, err)
			return
		}
		_ = req.ReplyCode(protocol.SystemError, notFound+" ("+err.Error()+")")
		return
	}
	if rec.IsFiller() {
		pin.Release()
		_ = req.ReplyCode(protocol.SystemError, notFound)
		return
	}
	resp := req.Response(protocol.Success)
	if err := req.ReplyParts(resp, [][]byte{rec}, func(error) { pin.Release() }); err != nil {
		// ReplyParts called done (the pin is released).
		a.log.Debug("VIEW_MESSAGE_BY_ID reply", "err", err)
	}
}

// queryMessage serves QUERY_MESSAGE (12): up to maxNum records of the topic
// stored in [beginTimestamp, endTimestamp] whose KEYS hold key or whose
// UNIQ_KEY is key, newest first, concatenated in the body. With
// _UNIQUE_KEY_QUERY=true, maxNum is defaultQueryMaxNum (Java does the
// same); it is capped at 64 either way. QUERY_NOT_FOUND when none is
// found. Both answers carry indexLastUpdateTimestamp and
// indexLastUpdatePhyoffset. With messageIndexEnable=false there is no
// index to query: SYSTEM_ERROR saying so.
func (a *admin) queryMessage(req *netio.Request) {
	var h protocol.QueryMessageRequestHeader
	if err := h.Decode(&req.Command().Ext); err != nil {
		replyErr(req, err)
		return
	}
	maxNum := int(h.MaxNum)
	if h.UniqueKeyQuery {
		maxNum = a.cfg.DefaultQueryMaxNum
	}
	maxNum = min(maxNum, maxQueryMessages)
	res, err := a.store.QueryByKey(h.Topic, h.Key, maxNum, h.BeginTimestamp, h.EndTimestamp)
	if err != nil {
		if errors.Is(err, engine.ErrIndexDisabled) {
			_ = req.ReplyCode(protocol.SystemError, "QUERY_MESSAGE is not available: the broker's message index is disabled (messageIndexEnable=false)")
			return
		}
		replyErr(req, err)
		return
	}
	rh := protocol.QueryMessageResponseHeader{
		IndexLastUpdateTimestamp: res.IndexLastUpdateTimestamp,
		IndexLastUpdatePhyoffset: res.IndexLastUpdatePhyOffset,
	}
	if len(res.Records) == 0 {
		res.Release()
		resp := req.Response(protocol.QueryNotFound)
		resp.SetRemark("can not find message, maybe time range not correct")
		rh.Encode(&resp.Ext)
		_ = req.Reply(resp)
		return
	}
	resp := req.Response(protocol.Success)
	rh.Encode(&resp.Ext)
	if err := req.ReplyParts(resp, recordParts(res.Records), func(error) { res.Release() }); err != nil {
		// ReplyParts called done (the pins are released).
		a.log.Debug("QUERY_MESSAGE reply", "err", err)
	}
}

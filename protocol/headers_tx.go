package protocol

// Custom headers of transactional messages: END_TRANSACTION (37), producer →
// broker, and CHECK_TRANSACTION_STATE (39), broker → producer (4.9.4
// EndTransactionRequestHeader, CheckTransactionStateRequestHeader).

// Values of EndTransactionRequestHeader.CommitOrRollback: the transaction
// type bits of the message sysFlag (MessageSysFlag.java). Wire format, never
// change.
const (
	TransactionNotType      int32 = 0
	TransactionCommitType   int32 = 0x2 << 2
	TransactionRollbackType int32 = 0x3 << 2
)

// EndTransactionRequestHeader is END_TRANSACTION (37). client-go sends it
// without the oneway flag and reads no answer.
type EndTransactionRequestHeader struct {
	ProducerGroup        string // required
	TranStateTableOffset int64  // required: queue offset of the half message
	CommitLogOffset      int64  // required: commit-log offset of the half message
	// CommitOrRollback is required and one of TransactionNotType,
	// TransactionCommitType, TransactionRollbackType; Decode rejects others
	// with Java's remark "commitOrRollback field wrong".
	CommitOrRollback     int32
	FromTransactionCheck bool   // optional, default false
	MsgID                string // required (may be empty): the UNIQ_KEY
	TransactionID        string // optional
}

// Encode implements Header.
func (h *EndTransactionRequestHeader) Encode(e *ExtFields) {
	e.AddString("producerGroup", h.ProducerGroup)
	e.AddInt("tranStateTableOffset", h.TranStateTableOffset)
	e.AddInt("commitLogOffset", h.CommitLogOffset)
	e.AddInt("commitOrRollback", int64(h.CommitOrRollback))
	e.AddBool("fromTransactionCheck", h.FromTransactionCheck)
	e.AddString("msgId", h.MsgID)
	addOptString(e, "transactionId", h.TransactionID)
}

// Decode implements Header.
func (h *EndTransactionRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.ProducerGroup = r.str("producerGroup", true)
	h.TranStateTableOffset = r.i64("tranStateTableOffset", true, 0)
	h.CommitLogOffset = r.i64("commitLogOffset", true, 0)
	h.CommitOrRollback = r.i32("commitOrRollback", true, 0)
	h.FromTransactionCheck = r.boolean("fromTransactionCheck", false, false)
	h.MsgID = r.str("msgId", true)
	h.TransactionID = r.str("transactionId", false)
	if r.err == nil {
		switch h.CommitOrRollback {
		case TransactionNotType, TransactionCommitType, TransactionRollbackType:
		default:
			r.fail(invalidField("commitOrRollback field wrong"))
		}
	}
	return r.err
}

// CheckTransactionStateRequestHeader is CHECK_TRANSACTION_STATE (39), sent
// oneway by the broker to a producer of the half message's group; the body
// is the half message in stored format with its real topic and queue.
type CheckTransactionStateRequestHeader struct {
	TranStateTableOffset int64  // required
	CommitLogOffset      int64  // required
	MsgID                string // optional: the UNIQ_KEY
	TransactionID        string // optional
	OffsetMsgID          string // optional
}

// Encode implements Header.
func (h *CheckTransactionStateRequestHeader) Encode(e *ExtFields) {
	e.AddInt("tranStateTableOffset", h.TranStateTableOffset)
	e.AddInt("commitLogOffset", h.CommitLogOffset)
	addOptString(e, "msgId", h.MsgID)
	addOptString(e, "transactionId", h.TransactionID)
	addOptString(e, "offsetMsgId", h.OffsetMsgID)
}

// Decode implements Header.
func (h *CheckTransactionStateRequestHeader) Decode(e *ExtFields) error {
	r := fieldReader{e: e}
	h.TranStateTableOffset = r.i64("tranStateTableOffset", true, 0)
	h.CommitLogOffset = r.i64("commitLogOffset", true, 0)
	h.MsgID = r.str("msgId", false)
	h.TransactionID = r.str("transactionId", false)
	h.OffsetMsgID = r.str("offsetMsgId", false)
	return r.err
}

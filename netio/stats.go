package netio

import (
	"fmt"
	"sync/atomic"
)

// Stats is a snapshot of a Server's counters. Counters only grow except
// ConnsOpen and InFlight, which are current values.
type Stats struct {
	ConnsOpen       int64 // connections open now
	ConnsAccepted   int64 // connections accepted and kept
	ConnsRefused    int64 // connections closed at once (MaxConns, shutdown)
	ConnsIdleClosed int64 // connections closed by IdleTimeout
	FramesIn        int64 // frames decoded (requests and responses)
	ResponsesIn     int64 // responses to server-initiated requests
	LateResponses   int64 // responses with no pending call (timed out, unknown)
	UnknownCodes    int64 // requests answered REQUEST_CODE_NOT_SUPPORTED
	HandlerPanics   int64 // handler panics answered SYSTEM_ERROR
	BrokenFrames    int64 // frames that failed to split or decode (conn closed)
	RepliesOut      int64 // replies handed to the kernel or gnet's buffer
	RequestsOut     int64 // server-initiated requests written
	BytesIn         int64 // frame bytes consumed
	BytesOut        int64 // bytes handed to writev
	Writevs         int64 // writev calls (one per wake-up or async batch)
	InFlight        int64 // requests whose handler kept a Responder, unanswered
}

// String formats s on one line.
func (s Stats) String() string {
	return fmt.Sprintf("conns open=%d accepted=%d refused=%d idle=%d | frames in=%d responses in=%d late=%d unknown=%d panics=%d broken=%d | replies out=%d requests out=%d writevs=%d | bytes in=%d out=%d | in flight=%d",
		s.ConnsOpen, s.ConnsAccepted, s.ConnsRefused, s.ConnsIdleClosed,
		s.FramesIn, s.ResponsesIn, s.LateResponses, s.UnknownCodes, s.HandlerPanics, s.BrokenFrames,
		s.RepliesOut, s.RequestsOut, s.Writevs, s.BytesIn, s.BytesOut, s.InFlight)
}

// counters are live counters: the server's own (connection events) and
// one set per event loop (traffic), so loops never write a shared cache
// line. Loops add once per wake-up, not once per frame.
type counters struct {
	connsOpen, connsAccepted, connsRefused, connsIdleClosed atomic.Int64
	framesIn, responsesIn, lateResponses, unknownCodes      atomic.Int64
	handlerPanics, brokenFrames                             atomic.Int64
	repliesOut, requestsOut, bytesIn, bytesOut, writevs     atomic.Int64
}

// addTo adds c's values to st.
func (c *counters) addTo(st *Stats) {
	st.ConnsOpen += c.connsOpen.Load()
	st.ConnsAccepted += c.connsAccepted.Load()
	st.ConnsRefused += c.connsRefused.Load()
	st.ConnsIdleClosed += c.connsIdleClosed.Load()
	st.FramesIn += c.framesIn.Load()
	st.ResponsesIn += c.responsesIn.Load()
	st.LateResponses += c.lateResponses.Load()
	st.UnknownCodes += c.unknownCodes.Load()
	st.HandlerPanics += c.handlerPanics.Load()
	st.BrokenFrames += c.brokenFrames.Load()
	st.RepliesOut += c.repliesOut.Load()
	st.RequestsOut += c.requestsOut.Load()
	st.BytesIn += c.bytesIn.Load()
	st.BytesOut += c.bytesOut.Load()
	st.Writevs += c.writevs.Load()
}

// Package load is the client-independent core of bench/producer and
// bench/consumer: their flags and settings, the sender loops (sync, async
// with a window of requests in flight, oneway; single messages or
// batches), the pull loops (queues split among them, periodic offset
// commits), and the stop conditions (duration, message count, idle time,
// cancellation). The tools adapt package client to the small Sender and
// Source interfaces here, so everything but that thin adapter is tested
// without a broker.
//
// # Concurrency
//
// Produce runs Concurrency sender goroutines; Consume runs one goroutine
// per pull loop. Both return after every goroutine they started has
// returned. Sender and Source methods are called from those goroutines
// concurrently (Sender.SendAsync callbacks from whatever goroutine the
// client uses) and must be safe for that.
package load

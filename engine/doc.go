// Package engine is Quiver's storage engine: the commit log in mmap'd,
// pre-allocated segments, consume queues, the key index, group commit,
// dispatch, recovery and retention (DESIGN.md sections 3, 4 and 6).
//
// It knows nothing of sockets or of the remoting protocol; it imports
// message for the record layout. The engine is built by issue 3; until then
// this package holds no code.
package engine

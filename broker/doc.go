// Package broker wires remoting request handlers to the storage engine: one
// file per request code, registered in one table, with engine errors mapped
// to response codes in one function. Built by issue 4.
package broker

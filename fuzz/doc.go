// Package fuzz holds the cross-package fuzz targets of Quiver's wire and
// storage decoders: frame splitting under arbitrary chunking, the JSON and
// ROCKETMQ remoting headers, the properties string, stored records and
// SEND_BATCH_MESSAGE bodies (STYLE.md §8).
//
// The package has no non-test code. Each target asserts invariants beyond
// "no panic": decode → encode → decode gives equal values, canonical inputs
// re-encode byte for byte, a valid prefix re-parses identically, and views
// never reach past the bytes they describe. Seed corpora include frames and a
// batch body captured from rocketmq-client-go v2.1.2.
//
// Run one target with
//
//	go test -run '^$' -fuzz '^FuzzFrameSplitter$' -fuzztime 60s ./fuzz/
//
// and all seed corpora, as CI does, with go test ./fuzz/. TestMain lowers
// -fuzzminimizetime to 5 s unless it is given: Go's minimizer is quadratic
// in input size, and with its 60 s default a 60 s run spent most of its time
// minimizing inputs grown from the 1.5 KB client-go frame.
package fuzz

// Package client is a lean Go client for Quiver and Apache RocketMQ brokers:
// producer, pull consumer and the admin calls that bench/ and tools/ need,
// built on netio's client. Built by issue 6.
package client

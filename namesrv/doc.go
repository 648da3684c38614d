// Package namesrv is the name server: the route table, broker liveness and
// the KV config, served over netio. Built by issue 4.
package namesrv

// Package tools holds the mqadmin-style administration commands, built on
// package client. cmd/mqadmin is their command-line front end.
package tools

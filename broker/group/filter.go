package group

// Subscription filters (4.9.4 FilterAPI, SubscriptionData,
// ExpressionMessageFilter). A tag expression is "*" or "" (every message)
// or tags joined by "||": each part is trimmed and empty parts are dropped.
// The broker matches a consume-queue entry's tags code against the hash
// codes of the tags; because hashes collide, a reader that has the message
// re-checks the tag itself (MatchTag), as the clients do.

import (
	"slices"
	"strings"

	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/protocol"
)

// Subscription is a consumer group's parsed subscription to one topic.
// Once published by Consumers it is immutable and shared by every reader:
// do not modify it or the slices it returns.
type Subscription struct {
	// Topic is the subscribed topic.
	Topic string
	// Expression is the expression as the client sent it (subString).
	Expression string
	// Type is protocol.ExpressionTag or protocol.ExpressionSQL92; "" from
	// a client is stored as ExpressionTag. Other values are kept as sent
	// (the pull handler refuses them, as RocketMQ does).
	Type string
	// SubVersion orders the subscriptions of a group: a heartbeat replaces
	// a stored subscription only with a larger one.
	SubVersion int64
	// ClassFilterMode is the obsolete class-filter flag; such a
	// subscription matches every message here.
	ClassFilterMode bool

	// Compiled is the result of Config.CompileSQL92 for a SQL92
	// subscription (nil otherwise, or when no compiler is configured), for
	// the pull path's property filter. CompileErr is its error.
	Compiled   any
	CompileErr error

	all   bool
	tags  []string // sorted, unique
	codes []int32  // sorted, unique; Java String.hashCode of tags
}

// NewSubscription parses expression as a subscription of type
// expressionType ("" means TAG). Tag codes are computed here with Java's
// String.hashCode, whatever codes a client sent.
func NewSubscription(topic, expression, expressionType string, subVersion int64) *Subscription {
	s := &Subscription{
		Topic:      topic,
		Expression: expression,
		Type:       expressionType,
		SubVersion: subVersion,
	}
	if s.Type == "" {
		s.Type = protocol.ExpressionTag
	}
	if s.Type == protocol.ExpressionTag {
		s.tags, s.all = ParseTags(expression)
		if !s.all {
			s.codes = make([]int32, 0, len(s.tags))
			for _, t := range s.tags {
				s.codes = append(s.codes, message.JavaHashCode(t))
			}
			slices.Sort(s.codes)
			s.codes = slices.Compact(s.codes)
		}
	}
	return s
}

// subscriptionFromData converts a heartbeat subscription. The client's
// tagsSet and codeSet are ignored: the tags are parsed again from
// subString and hashed here (client-go hashes UTF-8 bytes, not UTF-16).
func subscriptionFromData(sd *protocol.SubscriptionData) *Subscription {
	s := NewSubscription(sd.Topic, sd.SubString, sd.ExpressionType, sd.SubVersion)
	s.ClassFilterMode = sd.ClassFilterMode
	return s
}

// ParseTags splits a tag expression into its sorted, unique tags. all is
// true for "*" and for an empty (or blank) expression; tags is then nil.
// A "*" among other tags is an ordinary tag, as in RocketMQ.
func ParseTags(expression string) (tags []string, all bool) {
	e := strings.TrimSpace(expression)
	if e == "" || e == protocol.SubAll {
		return nil, true
	}
	for {
		part, rest, found := strings.Cut(e, "||")
		if t := strings.TrimSpace(part); t != "" {
			tags = append(tags, t)
		}
		if !found {
			break
		}
		e = rest
	}
	if len(tags) == 0 {
		// "||" alone: RocketMQ builds an empty tag set that matches
		// nothing; keep that (all stays false).
		return nil, false
	}
	slices.Sort(tags)
	return slices.Compact(tags), false
}

// All reports whether s matches every message by tag: a "*" or empty TAG
// expression, or class-filter mode.
func (s *Subscription) All() bool { return s.all || s.ClassFilterMode }

// IsTag reports whether s is a TAG subscription.
func (s *Subscription) IsTag() bool { return s.Type == protocol.ExpressionTag }

// Tags returns the parsed tags, sorted (nil for "*"). Read-only.
func (s *Subscription) Tags() []string { return s.tags }

// Codes returns the tags' Java hash codes, sorted (nil for "*").
// Read-only.
func (s *Subscription) Codes() []int32 { return s.codes }

// MatchTagsCode reports whether a consume-queue entry with tags code code
// may match: true for a nil subscription, for All, and for any non-TAG type
// (SQL92 is decided on the message's properties, elsewhere); otherwise
// whether the code's low 32 bits are one of the tags' hash codes (Java
// compares tagsCode.intValue()). It does not allocate.
func (s *Subscription) MatchTagsCode(code int64) bool {
	if s == nil || s.all || s.ClassFilterMode || s.Type != protocol.ExpressionTag {
		return true
	}
	c := int32(code)
	if len(s.codes) <= 8 {
		for _, x := range s.codes {
			if x == c {
				return true
			}
		}
		return false
	}
	_, ok := slices.BinarySearch(s.codes, c)
	return ok
}

// MatchTag reports whether a message whose TAGS property is tag matches
// exactly: true for a nil subscription, All and non-TAG types; otherwise
// whether tag is one of the tags ("" never is). It does not allocate.
func (s *Subscription) MatchTag(tag string) bool {
	if s == nil || s.all || s.ClassFilterMode || s.Type != protocol.ExpressionTag {
		return true
	}
	if len(s.tags) <= 8 {
		for _, t := range s.tags {
			if t == tag {
				return true
			}
		}
		return false
	}
	_, ok := slices.BinarySearch(s.tags, tag)
	return ok
}

// sameFilter reports whether a and b filter alike (same topic, type,
// expression and mode); SubVersion is not compared.
func sameFilter(a, b *Subscription) bool {
	return a.Topic == b.Topic && a.Type == b.Type && a.Expression == b.Expression &&
		a.ClassFilterMode == b.ClassFilterMode
}

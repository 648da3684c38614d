package group

import (
	"slices"
	"testing"

	"github.com/quivermq/quiver/message"
	"github.com/quivermq/quiver/protocol"
)

func TestParseTags(t *testing.T) {
	for _, tc := range []struct {
		expr string
		tags []string
		all  bool
	}{
		{"*", nil, true},
		{"", nil, true},
		{"   ", nil, true},
		{" * ", nil, true},
		{"TagA", []string{"TagA"}, false},
		{"TagA || TagC", []string{"TagA", "TagC"}, false},
		{" TagA||TagB ", []string{"TagA", "TagB"}, false},
		{"TagB||TagA||TagB", []string{"TagA", "TagB"}, false},
		{"TagA|| ||TagB||", []string{"TagA", "TagB"}, false},
		{"TagA | TagB", []string{"TagA | TagB"}, false}, // a single '|' is part of the tag
		{"TagA || *", []string{"*", "TagA"}, false},     // "*" among tags is a plain tag
		{"||", nil, false},
		{"标签 || 😀", []string{"标签", "😀"}, false},
	} {
		tags, all := ParseTags(tc.expr)
		if all != tc.all || !slices.Equal(tags, tc.tags) {
			t.Errorf("ParseTags(%q) = %q, %v; want %q, %v", tc.expr, tags, all, tc.tags, tc.all)
		}
	}
}

func TestSubscriptionCodesAreJavaHashCodes(t *testing.T) {
	// Values of Java's String.hashCode.
	want := map[string]int32{
		"TagA":        2598919,
		"TagB":        2598920,
		"TagC":        2598921,
		"tagA":        3552231,
		"Hello World": -862545276,
		"标签":          857175,
		"😀":           1772899,
	}
	for tag, code := range want {
		s := NewSubscription("T", tag, "", 1)
		if !slices.Equal(s.Codes(), []int32{code}) {
			t.Errorf("%q: codes %v, want [%d]", tag, s.Codes(), code)
		}
		if !s.MatchTagsCode(message.TagsCode(tag)) {
			t.Errorf("%q: MatchTagsCode(TagsCode) = false", tag)
		}
	}
	s := NewSubscription("T", "TagA || TagC", protocol.ExpressionTag, 1)
	if !slices.Equal(s.Codes(), []int32{2598919, 2598921}) {
		t.Fatalf("codes %v", s.Codes())
	}
}

func TestSubscriptionMatch(t *testing.T) {
	s := NewSubscription("T", "TagA || TagC", "", 1)
	if s.Type != protocol.ExpressionTag || !s.IsTag() || s.All() {
		t.Fatalf("type %q all %v", s.Type, s.All())
	}
	for code, want := range map[int64]bool{
		2598919: true, 2598920: false, 2598921: true, 0: false,
		// Java compares tagsCode.intValue(): only the low 32 bits count.
		int64(2598919) | 1<<40: true,
	} {
		if got := s.MatchTagsCode(code); got != want {
			t.Errorf("MatchTagsCode(%d) = %v, want %v", code, got, want)
		}
	}
	for tag, want := range map[string]bool{"TagA": true, "TagB": false, "TagC": true, "": false, "taga": false} {
		if got := s.MatchTag(tag); got != want {
			t.Errorf("MatchTag(%q) = %v, want %v", tag, got, want)
		}
	}

	all := NewSubscription("T", "*", "TAG", 1)
	if !all.All() || !all.MatchTagsCode(12345) || !all.MatchTag("x") || !all.MatchTag("") {
		t.Error("* does not match everything")
	}
	sql := NewSubscription("T", "a > 5", protocol.ExpressionSQL92, 1)
	if sql.IsTag() || sql.Codes() != nil || !sql.MatchTagsCode(7) || !sql.MatchTag("x") {
		t.Error("SQL92 subscription filtered by tag")
	}
	var nilSub *Subscription
	if !nilSub.MatchTagsCode(1) || !nilSub.MatchTag("x") {
		t.Error("nil subscription does not match")
	}
	none := NewSubscription("T", "||", "", 1)
	if none.MatchTagsCode(0) || none.MatchTag("") {
		t.Error(`"||" matched`)
	}
	cf := subscriptionFromData(&protocol.SubscriptionData{Topic: "T", SubString: "TagA", ClassFilterMode: true})
	if !cf.All() || !cf.MatchTagsCode(1) {
		t.Error("class-filter mode not matching all")
	}
}

func TestSubscriptionManyTags(t *testing.T) {
	var expr string
	var tags []string
	for i := 0; i < 40; i++ {
		tag := "tag" + string(rune('a'+i%26)) + string(rune('A'+i/26))
		tags = append(tags, tag)
		if i > 0 {
			expr += "||"
		}
		expr += tag
	}
	s := NewSubscription("T", expr, "", 1)
	for _, tag := range tags {
		if !s.MatchTag(tag) || !s.MatchTagsCode(message.TagsCode(tag)) {
			t.Fatalf("%q not matched", tag)
		}
	}
	if s.MatchTag("nope") || s.MatchTagsCode(message.TagsCode("nope")) {
		t.Fatal("nope matched")
	}
}

func TestSubscriptionIgnoresClientCodes(t *testing.T) {
	// client-go hashes UTF-8 bytes; the broker must use Java's hash.
	sd := protocol.SubscriptionData{Topic: "T", SubString: "标签", TagsSet: []string{"标签"},
		CodeSet: protocol.CodeSet{-1}, SubVersion: 1, ExpressionType: "TAG"}
	s := subscriptionFromData(&sd)
	if !slices.Equal(s.Codes(), []int32{857175}) {
		t.Fatalf("codes %v", s.Codes())
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	s := NewSubscription("T", "TagA || TagC", "", 1)
	n := testing.AllocsPerRun(100, func() {
		_ = s.MatchTagsCode(2598919)
		_ = s.MatchTag("TagC")
	})
	if n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

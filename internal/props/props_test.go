package props

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	in := "\ufeff# broker.conf\n" +
		"brokerClusterName = DefaultCluster\n" +
		"  ! also a comment\n" +
		"brokerName:broker-a\n" +
		"brokerId 0\n" +
		"\n" +
		"brokerIP1=10.0.0.1   \n" +
		"namesrvAddr=127.0.0.1:9876;\\\n" +
		"    127.0.0.2:9876\n" +
		"path=C\\:\\\\store\\tx\n" +
		"uni=\\u0041b\n" +
		"empty=\n" +
		"a\\=b=c\n"
	got, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{"brokerClusterName", "DefaultCluster", 2},
		{"brokerName", "broker-a", 4},
		{"brokerId", "0", 5},
		{"brokerIP1", "10.0.0.1", 7},
		{"namesrvAddr", "127.0.0.1:9876;127.0.0.2:9876", 8},
		{"path", "C:\\store\tx", 10},
		{"uni", "Ab", 11},
		{"empty", "", 12},
		{"a=b", "c", 13},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestParseBadEscape(t *testing.T) {
	_, err := Parse(strings.NewReader("ok=1\nk=\\u12\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("err = %v, want one naming line 2", err)
	}
}

//go:build !race

package interop_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/quivermq/quiver/protocol"
)

// TestQuiverSQL92: with enablePropertyFilter=true a client-go consumer
// subscribed with `age >= 20 AND sex = 'f'` gets exactly the messages whose
// properties match (filtered on the broker: client-go does not filter SQL92
// itself).
func TestQuiverSQL92(t *testing.T) {
	c := startCluster(t, "enablePropertyFilter=true")
	p := c.producer("pg_sql")
	const topic = "TopicSQL"
	sendN(t, p, topic, "warm", 1)
	want := map[string]int{}
	for i := 0; i < 40; i++ {
		age := 10 + i%20
		sex := []string{"f", "m"}[i%2]
		body := fmt.Sprintf("p%d age=%d sex=%s", i, age, sex)
		m := primitive.NewMessage(topic, []byte(body))
		m.WithProperty("age", strconv.Itoa(age))
		m.WithProperty("sex", sex)
		if i%7 == 3 {
			m.RemoveProperty("sex") // no sex: NULL, never matches
			body = fmt.Sprintf("p%d age=%d", i, age)
			m.Body = []byte(body)
		} else if age >= 20 && sex == "f" {
			want[body] = 1
		}
		if _, err := p.SendSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	got := &received{}
	c.pushConsumer("cg_sql", topic, consumer.MessageSelector{Type: consumer.SQL92, Expression: "age >= 20 AND sex = 'f'"}, got)
	waitFor(t, 30*time.Second, "the matching messages", func() bool { return got.count() >= len(want) })
	time.Sleep(time.Second)
	if b := got.bodies(); fmt.Sprint(b) != fmt.Sprint(want) {
		t.Fatalf("SQL92 delivered %v\nwant %v", b, want)
	}
}

// TestQuiverSQL92Refused: a malformed expression is refused with
// SUBSCRIPTION_PARSE_FAILED saying where, and SQL92 on a broker without
// enablePropertyFilter with a clear error (CHECK_CLIENT_CONFIG, as the
// Java client sends at start).
func TestQuiverSQL92Refused(t *testing.T) {
	for _, tc := range []struct {
		conf, expr string
		code       protocol.ResponseCode
		remark     string
	}{
		{"enablePropertyFilter=true", "age >= AND sex = 'f'", protocol.SubscriptionParseFailed, "column"},
		{"", "age >= 20", protocol.SystemError, "enablePropertyFilter=false"},
	} {
		c := startCluster(t, tc.conf)
		body, err := protocol.MarshalBody(protocol.CheckClientRequestBody{ClientID: "127.0.0.1@t", Group: "cg",
			SubscriptionData: protocol.SubscriptionData{Topic: "T", SubString: tc.expr, ExpressionType: "SQL92"}})
		if err != nil {
			t.Fatal(err)
		}
		var cmd protocol.Command
		cmd.NewRequest(protocol.CheckClientConfig)
		cmd.Body = body
		resp, err := invokeBroker(c.b.Addr(), &cmd)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Code != int32(tc.code) || !strings.Contains(string(resp.Remark), tc.remark) {
			t.Fatalf("%q: code %d %q, want %d containing %q", tc.expr, resp.Code, resp.Remark, tc.code, tc.remark)
		}
		t.Logf("%q: %d %s", tc.expr, resp.Code, resp.Remark)
	}
}

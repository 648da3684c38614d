package interop_test

// Interop of package message with rocketmq-client-go v2.1.2: records we
// encode must decode in client-go (it reads PULL_MESSAGE bodies with
// primitive.DecodeMessage), and batch bodies client-go encodes must walk in
// our iterator.

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/quivermq/quiver/message"
)

func mustHost(s string) message.Host {
	return message.HostFrom(netip.MustParseAddrPort(s))
}

// propsMap is what a reader that follows Java's rules sees.
func propsMap(props []byte) map[string]string {
	m := map[string]string{}
	for k, v := range message.AllProperties(props) {
		m[string(k)] = string(v)
	}
	return m
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestClientGoDecodesRecords(t *testing.T) {
	gen := message.NewUniqIDGenerator(message.UniqIDConfig{IP: netip.MustParseAddr("10.1.2.3"), PID: 4242})
	storeHost := mustHost("192.168.1.10:10911")

	var zbody bytes.Buffer
	zw := zlib.NewWriter(&zbody)
	_, _ = zw.Write(bytes.Repeat([]byte("compressible "), 400))
	_ = zw.Close()

	type rec struct {
		fields message.Fields
		plain  []byte // body client-go should report
		uniq   string
	}
	var recs []rec
	var pull []byte
	phys := int64(0x1000)
	for i, tc := range []struct {
		body   []byte
		plain  []byte
		sys    int32
		props  func([]byte, string) []byte
		topic  string
		noUniq bool
	}{
		{body: []byte("hello, client-go"), topic: "TopicTest", props: func(p []byte, id string) []byte {
			p = message.AppendProperty(p, message.PropertyUniqKey, id)
			p = message.AppendProperty(p, message.PropertyTags, "TagA")
			p = message.AppendProperty(p, message.PropertyKeys, "order-1 user-2")
			return message.AppendProperty(p, message.PropertyWaitStoreMsgOK, "true")
		}},
		{body: nil, topic: "T", props: func(p []byte, id string) []byte {
			return message.AppendProperty(p, message.PropertyUniqKey, id)
		}},
		{body: bytes.Repeat([]byte{0, 1, 2, 0xFF}, 1000), topic: strings.Repeat("t", 127), props: func(p []byte, id string) []byte {
			p = message.AppendProperty(p, message.PropertyTags, "标签")
			p = message.AppendProperty(p, message.PropertyUniqKey, id)
			return message.AppendProperty(p, message.PropertyCluster, "DefaultCluster")
		}},
		{body: []byte("no uniq key"), topic: "%RETRY%group", noUniq: true, props: func(p []byte, _ string) []byte {
			p = message.AppendProperty(p, message.PropertyRetryTopic, "TopicTest")
			return message.AppendProperty(p, message.PropertyKeys, "k")
		}},
		{body: zbody.Bytes(), plain: bytes.Repeat([]byte("compressible "), 400), sys: message.SysFlagCompressed, topic: "Z",
			props: func(p []byte, id string) []byte { return message.AppendProperty(p, message.PropertyUniqKey, id) }},
	} {
		id := gen.New()
		f := message.Fields{
			QueueID:                   int32(i % 4),
			Flag:                      int32(i * 3),
			QueueOffset:               int64(100 + i),
			PhysicalOffset:            phys,
			SysFlag:                   tc.sys,
			BornTimestamp:             time.Date(2024, 3, 5, 12, 0, i, 0, time.UTC).UnixMilli(),
			BornHost:                  mustHost(fmt.Sprintf("10.1.2.3:%d", 50000+i)),
			StoreTimestamp:            time.Date(2024, 3, 5, 12, 0, i, 5e6, time.UTC).UnixMilli(),
			StoreHost:                 storeHost,
			ReconsumeTimes:            int32(i),
			PreparedTransactionOffset: int64(i) * 7,
			Topic:                     []byte(tc.topic),
			Body:                      tc.body,
			Properties:                tc.props(nil, id),
		}
		var err error
		n := len(pull)
		pull, err = message.AppendRecord(pull, &f)
		if err != nil {
			t.Fatal(err)
		}
		phys += int64(len(pull) - n)
		plain := tc.plain
		if plain == nil {
			plain = tc.body
		}
		if tc.noUniq {
			id = ""
		}
		recs = append(recs, rec{fields: f, plain: plain, uniq: id})
	}

	msgs := primitive.DecodeMessage(pull)
	if len(msgs) != len(recs) {
		t.Fatalf("client-go decoded %d messages, want %d", len(msgs), len(recs))
	}
	it := message.NewRecordIter(pull, true)
	for i, m := range msgs {
		r, ok := it.Next()
		if !ok {
			t.Fatalf("our iterator stopped at %d: %v", i, it.Err())
		}
		f := recs[i].fields
		offsetID := string(r.AppendOffsetID(nil))
		wantMsgID := recs[i].uniq
		if wantMsgID == "" {
			wantMsgID = offsetID
		}
		for _, c := range []struct {
			name      string
			got, want any
		}{
			{"Topic", m.Topic, string(f.Topic)},
			{"QueueId", m.Queue.QueueId, int(f.QueueID)},
			{"Flag", m.Flag, f.Flag},
			{"StoreSize", m.StoreSize, r.TotalSize()},
			{"BodyCRC", m.BodyCRC, int32(message.Checksum(f.Body))},
			{"QueueOffset", m.QueueOffset, f.QueueOffset},
			{"CommitLogOffset", m.CommitLogOffset, f.PhysicalOffset},
			{"SysFlag", m.SysFlag, f.SysFlag},
			{"BornTimestamp", m.BornTimestamp, f.BornTimestamp},
			{"BornHost", m.BornHost, f.BornHost.String()},
			{"StoreTimestamp", m.StoreTimestamp, f.StoreTimestamp},
			{"StoreHost", m.StoreHost, f.StoreHost.String()},
			{"ReconsumeTimes", m.ReconsumeTimes, f.ReconsumeTimes},
			{"PreparedTransactionOffset", m.PreparedTransactionOffset, f.PreparedTransactionOffset},
			{"Body", string(m.Body), string(recs[i].plain)},
			{"OffsetMsgId", m.OffsetMsgId, offsetID},
			{"MsgId", m.MsgId, wantMsgID},
			{"Tags", m.GetTags(), string(r.Tags())},
			{"Keys", m.GetKeys(), string(r.Keys())},
			{"UNIQ_KEY", m.GetProperty(primitive.PropertyUniqueClientMessageIdKeyIndex), string(r.UniqKey())},
		} {
			if c.got != c.want {
				t.Errorf("message %d: %s = %v, want %v", i, c.name, c.got, c.want)
			}
		}
		if got, want := m.GetProperties(), propsMap(f.Properties); !sameMap(got, want) {
			t.Errorf("message %d: properties %q, want %q", i, got, want)
		}
		// client-go's own offset-id codec agrees with ours.
		if got := primitive.CreateMessageId([]byte{192, 168, 1, 10}, 10911, f.PhysicalOffset); got != offsetID {
			t.Errorf("message %d: CreateMessageId %s, ours %s", i, got, offsetID)
		}
		mid, err := primitive.UnmarshalMsgID([]byte(offsetID))
		if err != nil || mid.Addr != "192.168.1.10" || mid.Port != 10911 || mid.Offset != f.PhysicalOffset {
			t.Errorf("message %d: UnmarshalMsgID(%s) = %+v, %v", i, offsetID, mid, err)
		}
	}
	if _, ok := it.Next(); ok || it.Err() != nil {
		t.Fatalf("trailing records or error: %v", it.Err())
	}
}

// TestBatchFromClientGo walks batch bodies made by client-go's producer
// (producer.MarshalMessageBatch, which SendSync uses for several messages)
// with our iterator.
func TestBatchFromClientGo(t *testing.T) {
	var msgs []*primitive.Message
	for i := 0; i < 5; i++ {
		m := primitive.NewMessage("BatchTopic", bytes.Repeat([]byte{byte('a' + i)}, i*100))
		m.Flag = int32(i)
		if i%2 == 0 {
			m.WithTag(fmt.Sprintf("tag%d", i))
		}
		if i >= 3 {
			m.WithKeys([]string{"k1", fmt.Sprintf("k%d", i)})
			m.WithProperty("custom", "v\u00e9")
		}
		msgs = append(msgs, m)
	}
	body := producer.MarshalMessageBatch(msgs...)

	it := message.NewBatchIter(body)
	var item message.BatchItem
	i := 0
	for it.Next(&item) {
		m := msgs[i]
		if item.Flag != m.Flag || !bytes.Equal(item.Body, m.Body) || item.Magic != 0 || item.BodyCRC != 0 {
			t.Errorf("item %d: flag %d body %d bytes magic %#x crc %#x", i, item.Flag, len(item.Body), item.Magic, item.BodyCRC)
		}
		if got, want := propsMap(item.Properties), m.GetProperties(); !sameMap(got, want) {
			t.Errorf("item %d: properties %q, want %q", i, got, want)
		}
		i++
	}
	if it.Err() != nil || i != len(msgs) {
		t.Fatalf("walked %d of %d items: %v", i, len(msgs), it.Err())
	}

	// With at most one property the property order is fixed, so our encoder
	// must match Message.Marshal byte for byte.
	for i, m := range msgs[:3] {
		ours, err := message.AppendBatchItem(nil, m.Flag, m.Body, []byte(m.MarshallProperties()))
		if err != nil {
			t.Fatal(err)
		}
		if theirs := m.Marshal(); !bytes.Equal(ours, theirs) {
			t.Errorf("item %d: AppendBatchItem %X, Marshal %X", i, ours, theirs)
		}
	}
}

// TestClientGoUniqID checks that client-go's ids (uppercase prefix,
// lowercase suffix) pass through untouched and that UniqIDTime reads them.
func TestClientGoUniqID(t *testing.T) {
	id := primitive.CreateUniqID()
	if len(id) != message.UniqIDLen {
		t.Fatalf("client-go id %q has length %d", id, len(id))
	}
	made := time.Now()
	if tm, ok := message.UniqIDTime(id, time.Now()); !ok || made.Sub(tm) < 0 || made.Sub(tm) > 2*time.Second {
		// client-go truncates to seconds, so the estimate is up to 1 s early.
		t.Errorf("UniqIDTime(%s) = %v, %v (now %v)", id, tm, ok, made)
	}
	f := message.Fields{
		Topic:      []byte("T"),
		BornHost:   mustHost("10.0.0.1:1"),
		StoreHost:  mustHost("10.0.0.2:10911"),
		Properties: message.AppendProperty(nil, message.PropertyUniqKey, id),
	}
	rec, err := message.AppendRecord(nil, &f)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(message.Record(rec).UniqKey()); got != id {
		t.Fatalf("UniqKey %q, want %q", got, id)
	}
	if msgs := primitive.DecodeMessage(rec); len(msgs) != 1 || msgs[0].MsgId != id {
		t.Fatalf("client-go MsgId %v", msgs)
	}
}

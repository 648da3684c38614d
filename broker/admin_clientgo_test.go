package broker_test

// client-go v2.1.2's admin package against the broker, with Quiver's name
// server in-process so that the registration the admin change triggers can
// be observed.

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/quivermq/quiver/broker"
	"github.com/quivermq/quiver/broker/conf"
	"github.com/quivermq/quiver/namesrv"
	"github.com/quivermq/quiver/netio"
	"github.com/quivermq/quiver/protocol"
)

func TestAdminClientGo(t *testing.T) {
	rlog.SetLogLevel("error")
	nc := namesrv.DefaultConfig()
	nc.ListenAddr = "127.0.0.1:0"
	nc.KVConfigPath = filepath.Join(t.TempDir(), "kvConfig.json")
	nc.Logger = adminLogger()
	ns, err := namesrv.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := ns.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ns.Shutdown(context.Background()) })
	nsAddr := ns.Addr().String()

	dir := t.TempDir()
	text := fmt.Sprintf("brokerClusterName=AdminCluster\nbrokerName=broker-cg\nbrokerIP1=127.0.0.1\nnamesrvAddr=%s\nstorePathRootDir=%s\nmappedFileSizeCommitLog=%d\nregisterNameServerPeriod=60000\n",
		nsAddr, dir, 16<<20)
	cfg, err := conf.Loader{Env: func(string) string { return "" }, Logger: adminLogger()}.Parse("broker.conf", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	b, err := broker.New(cfg, broker.Options{ListenAddr: "127.0.0.1:0", Logger: adminLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.Shutdown(ctx)
	})

	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{nsAddr})))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	const topic = "AdminClientGoTopic"
	if err := adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(b.Addr()),
		admin.WithReadQueueNums(3), admin.WithWriteQueueNums(3)); err != nil {
		t.Fatal(err)
	}

	cc := netio.DefaultClientConfig()
	cc.Logger = adminLogger()
	cl, err := netio.NewClient(cc)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	route := func() (*protocol.Command, error) {
		var cmd protocol.Command
		cmd.NewRequest(protocol.GetRouteInfoByTopic)
		(&protocol.GetRouteInfoRequestHeader{Topic: topic}).Encode(&cmd.Ext)
		return cl.Invoke(ctx, nsAddr, &cmd)
	}
	// The create re-registered the broker at once (the periodic
	// registration is a minute away).
	waitFor(t, "the topic's route on the name server", func() bool {
		resp, err := route()
		return err == nil && resp.Code == int32(protocol.Success) && strings.Contains(string(resp.Body), `"writeQueueNums":3`)
	})

	// The broker's table, through the broker's own answer.
	var all protocol.TopicConfigSerializeWrapper
	var cmd protocol.Command
	cmd.NewRequest(protocol.GetAllTopicConfig)
	resp, err := cl.Invoke(ctx, b.Addr(), &cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := protocol.UnmarshalBody(resp.Body, &all); err != nil {
		t.Fatal(err)
	}
	if tc := all.TopicConfigTable[topic]; tc.ReadQueueNums != 3 || tc.Perm != 6 || tc.TopicFilterType != "SINGLE_TAG" {
		t.Fatalf("created topic: %+v", tc)
	}

	groups, err := adm.GetAllSubscriptionGroup(ctx, b.Addr(), 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := groups.SubscriptionGroupTable["TOOLS_CONSUMER"]; !ok {
		t.Fatalf("client-go decoded no system group: %+v", groups.SubscriptionGroupTable)
	}

	// Refusals reach client-go as errors only on transport failure (it
	// does not check codes); the broker must still not create the topic.
	_ = adm.CreateTopic(ctx, admin.WithTopicCreate("bad/topic"), admin.WithBrokerAddrCreate(b.Addr()))

	if err := adm.DeleteTopic(ctx, admin.WithTopicDelete(topic), admin.WithBrokerAddrDelete(b.Addr()),
		admin.WithNameSrvAddr([]string{nsAddr})); err != nil {
		t.Fatal(err)
	}
	all = protocol.TopicConfigSerializeWrapper{}
	cmd.NewRequest(protocol.GetAllTopicConfig)
	if resp, err = cl.Invoke(ctx, b.Addr(), &cmd); err != nil {
		t.Fatal(err)
	}
	if err := protocol.UnmarshalBody(resp.Body, &all); err != nil {
		t.Fatal(err)
	}
	if _, ok := all.TopicConfigTable[topic]; ok {
		t.Fatal("topic still on the broker after client-go's DeleteTopic")
	}
	if _, ok := all.TopicConfigTable["bad/topic"]; ok {
		t.Fatal("an invalid topic was created")
	}
	waitFor(t, "the route to go", func() bool {
		resp, err := route()
		return err == nil && resp.Code == int32(protocol.TopicNotExist)
	})
}

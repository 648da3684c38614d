package protocol

// REGISTER_BROKER (103) body and the topic configuration types it carries
// (4.9.4 RegisterBrokerBody, TopicConfigSerializeWrapper, TopicConfig,
// DataVersion).
//
// Plain form (compressed=false), fastjson with sorted fields:
//
//	{"filterServerList":[],
//	 "topicConfigSerializeWrapper":{
//	   "dataVersion":{"counter":3,"timestamp":1650000000000},
//	   "topicConfigTable":{"TopicTest":{"order":false,"perm":6,"readQueueNums":4,
//	     "topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}}
//
// Compressed form (compressed=true, broker option compressedRegister): one
// zlib stream of
//
//	int32 len | DataVersion JSON
//	int32 topicCount
//	topicCount × (int32 len | "name readQueueNums writeQueueNums perm topicFilterType")
//	int32 len | filterServerList JSON array
//
// with big-endian lengths. The text records drop topicSysFlag and order.
// 5.x extras (dataVersion.stateVersion, topic attributes,
// topicQueueMappingInfoMap, ...) are ignored on decode.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Topic filter types (TopicFilterType.java).
const (
	TopicFilterSingleTag = "SINGLE_TAG"
	TopicFilterMultiTag  = "MULTI_TAG"
)

func validTopicFilterType(s string) bool {
	return s == TopicFilterSingleTag || s == TopicFilterMultiTag
}

// Defaults of a TopicConfig (TopicConfig.java).
const (
	DefaultTopicQueueNums int32 = 16
	DefaultTopicPerm            = PermRead | PermWrite
)

// TopicConfig is one topic's configuration on a broker.
type TopicConfig struct {
	TopicName       string `json:"topicName"`
	ReadQueueNums   int32  `json:"readQueueNums"`
	WriteQueueNums  int32  `json:"writeQueueNums"`
	Perm            int32  `json:"perm"`
	TopicFilterType string `json:"topicFilterType"`
	TopicSysFlag    int32  `json:"topicSysFlag"`
	Order           bool   `json:"order"`
}

// NewTopicConfig returns Java's default configuration for name: 16 read and
// write queues, perm read|write, SINGLE_TAG.
func NewTopicConfig(name string) TopicConfig {
	return TopicConfig{
		TopicName:       name,
		ReadQueueNums:   DefaultTopicQueueNums,
		WriteQueueNums:  DefaultTopicQueueNums,
		Perm:            DefaultTopicPerm,
		TopicFilterType: TopicFilterSingleTag,
	}
}

// UnmarshalJSON implements json.Unmarshaler; absent fields keep Java's
// defaults (see NewTopicConfig).
func (t *TopicConfig) UnmarshalJSON(data []byte) error {
	type plain TopicConfig
	p := plain(NewTopicConfig(""))
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*t = TopicConfig(p)
	return nil
}

// appendText appends the compressed form's record, as Java's
// TopicConfig.encode writes it.
func (t *TopicConfig) appendText(dst []byte) []byte {
	dst = append(dst, t.TopicName...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(t.ReadQueueNums), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(t.WriteQueueNums), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(t.Perm), 10)
	dst = append(dst, ' ')
	return append(dst, t.TopicFilterType...)
}

// parseText parses a compressed form's record. Fields it lacks keep Java's
// defaults.
func (t *TopicConfig) parseText(rec string) error {
	parts := strings.Split(rec, " ")
	if len(parts) != 5 {
		return fmt.Errorf("protocol: topic config record %q does not have 5 fields", rec)
	}
	*t = NewTopicConfig(parts[0])
	nums := [3]*int32{&t.ReadQueueNums, &t.WriteQueueNums, &t.Perm}
	for i, dst := range nums {
		n, ok := parseInt([]byte(parts[1+i]), 32)
		if !ok {
			return fmt.Errorf("protocol: topic config record %q: bad number %q", rec, parts[1+i])
		}
		*dst = int32(n)
	}
	if !validTopicFilterType(parts[4]) {
		return fmt.Errorf("protocol: topic config record %q: bad topicFilterType", rec)
	}
	t.TopicFilterType = parts[4]
	return nil
}

// DataVersion versions a table (topics, subscription groups): a timestamp in
// milliseconds and a counter bumped on every change. Two versions are equal
// when both fields are.
type DataVersion struct {
	Counter   int64 `json:"counter"`
	Timestamp int64 `json:"timestamp"`
}

// Next advances v for a change made at nowMillis.
func (v *DataVersion) Next(nowMillis int64) {
	v.Counter++
	v.Timestamp = nowMillis
}

// TopicConfigSerializeWrapper is a broker's topic table: the REGISTER_BROKER
// payload and the GET_ALL_TOPIC_CONFIG (21) body.
type TopicConfigSerializeWrapper struct {
	DataVersion      DataVersion            `json:"dataVersion"`
	TopicConfigTable map[string]TopicConfig `json:"topicConfigTable"`
}

// MarshalJSON implements json.Marshaler; the table is {} when empty.
func (w TopicConfigSerializeWrapper) MarshalJSON() ([]byte, error) {
	type plain TopicConfigSerializeWrapper
	p := plain(w)
	if p.TopicConfigTable == nil {
		p.TopicConfigTable = map[string]TopicConfig{}
	}
	return appendJSON(nil, p)
}

// RegisterBrokerBody is the REGISTER_BROKER body.
type RegisterBrokerBody struct {
	FilterServerList            []string                    `json:"filterServerList"`
	TopicConfigSerializeWrapper TopicConfigSerializeWrapper `json:"topicConfigSerializeWrapper"`
}

// MarshalJSON implements json.Marshaler; filterServerList is [] when empty.
func (b RegisterBrokerBody) MarshalJSON() ([]byte, error) {
	type plain RegisterBrokerBody
	p := plain(b)
	if p.FilterServerList == nil {
		p.FilterServerList = []string{}
	}
	return appendJSON(nil, p)
}

// MaxRegisterBodyInflated bounds the decompressed size of a compressed
// REGISTER_BROKER body (zip-bomb guard). 64 MiB holds about a million
// topics.
const MaxRegisterBodyInflated = 64 << 20

// errRegisterBody marks a malformed REGISTER_BROKER body.
var errRegisterBody = errors.New("protocol: malformed register broker body")

// EncodeRegisterBrokerBody encodes b in the plain or compressed form.
// Topics are written in name order.
func EncodeRegisterBrokerBody(b *RegisterBrokerBody, compressed bool) ([]byte, error) {
	if !compressed {
		return MarshalBody(b)
	}
	var raw []byte
	putBlock := func(block []byte) {
		raw = binary.BigEndian.AppendUint32(raw, uint32(len(block)))
		raw = append(raw, block...)
	}
	dv, err := appendJSON(nil, b.TopicConfigSerializeWrapper.DataVersion)
	if err != nil {
		return nil, err
	}
	putBlock(dv)
	table := b.TopicConfigSerializeWrapper.TopicConfigTable
	names := make([]string, 0, len(table))
	for name := range table {
		names = append(names, name)
	}
	slices.Sort(names)
	raw = binary.BigEndian.AppendUint32(raw, uint32(len(names)))
	var rec []byte
	for _, name := range names {
		tc := table[name]
		rec = tc.appendText(rec[:0])
		putBlock(rec)
	}
	fs := b.FilterServerList
	if fs == nil {
		fs = []string{}
	}
	fsJSON, err := appendJSON(nil, fs)
	if err != nil {
		return nil, err
	}
	putBlock(fsJSON)

	var out bytes.Buffer
	zw, err := zlib.NewWriterLevel(&out, zlib.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// DecodeRegisterBrokerBody decodes a REGISTER_BROKER body in the form the
// header's compressed flag names. A compressed body may inflate to at most
// MaxRegisterBodyInflated bytes.
func DecodeRegisterBrokerBody(data []byte, compressed bool) (*RegisterBrokerBody, error) {
	return decodeRegisterBrokerBody(data, compressed, MaxRegisterBodyInflated)
}

// decodeRegisterBrokerBody is DecodeRegisterBrokerBody with the inflate
// limit as a parameter, for tests.
func decodeRegisterBrokerBody(data []byte, compressed bool, maxInflated int64) (*RegisterBrokerBody, error) {
	b := new(RegisterBrokerBody)
	if !compressed {
		if err := UnmarshalBody(data, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errRegisterBody, err)
	}
	defer zr.Close()
	lr := &io.LimitedReader{R: zr, N: maxInflated}
	readBlock := func(what string) ([]byte, error) {
		var n [4]byte
		if _, err := io.ReadFull(lr, n[:]); err != nil {
			return nil, fmt.Errorf("%w: %s length: %w", errRegisterBody, what, err)
		}
		size := int64(int32(binary.BigEndian.Uint32(n[:])))
		if size < 0 || size > lr.N {
			return nil, fmt.Errorf("%w: %s length %d", errRegisterBody, what, size)
		}
		block := make([]byte, size)
		if _, err := io.ReadFull(lr, block); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errRegisterBody, what, err)
		}
		return block, nil
	}

	dv, err := readBlock("dataVersion")
	if err != nil {
		return nil, err
	}
	w := &b.TopicConfigSerializeWrapper
	if err := UnmarshalBody(dv, &w.DataVersion); err != nil {
		return nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(lr, n[:]); err != nil {
		return nil, fmt.Errorf("%w: topic count: %w", errRegisterBody, err)
	}
	count := int64(int32(binary.BigEndian.Uint32(n[:])))
	if count < 0 || count > lr.N/4 { // every record takes at least its length
		return nil, fmt.Errorf("%w: topic count %d", errRegisterBody, count)
	}
	w.TopicConfigTable = make(map[string]TopicConfig, min(count, 4096))
	for range count {
		rec, err := readBlock("topic config")
		if err != nil {
			return nil, err
		}
		var tc TopicConfig
		if err := tc.parseText(string(rec)); err != nil {
			return nil, err
		}
		w.TopicConfigTable[tc.TopicName] = tc
	}
	fs, err := readBlock("filterServerList")
	if err != nil {
		return nil, err
	}
	if err := UnmarshalBody(fs, &b.FilterServerList); err != nil {
		return nil, err
	}
	return b, nil
}

// BodyCRC32 is the REGISTER_BROKER header's bodyCrc32 of body: CRC-32 (IEEE)
// masked to 31 bits, as Java's UtilAll.crc32 computes it.
func BodyCRC32(body []byte) int32 {
	return int32(crc32.ChecksumIEEE(body) & 0x7FFFFFFF)
}

// CheckBodyCRC32 reports whether body matches the header's bodyCrc32; a
// header value of 0 means "not checked" and always matches.
func CheckBodyCRC32(body []byte, headerCRC int32) bool {
	return headerCRC == 0 || BodyCRC32(body) == headerCRC
}

package message_test

import (
	"errors"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quivermq/quiver/message"
)

func TestOffsetID(t *testing.T) {
	for _, tc := range []struct {
		host   string
		offset int64
		id     string
	}{
		// spec §4.6 example
		{"192.168.1.10:10911", 0x1234, "C0A8010A00002A9F0000000000001234"},
		{"[::ffff:192.168.1.10]:10911", 0x1234, "C0A8010A00002A9F0000000000001234"},
		{"[2001:db8::1]:10911", 1, "20010DB8000000000000000000000001" + "00002A9F" + "0000000000000001"},
		{"0.0.0.0:0", -1, "0000000000000000FFFFFFFFFFFFFFFF"},
	} {
		h := host(tc.host)
		got := string(message.AppendOffsetID([]byte("x"), h, tc.offset))
		if got != "x"+tc.id {
			t.Errorf("AppendOffsetID(%s, %#x) = %s, want %s", tc.host, tc.offset, got[1:], tc.id)
		}
		for _, id := range []string{tc.id, strings.ToLower(tc.id)} {
			ph, off, err := message.ParseOffsetID(id)
			if err != nil || off != tc.offset || ph.Port != h.Port || ph.Addr != h.Addr.Unmap() {
				t.Errorf("ParseOffsetID(%s) = %v, %#x, %v", id, ph, off, err)
			}
			if _, off2, _ := message.ParseOffsetID([]byte(id)); off2 != off {
				t.Errorf("ParseOffsetID([]byte) differs")
			}
		}
	}
	for _, bad := range []string{
		"", "C0A8010A00002A9F000000000000123",
		"C0A8010A00002A9F00000000000012345",
		"C0A8010A00002A9F000000000000123G",
		"G0A8010A00002A9F0000000000001234",
		strings.Repeat("0", 55), strings.Repeat("0", 57),
	} {
		if _, _, err := message.ParseOffsetID(bad); !errors.Is(err, message.ErrInvalidMessageID) {
			t.Errorf("ParseOffsetID(%q) = %v", bad, err)
		}
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func TestUniqIDGolden(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 3, 5, 12, 0, 0, 123e6, time.UTC)}
	g := message.NewUniqIDGenerator(message.UniqIDConfig{
		IP:              netip.MustParseAddr("192.168.1.10"),
		PID:             0x11F2E, // truncated to int16
		ClassLoaderHash: 0x01020304,
		Now:             clock.Now,
	})
	// ip | pid | class-loader hash | ms since 2024-03-01T00:00Z (388800123) | counter
	const prefix = "C0A8010A" + "1F2E" + "01020304"
	for i, want := range []string{prefix + "172C9E7B" + "0000", prefix + "172C9E7B" + "0001"} {
		if got := g.New(); got != want {
			t.Fatalf("id %d = %s, want %s", i, got, want)
		}
	}
	if g.Len() != message.UniqIDLen {
		t.Fatal("Len")
	}
	// The next month starts over.
	clock.Set(time.Date(2024, 4, 1, 0, 0, 1, 0, time.UTC))
	if got := g.New(); got != prefix+"000003E8"+"0002" {
		t.Fatalf("after roll-over %s", got)
	}
	// A small step back in time gives 0, as Java.
	clock.Set(time.Date(2024, 3, 31, 23, 59, 59, 0, time.UTC))
	if got := g.New(); got != prefix+"00000000"+"0003" {
		t.Fatalf("after step back %s", got)
	}
	// The counter wraps at 16 bits.
	clock.Set(time.Date(2024, 4, 1, 0, 0, 1, 0, time.UTC))
	for i := 0; i < 65535-4; i++ {
		g.New()
	}
	if got := g.New(); !strings.HasSuffix(got, "FFFF") {
		t.Fatalf("counter before wrap %s", got)
	}
	if got := g.New(); !strings.HasSuffix(got, "0000") {
		t.Fatalf("counter after wrap %s", got)
	}
}

// AppendAt makes the id Append would at that time; ids made at one time
// differ by the counter.
func TestUniqIDAppendAt(t *testing.T) {
	clock := &fakeClock{t: time.Date(2024, 3, 5, 12, 0, 0, 123e6, time.UTC)}
	g := message.NewUniqIDGenerator(message.UniqIDConfig{
		IP: netip.MustParseAddr("192.168.1.10"), PID: 0x1F2E, ClassLoaderHash: 0x01020304, Now: clock.Now,
	})
	const prefix = "C0A8010A" + "1F2E" + "01020304"
	at := g.Now()
	clock.Set(time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC)) // later than at
	for i, want := range []string{prefix + "172C9E7B" + "0000", prefix + "172C9E7B" + "0001"} {
		if got := string(g.AppendAt(nil, at)); got != want {
			t.Fatalf("id %d at %v = %s, want %s", i, at, got, want)
		}
	}
	if got := g.New(); got != prefix+"2932E000"+"0002" { // 8 days into March: 691,200,000 ms
		t.Fatalf("Append after AppendAt = %s", got)
	}
}

func TestUniqIDv6AndDefaults(t *testing.T) {
	g := message.NewUniqIDGenerator(message.UniqIDConfig{IP: netip.MustParseAddr("2001:db8::7")})
	id := g.New()
	if len(id) != message.UniqIDLenV6 || g.Len() != len(id) || !strings.HasPrefix(id, "20010DB8000000000000000000000007") {
		t.Fatalf("v6 id %s", id)
	}
	if id != strings.ToUpper(id) {
		t.Fatalf("not uppercase: %s", id)
	}
	if tm, ok := message.UniqIDTime(id, time.Now()); !ok || time.Since(tm).Abs() > time.Minute {
		t.Fatalf("UniqIDTime(v6) = %v, %v", tm, ok)
	}
	// Zero config: fake IP, own pid, local time.
	g = message.NewUniqIDGenerator(message.UniqIDConfig{})
	id = g.New()
	if len(id) != message.UniqIDLen {
		t.Fatalf("default id %s", id)
	}
	if tm, ok := message.UniqIDTime(id, time.Now()); !ok || time.Since(tm).Abs() > time.Minute {
		t.Fatalf("UniqIDTime = %v, %v", tm, ok)
	}
}

func TestUniqIDConcurrent(t *testing.T) {
	g := message.NewUniqIDGenerator(message.UniqIDConfig{IP: netip.MustParseAddr("10.0.0.1")})
	const workers, per = 8, 2000
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				ids[w] = append(ids[w], string(g.Append(nil)))
			}
		}(w)
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, l := range ids {
		for _, id := range l {
			if seen[id] {
				t.Fatalf("duplicate id %s", id)
			}
			seen[id] = true
		}
	}
}

func TestUniqIDTime(t *testing.T) {
	utc := time.UTC
	mk := func(span uint32) string {
		const prefix = "C0A8010A1F2E01020304"
		return prefix + strings.ToUpper(hexU32(span)) + "0001"
	}
	now := time.Date(2024, 3, 20, 0, 0, 0, 0, utc)
	for _, tc := range []struct {
		id   string
		want time.Time
		ok   bool
	}{
		{mk(388800123), time.Date(2024, 3, 5, 12, 0, 0, 123e6, utc), true},
		// An offset not before now belongs to the previous month.
		{mk(25 * 86400 * 1000), time.Date(2024, 2, 26, 0, 0, 0, 0, utc), true},
		// client-go ids (lowercase suffix) read the same way.
		{strings.ToLower(mk(1000)), time.Date(2024, 3, 1, 0, 0, 1, 0, utc), true},
		{"", time.Time{}, false},
		{"not-an-id", time.Time{}, false},
		{strings.Repeat("Z", 32), time.Time{}, false},
	} {
		got, ok := message.UniqIDTime(tc.id, now)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("UniqIDTime(%s) = %v, %v; want %v, %v", tc.id, got, ok, tc.want, tc.ok)
		}
	}
}

func hexU32(v uint32) string {
	const digits = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&0xF]
		v >>= 4
	}
	return string(b[:])
}

package namesrv

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quivermq/quiver/internal/props"
)

func settingOf(t *testing.T, ss []Setting, key string) Setting {
	t.Helper()
	for _, s := range ss {
		if s.Key == key {
			return s
		}
	}
	t.Fatalf("no setting %q", key)
	return Setting{}
}

func TestParseConfig(t *testing.T) {
	const file = `# namesrv.properties
listenPort = 19876   
kvConfigPath=/var/lib/quiver/kvConfig.json
orderMessageEnable=TRUE
serverWorkerThreads=16
serverChannelMaxIdleTimeSeconds=60
scanNotActiveBrokerInterval=5000
bindAddress=127.0.0.1
clusterTest=true
`
	cfg, ss, err := ParseConfig(strings.NewReader(file), "ns.properties", quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != "127.0.0.1:19876" {
		t.Errorf("ListenAddr %q", cfg.ListenAddr)
	}
	if cfg.KVConfigPath != "/var/lib/quiver/kvConfig.json" || !cfg.OrderMessageEnable {
		t.Errorf("cfg %+v", cfg)
	}
	if cfg.IdleTimeout != time.Minute || cfg.ScanInterval != 5*time.Second || cfg.BrokerExpiry != DefaultBrokerExpiry {
		t.Errorf("durations: idle %v scan %v expiry %v", cfg.IdleTimeout, cfg.ScanInterval, cfg.BrokerExpiry)
	}
	for _, c := range []struct{ key, value, source string }{
		{"listenPort", "19876", "ns.properties:2"},
		{"kvConfigPath", "/var/lib/quiver/kvConfig.json", "ns.properties:3"},
		{"orderMessageEnable", "true", "ns.properties:4"},
		{"serverWorkerThreads", "16", "ns.properties:5"}, // ignored, shown as given
		{"clusterTest", "true", "ns.properties:9"},
		{"productEnvName", "center", "default"},
		{"serverSelectorThreads", "3", "default"},
	} {
		s := settingOf(t, ss, c.key)
		if s.Value != c.value || s.Source != c.source {
			t.Errorf("%s = %q from %q, want %q from %q", c.key, s.Value, s.Source, c.value, c.source)
		}
	}
	if len(ss) != len(configKeys) {
		t.Errorf("%d settings, want one per key (%d)", len(ss), len(configKeys))
	}
}

func TestParseConfigLastWins(t *testing.T) {
	cfg, ss, err := ParseConfig(strings.NewReader("listenPort=1\nlistenPort=2\n"), "f", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != ":2" || settingOf(t, ss, "listenPort").Source != "f:2" {
		t.Errorf("ListenAddr %q source %q", cfg.ListenAddr, settingOf(t, ss, "listenPort").Source)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		file string
		want []string // substrings of the error
	}{
		{"listenPot=9876\n", []string{`f:1`, `unknown key "listenPot"`, `did you mean "listenPort"`}},
		{"# c\nkvConfigpath=/x\n", []string{`f:2`, `"kvConfigpath"`, `"kvConfigPath"`}},
		{"orderMessageEnabled=true\n", []string{`"orderMessageEnable"`}},
		{"serverWorkerThread=8\n", []string{`"serverWorkerThreads"`}},
		{"listenPort=abc\n", []string{"f:1", "listenPort", "not an integer"}},
		{"listenPort=70000\n", []string{"out of range"}},
		{"orderMessageEnable=yes\n", []string{"orderMessageEnable", "not a boolean"}},
		{"kvConfigPath=\n", []string{"kvConfigPath", "empty"}},
		{"bindAddress=not-an-ip\n", []string{"bindAddress"}},
		{"scanNotActiveBrokerInterval=0\n", []string{"scanNotActiveBrokerInterval", "out of range"}},
	}
	for _, c := range cases {
		_, _, err := ParseConfig(strings.NewReader(c.file), "f", nil)
		if err == nil {
			t.Errorf("%q: no error", c.file)
			continue
		}
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%q: %v is not ErrInvalidConfig", c.file, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q lacks %q", c.file, err, w)
			}
		}
	}
}

func TestLoadConfigFileDefaults(t *testing.T) {
	cfg, ss, err := LoadConfigFile("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ListenAddr != ":9876" || cfg.ScanInterval != 10*time.Second || cfg.BrokerExpiry != 120*time.Second {
		t.Errorf("defaults %+v", cfg)
	}
	if s := settingOf(t, ss, "listenPort"); s.Value != "9876" || s.Source != "default" {
		t.Errorf("listenPort %+v", s)
	}
	if !strings.HasSuffix(cfg.KVConfigPath, "namesrv/kvConfig.json") {
		t.Errorf("KVConfigPath %q", cfg.KVConfigPath)
	}
	if _, _, err := LoadConfigFile("/nonexistent/namesrv.properties", nil); err == nil {
		t.Error("missing file: no error")
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "", 3}, {"kitten", "sitting", 3}, {"listenpot", "listenport", 1}, {"same", "same", 0}} {
		if d := props.EditDistance(c.a, c.b); d != c.d {
			t.Errorf("props.EditDistance(%q, %q) = %d, want %d", c.a, c.b, d, c.d)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{ListenAddr: "nonsense"},
		{ListenAddr: ":99999"},
		{ScanInterval: -1},
		{BrokerExpiry: -1},
		{SocketSendBuffer: -1},
	} {
		if _, err := New(c); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("New(%+v): %v, want ErrInvalidConfig", c, err)
		}
	}
}

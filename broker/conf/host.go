package conf

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
)

// Host holds the facts about the machine that some defaults derive from.
// Tests pass a fixed Host to Loader; DetectHost reads the real one.
type Host struct {
	// Name is the host name, the default brokerName. RocketMQ uses
	// "DEFAULT_BROKER" when the name cannot be had.
	Name string
	// IPv4 is the default brokerIP1 (and so brokerIP2).
	IPv4 string
	// Home is the user's home directory; storePathRootDir defaults to
	// Home/store.
	Home string
	// NumCPU sizes the defaults of RocketMQ's thread pools (printed only:
	// those keys have no effect in Quiver).
	NumCPU int
	// FreePageReporting says the kernel hands free memory back to a
	// hypervisor (a virtio-balloon device with free page reporting): memory
	// the guest has not used for a while is slow to touch again, which
	// sets the default of commitLogCacheWindow.
	FreePageReporting bool
}

// DetectHost reads the host name, the first non-loopback IPv4 address of an
// interface that is up (127.0.0.1 if there is none), the home directory and
// the CPU count.
//
// NB: RocketMQ's RemotingUtil.getLocalAddress prefers an address that does
// not start with "127.0" or "192.168" and falls back to the last IPv4 it
// saw, then to IPv6; Quiver takes the first non-loopback IPv4, which is
// easier to predict. Set brokerIP1 when a host has several.
func DetectHost() Host {
	h := Host{Name: "DEFAULT_BROKER", IPv4: "127.0.0.1", NumCPU: runtime.NumCPU()}
	if n, err := os.Hostname(); err == nil && n != "" {
		h.Name = n
	}
	if d, err := os.UserHomeDir(); err == nil {
		h.Home = d
	}
	if ip := firstIPv4(); ip != "" {
		h.IPv4 = ip
	}
	h.FreePageReporting = freePageReporting("/sys/bus/virtio/drivers/virtio_balloon")
	return h
}

// balloonReporting is VIRTIO_BALLOON_F_REPORTING, the feature bit of free
// page reporting (virtio spec 5.5.3, Linux include/uapi/linux/virtio_balloon.h).
const balloonReporting = 5

// freePageReporting reports whether a device bound to the virtio-balloon
// driver at dir (sysfs) negotiated free page reporting: its features file
// is one '0' or '1' per feature bit, bit 0 first.
func freePageReporting(dir string) bool {
	devs, err := filepath.Glob(filepath.Join(dir, "virtio*"))
	if err != nil {
		return false
	}
	for _, d := range devs {
		b, err := os.ReadFile(filepath.Join(d, "features"))
		if err == nil && len(b) > balloonReporting && b[balloonReporting] == '1' {
			return true
		}
	}
	return false
}

// firstIPv4 returns the first IPv4 address of an up, non-loopback
// interface that is neither loopback nor link-local, or "".
func firstIPv4() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip := n.IP.To4()
			if ip == nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() {
				continue
			}
			return ip.String()
		}
	}
	return ""
}

package media

import (
	"fmt"
	"net/netip"
	"time"
)

// Config is the media section of the configuration file.
type Config struct {
	// BindIP is the local address RTP and RTCP sockets bind to. Default 127.0.0.1 (loopback only); 0.0.0.0 or ::
	// listens everywhere and then needs PublicIP.
	BindIP string `yaml:"bind_ip"`
	// PublicIP is the address written into SDP when it differs from BindIP (behind NAT). Default empty: use BindIP.
	PublicIP string `yaml:"public_ip"`
	// PortMin and PortMax bound the RTP ports (even ones; RTCP uses the next odd port). Default 20000–20999.
	PortMin int `yaml:"port_min"`
	PortMax int `yaml:"port_max"`
	// JitterMin and JitterMax bound the adaptive jitter buffer delay. Default 20ms and 200ms.
	JitterMin time.Duration `yaml:"jitter_min"`
	JitterMax time.Duration `yaml:"jitter_max"`
	// Drain is how long a released port keeps reading and discarding stale packets before reuse. Default 2s.
	Drain time.Duration `yaml:"drain"`
	// FirstPacketTimeout ends a session with cause "rtp_timeout" when no packet arrives this long after Start.
	// Default 30s; 0 disables it.
	FirstPacketTimeout time.Duration `yaml:"first_packet_timeout"`
	// InactivityTimeout ends a session with cause "rtp_timeout" when no packet arrives this long after the last
	// one (not while on hold). Default 15s; 0 disables it.
	InactivityTimeout time.Duration `yaml:"inactivity_timeout"`
	// QueueFrames is the depth of each subscriber's frame queue (20 ms frames); a full queue drops frames.
	// Default 50 (1 s).
	QueueFrames int `yaml:"queue_frames"`
	// RTCPInterval is the time between RTCP reports. Default 5s.
	RTCPInterval time.Duration `yaml:"rtcp_interval"`
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{
		BindIP:             "127.0.0.1",
		PortMin:            20000,
		PortMax:            20999,
		JitterMin:          20 * time.Millisecond,
		JitterMax:          200 * time.Millisecond,
		Drain:              2 * time.Second,
		FirstPacketTimeout: 30 * time.Second,
		InactivityTimeout:  15 * time.Second,
		QueueFrames:        50,
		RTCPInterval:       5 * time.Second,
	}
}

// Validate reports the first invalid value, naming the key.
func (c Config) Validate() error {
	bind, err := netip.ParseAddr(c.BindIP)
	if err != nil {
		return fmt.Errorf("media.bind_ip %q: not an IP address", c.BindIP)
	}
	if c.PublicIP != "" {
		pub, err := netip.ParseAddr(c.PublicIP)
		if err != nil || pub.IsUnspecified() {
			return fmt.Errorf("media.public_ip %q: not a usable IP address", c.PublicIP)
		}
	} else if bind.IsUnspecified() {
		return fmt.Errorf("media.public_ip is needed when media.bind_ip is %s: SDP must carry a reachable address", c.BindIP)
	}
	if c.PortMin < 1024 || c.PortMax > 65535 || c.PortMin > c.PortMax {
		return fmt.Errorf("media.port_min %d / port_max %d: need 1024 <= port_min <= port_max <= 65535", c.PortMin, c.PortMax)
	}
	if first := c.PortMin + c.PortMin%2; first+1 > c.PortMax {
		return fmt.Errorf("media.port_min %d / port_max %d: range holds no even RTP port with its RTCP port", c.PortMin, c.PortMax)
	}
	if c.JitterMin < 10*time.Millisecond || c.JitterMax > 2*time.Second || c.JitterMin > c.JitterMax {
		return fmt.Errorf("media.jitter_min %s / jitter_max %s: need 10ms <= jitter_min <= jitter_max <= 2s", c.JitterMin, c.JitterMax)
	}
	if c.Drain < 0 {
		return fmt.Errorf("media.drain %s: must not be negative", c.Drain)
	}
	if c.FirstPacketTimeout < 0 {
		return fmt.Errorf("media.first_packet_timeout %s: must not be negative", c.FirstPacketTimeout)
	}
	if c.InactivityTimeout < 0 {
		return fmt.Errorf("media.inactivity_timeout %s: must not be negative", c.InactivityTimeout)
	}
	if c.QueueFrames < 1 || c.QueueFrames > 10000 {
		return fmt.Errorf("media.queue_frames %d: need 1..10000", c.QueueFrames)
	}
	if c.RTCPInterval < 100*time.Millisecond {
		return fmt.Errorf("media.rtcp_interval %s: need at least 100ms", c.RTCPInterval)
	}
	return nil
}

// SDPAddr is the address to advertise in SDP: PublicIP when set, otherwise BindIP.
func (c Config) SDPAddr() netip.Addr {
	if a, err := netip.ParseAddr(c.PublicIP); err == nil {
		return a
	}
	a, _ := netip.ParseAddr(c.BindIP)
	return a
}

package main

import (
	"net"
	"testing"
)

// Past --clients-per-source clients on a loopback target, each run of that many clients
// connects from its own loopback address; otherwise the system picks.
func TestSourceAddressSpreadsLargeFleetsOverLoopbackAddresses(t *testing.T) {
	lg := &loadgen{cfg: config{target: "127.0.0.1:18000", clientsPerSource: 4000}, clients: make([]*client, 10000)}
	for i, want := range map[int]string{0: "127.0.0.10", 3999: "127.0.0.10", 4000: "127.0.0.11", 9999: "127.0.0.12"} {
		if got := lg.sourceAddress(i); !got.Equal(net.ParseIP(want)) {
			t.Errorf("client %d: %v, want %s", i, got, want)
		}
	}
	for _, lg := range []*loadgen{
		{cfg: config{target: "127.0.0.1:18000", clientsPerSource: 4000}, clients: make([]*client, 4000)},
		{cfg: config{target: "127.0.0.1:18000", clientsPerSource: 0}, clients: make([]*client, 10000)},
		{cfg: config{target: "192.0.2.1:18000", clientsPerSource: 4000}, clients: make([]*client, 10000)},
	} {
		if got := lg.sourceAddress(0); got != nil {
			t.Errorf("%s, %d clients, %d per source: %v, want the system's choice", lg.cfg.target, len(lg.clients), lg.cfg.clientsPerSource, got)
		}
	}
}

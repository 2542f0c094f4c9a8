package main

// One simulated Envoy: its own grpc.ClientConn (so its own HTTP/2 connection), one ADS
// stream at a time, node on the first request of each stream, an ACK for every response.

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

const (
	tCDS = iota
	tEDS
	tLDS
	tRDS
	nTypes
)

var typeURLs = [nTypes]string{
	"type.googleapis.com/envoy.config.cluster.v3.Cluster",
	"type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
	"type.googleapis.com/envoy.config.listener.v3.Listener",
	"type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
}

var typeNames = [nTypes]string{"cds", "eds", "lds", "rds"}

func typeIndex(url string) int {
	for i, u := range typeURLs {
		if u == url {
			return i
		}
	}
	return -1
}

// clientMode says what a client subscribes to.
type clientMode struct {
	delta    bool
	lds      bool     // subscribe LDS (and RDS by the names the listeners carry)
	cds      bool     // subscribe CDS (and EDS by the names received)
	edsNames []string // fixed EDS names instead of following CDS (churn)
	trackGen bool     // decode CLAs and sum endpoint generations
}

type client struct {
	id   int
	lg   *loadgen
	mode clientMode
	node *core.Node
	conn *grpc.ClientConn

	mu sync.Mutex
	// what the client holds, per type
	version  [nTypes]string // SotW: last ACKed version_info; delta: last system_version_info
	nonce    [nTypes]string
	got      [nTypes]bool // at least one response ACKed for the type
	count    [nTypes]int  // SotW: resources in the last response; delta: names held
	held     [nTypes]map[string]struct{}
	ackAt    [nTypes]int64 // ns since loadgen start, when the last ACK was written
	clusters []string      // names EDS is subscribed to
	routes   []string      // names RDS is subscribed to
	claSum   map[string]int
	genTotal int
	bytes    [nTypes]int64
	lastSize [nTypes]int64 // size of the last response of each type
	resps    int64
	lat      []int64 // churn: update-to-ACK latencies, ns
	streams  int
	live     bool
}

func newClient(lg *loadgen, id int, mode clientMode) *client {
	c := &client{
		id:     id,
		lg:     lg,
		mode:   mode,
		node:   &core.Node{Id: "client-" + strconv.Itoa(id), Cluster: "bench"},
		claSum: map[string]int{},
	}
	for t := range c.held {
		c.held[t] = map[string]struct{}{}
	}
	return c
}

// run keeps a stream open until ctx ends, reconnecting with jittered backoff.
func (c *client) run(ctx context.Context, started func()) {
	backoff := 50 * time.Millisecond
	once := sync.Once{}
	release := func() { once.Do(started) }
	defer release()
	for ctx.Err() == nil {
		var gotAny bool
		if c.mode.delta {
			gotAny = c.deltaSession(ctx, release)
		} else {
			gotAny = c.sotwSession(ctx, release)
		}
		if ctx.Err() != nil {
			return
		}
		c.mu.Lock()
		c.live = false
		c.mu.Unlock()
		c.lg.onStreamFailure()
		release()
		if gotAny {
			backoff = 50 * time.Millisecond
		}
		jitter := time.Duration(rand.Int64N(int64(backoff)))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff/2 + jitter):
		}
		backoff = min(backoff*2, time.Second)
	}
}

func (c *client) markLive() {
	c.mu.Lock()
	c.live = true
	c.streams++
	c.mu.Unlock()
}

func (c *client) sotwSession(ctx context.Context, started func()) bool {
	ads := discovery.NewAggregatedDiscoveryServiceClient(c.conn)
	stream, err := ads.StreamAggregatedResources(ctx, grpc.WaitForReady(true))
	if err != nil {
		return false
	}
	c.markLive()
	nodeSent := false
	send := func(req *discovery.DiscoveryRequest) error {
		if !nodeSent {
			req.Node = c.node
			nodeSent = true
		}
		return stream.Send(req)
	}
	// Like Envoy after a reconnect: re-request what it holds, with the versions it holds.
	c.mu.Lock()
	ver := c.version
	clusters, routes := c.clusters, c.routes
	c.mu.Unlock()
	var reqs []*discovery.DiscoveryRequest
	if c.mode.cds {
		reqs = append(reqs, &discovery.DiscoveryRequest{TypeUrl: typeURLs[tCDS], VersionInfo: ver[tCDS]})
	}
	if c.mode.lds {
		reqs = append(reqs, &discovery.DiscoveryRequest{TypeUrl: typeURLs[tLDS], VersionInfo: ver[tLDS]})
	}
	if len(clusters) > 0 {
		reqs = append(reqs, &discovery.DiscoveryRequest{TypeUrl: typeURLs[tEDS], VersionInfo: ver[tEDS], ResourceNames: clusters})
	}
	if len(routes) > 0 {
		reqs = append(reqs, &discovery.DiscoveryRequest{TypeUrl: typeURLs[tRDS], VersionInfo: ver[tRDS], ResourceNames: routes})
	}
	for _, r := range reqs {
		if send(r) != nil {
			return false
		}
	}
	gotAny := false
	for {
		resp, err := stream.Recv()
		if err != nil {
			return gotAny
		}
		if !gotAny {
			gotAny = true
			started()
		}
		if c.handleSotw(resp, send) != nil {
			return gotAny
		}
	}
}

func (c *client) handleSotw(resp *discovery.DiscoveryResponse, send func(*discovery.DiscoveryRequest) error) error {
	t := typeIndex(resp.GetTypeUrl())
	if t < 0 {
		return send(&discovery.DiscoveryRequest{TypeUrl: resp.GetTypeUrl(), VersionInfo: resp.GetVersionInfo(), ResponseNonce: resp.GetNonce()})
	}
	size := int64(proto.Size(resp))
	var sums map[string]int
	var newClusters, newRoutes []string
	switch t {
	case tCDS:
		names := make([]string, 0, len(resp.GetResources()))
		for _, r := range resp.GetResources() {
			names = append(names, firstStringField(r.GetValue()))
		}
		slices.Sort(names)
		newClusters = c.lg.intern(tCDS, names)
	case tLDS:
		names := make([]string, 0, len(resp.GetResources()))
		for _, r := range resp.GetResources() {
			names = append(names, routeNamesOf(r.GetValue())...)
		}
		slices.Sort(names)
		newRoutes = c.lg.intern(tLDS, slices.Compact(names))
	case tEDS:
		if c.mode.trackGen {
			sums = make(map[string]int, len(resp.GetResources()))
			for _, r := range resp.GetResources() {
				name, sum := claGenSum(r.GetValue())
				sums[name] = sum
			}
		}
	}

	c.mu.Lock()
	ver, nonce := c.version, c.nonce
	clustersChanged := t == tCDS && !slices.Equal(newClusters, c.clusters)
	routesChanged := t == tLDS && !slices.Equal(newRoutes, c.routes)
	if clustersChanged {
		c.clusters = newClusters
	}
	if routesChanged {
		c.routes = newRoutes
	}
	names := [nTypes][]string{nil, c.clusters, nil, c.routes}
	c.mu.Unlock()

	// Envoy asks for the new EDS/RDS names as soon as it sees them, then ACKs.
	if clustersChanged {
		if err := send(&discovery.DiscoveryRequest{TypeUrl: typeURLs[tEDS], VersionInfo: ver[tEDS], ResponseNonce: nonce[tEDS], ResourceNames: newClusters}); err != nil {
			return err
		}
	}
	if routesChanged {
		if err := send(&discovery.DiscoveryRequest{TypeUrl: typeURLs[tRDS], VersionInfo: ver[tRDS], ResponseNonce: nonce[tRDS], ResourceNames: newRoutes}); err != nil {
			return err
		}
	}
	if err := send(&discovery.DiscoveryRequest{TypeUrl: resp.GetTypeUrl(), VersionInfo: resp.GetVersionInfo(), ResponseNonce: resp.GetNonce(), ResourceNames: names[t]}); err != nil {
		return err
	}
	now := c.lg.now()

	c.mu.Lock()
	c.version[t] = resp.GetVersionInfo()
	c.nonce[t] = resp.GetNonce()
	c.got[t] = true
	c.count[t] = len(resp.GetResources())
	c.ackAt[t] = now
	c.bytes[t] += size
	c.lastSize[t] = size
	c.resps++
	for name, s := range sums {
		c.genTotal += s - c.claSum[name]
		c.claSum[name] = s
	}
	c.lg.check(c)
	c.mu.Unlock()
	return nil
}

func (c *client) deltaSession(ctx context.Context, started func()) bool {
	ads := discovery.NewAggregatedDiscoveryServiceClient(c.conn)
	stream, err := ads.DeltaAggregatedResources(ctx, grpc.WaitForReady(true))
	if err != nil {
		return false
	}
	c.markLive()
	nodeSent := false
	send := func(req *discovery.DeltaDiscoveryRequest) error {
		if !nodeSent {
			req.Node = c.node
			nodeSent = true
		}
		return stream.Send(req)
	}
	// A fresh stream starts from nothing in this load generator (no initial_resource_versions).
	c.mu.Lock()
	for t := range c.held {
		c.held[t] = map[string]struct{}{}
		c.count[t] = 0
		c.got[t] = false
	}
	c.clusters = nil
	c.claSum = map[string]int{}
	c.genTotal = 0
	c.mu.Unlock()
	if c.mode.cds {
		if send(&discovery.DeltaDiscoveryRequest{TypeUrl: typeURLs[tCDS]}) != nil {
			return false
		}
	}
	if c.mode.lds {
		if send(&discovery.DeltaDiscoveryRequest{TypeUrl: typeURLs[tLDS]}) != nil {
			return false
		}
	}
	if len(c.mode.edsNames) > 0 {
		c.mu.Lock()
		c.clusters = c.mode.edsNames
		c.mu.Unlock()
		if send(&discovery.DeltaDiscoveryRequest{TypeUrl: typeURLs[tEDS], ResourceNamesSubscribe: c.mode.edsNames}) != nil {
			return false
		}
	}
	gotAny := false
	for {
		resp, err := stream.Recv()
		if err != nil {
			return gotAny
		}
		if !gotAny {
			gotAny = true
			started()
		}
		if c.handleDelta(resp, send) != nil {
			return gotAny
		}
	}
}

func (c *client) handleDelta(resp *discovery.DeltaDiscoveryResponse, send func(*discovery.DeltaDiscoveryRequest) error) error {
	t := typeIndex(resp.GetTypeUrl())
	if t < 0 {
		return send(&discovery.DeltaDiscoveryRequest{TypeUrl: resp.GetTypeUrl(), ResponseNonce: resp.GetNonce()})
	}
	size := int64(proto.Size(resp))
	var sums map[string]int
	var newRoutes []string
	if t == tEDS && c.mode.trackGen {
		sums = make(map[string]int, len(resp.GetResources()))
		for _, r := range resp.GetResources() {
			name, sum := claGenSum(r.GetResource().GetValue())
			sums[name] = sum
		}
	}
	if t == tLDS {
		for _, r := range resp.GetResources() {
			newRoutes = append(newRoutes, routeNamesOf(r.GetResource().GetValue())...)
		}
	}

	c.mu.Lock()
	held := c.held[t]
	for _, r := range resp.GetResources() {
		held[r.GetName()] = struct{}{}
	}
	for _, name := range resp.GetRemovedResources() {
		delete(held, name)
	}
	var subscribe []string
	if t == tCDS && len(c.mode.edsNames) == 0 {
		for _, r := range resp.GetResources() {
			if !slices.Contains(c.clusters, r.GetName()) {
				subscribe = append(subscribe, r.GetName())
			}
		}
		c.clusters = append(c.clusters, subscribe...)
	}
	var subscribeRoutes []string
	for _, name := range newRoutes {
		if !slices.Contains(c.routes, name) && !slices.Contains(subscribeRoutes, name) {
			subscribeRoutes = append(subscribeRoutes, name)
		}
	}
	c.routes = append(c.routes, subscribeRoutes...)
	c.mu.Unlock()

	if len(subscribe) > 0 {
		if err := send(&discovery.DeltaDiscoveryRequest{TypeUrl: typeURLs[tEDS], ResourceNamesSubscribe: subscribe}); err != nil {
			return err
		}
	}
	if len(subscribeRoutes) > 0 {
		if err := send(&discovery.DeltaDiscoveryRequest{TypeUrl: typeURLs[tRDS], ResourceNamesSubscribe: subscribeRoutes}); err != nil {
			return err
		}
	}
	if err := send(&discovery.DeltaDiscoveryRequest{TypeUrl: resp.GetTypeUrl(), ResponseNonce: resp.GetNonce()}); err != nil {
		return err
	}
	now := c.lg.now()

	c.mu.Lock()
	c.version[t] = resp.GetSystemVersionInfo()
	c.nonce[t] = resp.GetNonce()
	c.got[t] = true
	c.count[t] = len(held)
	c.ackAt[t] = now
	c.bytes[t] += size
	c.lastSize[t] = size
	c.resps++
	for name, s := range sums {
		prev := c.claSum[name]
		c.genTotal += s - prev
		c.claSum[name] = s
		if c.lg.churn != nil {
			for u := prev + 1; u <= s; u++ {
				if t0 := c.lg.churn.sentAt(name, u); t0 > 0 {
					c.lat = append(c.lat, now-t0)
				}
			}
		}
	}
	c.lg.check(c)
	c.mu.Unlock()
	return nil
}

// fullState reports, with c.mu held, whether the client holds every subscribed type,
// including an assignment for every cluster and a route configuration for every listener route.
func (c *client) fullState() bool {
	if !c.live {
		return false
	}
	if c.mode.cds && (!c.got[tCDS] || !c.got[tEDS] || c.count[tEDS] != len(c.clusters)) {
		return false
	}
	if !c.mode.cds && len(c.mode.edsNames) > 0 && (!c.got[tEDS] || c.count[tEDS] != len(c.mode.edsNames)) {
		return false
	}
	if c.mode.lds && (!c.got[tLDS] || (len(c.routes) > 0 && (!c.got[tRDS] || c.count[tRDS] != len(c.routes)))) {
		return false
	}
	return true
}

// firstStringField reads field 1 (the name in Cluster, ClusterLoadAssignment, Listener and
// RouteConfiguration) without decoding the rest of the message.
func firstStringField(b []byte) string {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return ""
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(b)
			return string(v)
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return ""
		}
		b = b[n:]
	}
	return ""
}

// routeNamesOf returns the RDS route config names a listener's HTTP connection managers use.
func routeNamesOf(b []byte) []string {
	var l listener.Listener
	if proto.Unmarshal(b, &l) != nil {
		return nil
	}
	var out []string
	for _, fc := range l.GetFilterChains() {
		for _, f := range fc.GetFilters() {
			tc := f.GetTypedConfig()
			if tc == nil || !strings.HasSuffix(tc.GetTypeUrl(), "HttpConnectionManager") {
				continue
			}
			var m hcm.HttpConnectionManager
			if proto.Unmarshal(tc.GetValue(), &m) == nil && m.GetRds() != nil {
				out = append(out, m.GetRds().GetRouteConfigName())
			}
		}
	}
	return out
}

// claGenSum returns an assignment's name and the sum over its endpoints of (port - 8080),
// which by the spec is the number of endpoint changes applied to that cluster. It reads the
// wire format in place (no message is built): decoding each assignment with proto.Unmarshal
// was ~40 % of the load generator's CPU at churn-5000, taken from the core the server shares.
func claGenSum(b []byte) (string, int) {
	name, sum := "", 0
	ok := eachField(b, func(num protowire.Number, v []byte, _ uint64) bool {
		switch num {
		case 1: // cluster_name
			name = string(v)
		case 2: // endpoints (LocalityLbEndpoints)
			return eachField(v, func(num protowire.Number, v []byte, _ uint64) bool {
				if num != 2 { // lb_endpoints
					return true
				}
				port, ok := lbEndpointPort(v)
				if ok {
					sum += int(port) - 8080
				}
				return ok
			})
		}
		return true
	})
	if !ok {
		return "", 0
	}
	return name, sum
}

// lbEndpointPort reads LbEndpoint.endpoint(1).address(1).socket_address(1).port_value(3);
// an endpoint without one counts as port 0, as the decoded message's getters give.
func lbEndpointPort(b []byte) (uint64, bool) {
	for range 3 {
		var inner []byte
		if !eachField(b, func(num protowire.Number, v []byte, _ uint64) bool {
			if num == 1 && v != nil {
				inner = v
			}
			return true
		}) {
			return 0, false
		}
		if inner == nil {
			return 0, true
		}
		b = inner
	}
	var port uint64
	ok := eachField(b, func(num protowire.Number, v []byte, n uint64) bool {
		if num == 3 && v == nil {
			port = n
		}
		return true
	})
	return port, ok
}

// eachField calls f for each field of a message's wire bytes: v holds a length-delimited
// field's bytes (nil for other wire types), n a varint's value. It stops when f returns false
// and reports false for bytes that do not parse.
func eachField(b []byte, f func(num protowire.Number, v []byte, n uint64) bool) bool {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return false
		}
		b = b[n:]
		switch typ {
		case protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return false
			}
			if v == nil {
				v = []byte{}
			}
			if !f(num, v, 0) {
				return false
			}
			b = b[m:]
		case protowire.VarintType:
			x, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return false
			}
			if !f(num, nil, x) {
				return false
			}
			b = b[m:]
		default:
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return false
			}
			b = b[m:]
		}
	}
	return true
}

// Command gcp-peer is the go-control-plane side of the xdskit benchmark: it serves the
// resource set of bench/SCENARIOS.md from go-control-plane's own caches and ADS server,
// and exposes the control API the load generator drives. It holds no xDS logic of its own.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	cache "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resource "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	server "github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
)

const nodeGroup = "bench"

// byNodeCluster keys the snapshot cache by node.cluster so one snapshot serves every client.
type byNodeCluster struct{}

func (byNodeCluster) ID(n *core.Node) string { return n.GetCluster() }

type counters struct {
	encodeCalls   atomic.Int64
	responsesSent atomic.Int64
	resourcesSent atomic.Int64
	streams       atomic.Int64
	deltaStreams  atomic.Int64
}

type peer struct {
	scenario string
	c, k, m  int

	mu          sync.Mutex
	step        int
	clusterStep []int
	gen         []int // C*K endpoint generations
	edsUpdates  []int // per-cluster /eds-update count (churn)
	typeVer     [4]int
	clusters    []types.Resource
	clas        []types.Resource
	listeners   []types.Resource
	routes      []types.Resource
	current     *cache.Snapshot
	// versionMapCounted: the current snapshot's version-map marshal is counted in encodeCalls.
	versionMapCounted bool

	snapshots cache.SnapshotCache
	linear    *cache.LinearCache // churn only
	xds       cache.Cache

	// linear-cache marshals are shared per resource version; count each version once.
	linearSeenMu sync.Mutex
	linearSeen   map[string]string

	n counters
}

const (
	tCDS = iota
	tEDS
	tLDS
	tRDS
)

func newPeer(scenario string, c, k, m, initial int) *peer {
	p := &peer{scenario: scenario, c: c, k: k, m: m, step: initial, linearSeen: map[string]string{}}
	p.clusterStep = make([]int, c)
	p.gen = make([]int, c*k)
	p.edsUpdates = make([]int, c)
	for t := range p.typeVer {
		p.typeVer[t] = initial
	}
	p.clusters = make([]types.Resource, c)
	p.clas = make([]types.Resource, c)
	for i := 0; i < c; i++ {
		p.clusterStep[i] = initial
		p.clusters[i] = makeCluster(i, initial)
		p.clas[i] = makeCLA(i, k, p.gen[i*k:(i+1)*k])
	}
	p.listeners = make([]types.Resource, m)
	p.routes = make([]types.Resource, m)
	for i := 0; i < m; i++ {
		p.listeners[i] = makeListener(i)
		p.routes[i] = makeRoute(i, c)
	}
	p.snapshots = cache.NewSnapshotCache(true, byNodeCluster{}, nil)
	if scenario == "churn" {
		initialCLAs := make(map[string]types.Resource, c)
		for i, r := range p.clas {
			initialCLAs[clusterName(i)] = r
		}
		p.linear = cache.NewLinearCache(resource.EndpointType, cache.WithInitialResources(initialCLAs))
		p.xds = &cache.MuxCache{
			Classify: func(r *cache.Request) string { return classify(r.GetTypeUrl()) },
			ClassifyDelta: func(r *cache.DeltaRequest) string {
				return classify(r.GetTypeUrl())
			},
			Caches: map[string]cache.Cache{"eds": p.linear, "snapshot": p.snapshots},
		}
	} else {
		p.xds = p.snapshots
	}
	p.publishLocked()
	return p
}

func classify(typeURL string) string {
	if typeURL == resource.EndpointType {
		return "eds"
	}
	return "snapshot"
}

// publishLocked builds a snapshot with per-type versions and hands it to the snapshot cache.
func (p *peer) publishLocked() {
	snap := &cache.Snapshot{}
	snap.Resources[types.Cluster] = cache.NewResources(strconv.Itoa(p.typeVer[tCDS]), p.clusters)
	if p.linear == nil {
		snap.Resources[types.Endpoint] = cache.NewResources(strconv.Itoa(p.typeVer[tEDS]), p.clas)
	}
	snap.Resources[types.Listener] = cache.NewResources(strconv.Itoa(p.typeVer[tLDS]), p.listeners)
	snap.Resources[types.Route] = cache.NewResources(strconv.Itoa(p.typeVer[tRDS]), p.routes)
	p.current = snap
	p.versionMapCounted = false
	if p.n.deltaStreams.Load() > 0 {
		// Not yet shared with the cache: safe to fill in here.
		if err := snap.ConstructVersionMap(); err != nil {
			fmt.Fprintln(os.Stderr, "version map:", err)
			os.Exit(1)
		}
		p.countVersionMapLocked()
	}
	if err := p.snapshots.SetSnapshot(context.Background(), nodeGroup, snap); err != nil {
		fmt.Fprintln(os.Stderr, "setSnapshot:", err)
		os.Exit(1)
	}
}

// countVersionMapLocked counts, once per snapshot, the per-snapshot marshal the snapshot cache
// does for delta streams (one marshal of every resource, to build the version map). A snapshot
// published while delta streams exist gets its map built by publishLocked before the cache sees
// it; one already in the cache when the first delta stream opens gets it from the cache itself,
// in its next delta watch, under the cache's lock. The peer must not build that one: the cache's
// streams read the snapshot concurrently, and ConstructVersionMap has no lock of its own (doing
// it here was a data race that crashed the peer with "concurrent map read and map write").
func (p *peer) countVersionMapLocked() {
	if p.current == nil || p.versionMapCounted {
		return
	}
	p.versionMapCounted = true
	total := 0
	for _, r := range p.current.Resources {
		total += len(r.Items)
	}
	p.n.encodeCalls.Add(int64(total))
}

func (p *peer) callbacks() server.Callbacks {
	return server.CallbackFuncs{
		StreamOpenFunc: func(context.Context, int64, string) error {
			p.n.streams.Add(1)
			return nil
		},
		StreamClosedFunc: func(int64, *core.Node) { p.n.streams.Add(-1) },
		DeltaStreamOpenFunc: func(context.Context, int64, string) error {
			p.n.streams.Add(1)
			if p.n.deltaStreams.Add(1) == 1 {
				p.mu.Lock()
				p.countVersionMapLocked()
				p.mu.Unlock()
			}
			return nil
		},
		DeltaStreamClosedFunc: func(int64, *core.Node) {
			p.n.streams.Add(-1)
			p.n.deltaStreams.Add(-1)
		},
		StreamResponseFunc: func(_ context.Context, _ int64, _ *discovery.DiscoveryRequest, resp *discovery.DiscoveryResponse) {
			n := int64(len(resp.GetResources()))
			p.n.responsesSent.Add(1)
			p.n.resourcesSent.Add(n)
			// Snapshot-cache SotW responses marshal each resource afresh per response.
			p.n.encodeCalls.Add(n)
		},
		StreamDeltaResponseFunc: func(_ int64, _ *discovery.DeltaDiscoveryRequest, resp *discovery.DeltaDiscoveryResponse) {
			n := int64(len(resp.GetResources()))
			p.n.responsesSent.Add(1)
			p.n.resourcesSent.Add(n)
			if p.linear != nil && resp.GetTypeUrl() == resource.EndpointType {
				p.linearSeenMu.Lock()
				for _, r := range resp.GetResources() {
					if p.linearSeen[r.GetName()] != r.GetVersion() {
						p.linearSeen[r.GetName()] = r.GetVersion()
						p.n.encodeCalls.Add(1)
					}
				}
				p.linearSeenMu.Unlock()
				return
			}
			p.n.encodeCalls.Add(n)
		},
	}
}

func roundCount(fraction float64, total int) int {
	n := int(math.Round(fraction * float64(total)))
	if n < 1 && fraction > 0 {
		n = 1
	}
	if n > total {
		n = total
	}
	return n
}

func (p *peer) doStep(fraction float64) (map[string]any, error) {
	if p.linear != nil {
		return nil, fmt.Errorf("/step is for snapshot scenarios")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.step++
	for i := 0; i < roundCount(fraction, p.c); i++ {
		p.clusterStep[i] = p.step
		p.clusters[i] = makeCluster(i, p.step)
	}
	p.typeVer[tCDS] = p.step
	p.publishLocked()
	return map[string]any{"version": p.step}, nil
}

func (p *peer) doChurn(mode string, fraction float64) (map[string]any, error) {
	if p.linear != nil {
		return nil, fmt.Errorf("/churn is for snapshot scenarios")
	}
	if mode != "concentrated" && mode != "spread" {
		return nil, fmt.Errorf("mode must be concentrated or spread")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	total := p.c * p.k
	e := roundCount(fraction, total)
	touched := map[int]bool{}
	for x := 0; x < e; x++ {
		var i, j int
		if mode == "concentrated" {
			i, j = x/p.k, x%p.k
		} else {
			i, j = x%p.c, x/p.c
		}
		p.gen[i*p.k+j]++
		touched[i] = true
	}
	for i := range touched {
		p.clas[i] = makeCLA(i, p.k, p.gen[i*p.k:(i+1)*p.k])
	}
	p.step++
	p.typeVer[tEDS] = p.step
	p.publishLocked()
	sum := 0
	for _, g := range p.gen {
		sum += g
	}
	return map[string]any{"version": p.step, "genSum": sum}, nil
}

func (p *peer) doEdsUpdate(i int) (map[string]any, error) {
	if p.linear == nil {
		return nil, fmt.Errorf("/eds-update is for the churn scenario")
	}
	if i < 0 || i >= p.c {
		return nil, fmt.Errorf("cluster out of range")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u := p.edsUpdates[i]
	p.gen[i*p.k+u%p.k]++
	p.edsUpdates[i] = u + 1
	p.step++
	cla := makeCLA(i, p.k, p.gen[i*p.k:(i+1)*p.k])
	p.clas[i] = cla
	if err := p.linear.UpdateResource(clusterName(i), cla); err != nil {
		return nil, err
	}
	return map[string]any{"version": p.step, "cluster": i, "updates": u + 1}, nil
}

func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return -1
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func (p *peer) stats(gc bool) map[string]any {
	if gc {
		runtime.GC()
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.mu.Lock()
	version := p.step
	p.mu.Unlock()
	return map[string]any{
		"server":        "go-control-plane",
		"cpuUserMs":     float64(ru.Utime.Sec)*1e3 + float64(ru.Utime.Usec)/1e3,
		"cpuSystemMs":   float64(ru.Stime.Sec)*1e3 + float64(ru.Stime.Usec)/1e3,
		"rssBytes":      rssBytes(),
		"heapBytes":     ms.HeapAlloc,
		"gcForced":      gc,
		"encodeCalls":   p.n.encodeCalls.Load(),
		"encodeCounted": "derived",
		"responsesSent": p.n.responsesSent.Load(),
		"resourcesSent": p.n.resourcesSent.Load(),
		"streams":       p.n.streams.Load(),
		"version":       version,
	}
}

func (p *peer) controlHandler() http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v map[string]any, err error) {
		w.Header().Set("content-type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}
	floatParam := func(r *http.Request, name string, def float64) float64 {
		if s := r.URL.Query().Get(name); s != "" {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				return f
			}
		}
		return def
	}
	mux.HandleFunc("POST /step", func(w http.ResponseWriter, r *http.Request) {
		v, err := p.doStep(floatParam(r, "fraction", 0.1))
		reply(w, v, err)
	})
	mux.HandleFunc("POST /churn", func(w http.ResponseWriter, r *http.Request) {
		v, err := p.doChurn(r.URL.Query().Get("mode"), floatParam(r, "fraction", 0.01))
		reply(w, v, err)
	})
	mux.HandleFunc("POST /eds-update", func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(r.URL.Query().Get("cluster"))
		if err != nil {
			reply(w, nil, fmt.Errorf("cluster must be an integer"))
			return
		}
		v, err := p.doEdsUpdate(i)
		reply(w, v, err)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		reply(w, p.stats(r.URL.Query().Get("gc") == "1"), nil)
	})
	mux.HandleFunc("POST /quit", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, map[string]any{}, nil)
		go func() {
			time.Sleep(50 * time.Millisecond)
			os.Exit(0)
		}()
	})
	return mux
}

func raiseFDLimit() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

func main() {
	scenario := flag.String("scenario", "fanout", "fanout|idle|churn|bytes|reconnect")
	port := flag.Int("port", 18000, "gRPC port")
	controlPort := flag.Int("control-port", 18001, "control HTTP port (127.0.0.1)")
	clusters := flag.Int("clusters", 1000, "clusters (and endpoint assignments)")
	endpoints := flag.Int("endpoints", 5, "endpoints per assignment")
	listeners := flag.Int("listeners", 10, "listeners (and route configurations)")
	initial := flag.Int("initial-version", 1, "version of the first snapshot")
	flag.Parse()
	switch *scenario {
	case "fanout", "idle", "churn", "bytes", "reconnect":
	default:
		fmt.Fprintln(os.Stderr, "unknown scenario", *scenario)
		os.Exit(2)
	}
	raiseFDLimit()

	p := newPeer(*scenario, *clusters, *endpoints, *listeners, *initial)
	xds := server.NewServer(context.Background(), p.xds, p.callbacks())
	g := grpc.NewServer(grpc.MaxConcurrentStreams(math.MaxUint32))
	discovery.RegisterAggregatedDiscoveryServiceServer(g, xds)

	lis, err := net.Listen("tcp", fmt.Sprintf("0.0.0.0:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	clis, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *controlPort))
	if err != nil {
		fmt.Fprintln(os.Stderr, "control listen:", err)
		os.Exit(1)
	}
	go func() {
		if err := g.Serve(lis); err != nil {
			fmt.Fprintln(os.Stderr, "grpc:", err)
			os.Exit(1)
		}
	}()
	go func() {
		if err := http.Serve(clis, p.controlHandler()); err != nil {
			fmt.Fprintln(os.Stderr, "control:", err)
			os.Exit(1)
		}
	}()
	fmt.Printf("READY %d %d\n", lis.Addr().(*net.TCPAddr).Port, clis.Addr().(*net.TCPAddr).Port)
	select {}
}

// Command loadgen drives one xDS server through one scenario of bench/SCENARIOS.md and
// prints one JSON object describing the run on stdout. Progress goes to stderr.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
)

type config struct {
	target, control, scenario, protocol string
	clients, clusters, subscribe        int
	clientsPerSource                    int
	connectConcurrency                  int
	fraction, churnFraction, rate       float64
	duration, timeout, settle           time.Duration
}

type loadgen struct {
	cfg     config
	start   time.Time
	clients []*client
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	waiter    atomic.Pointer[waiter]
	failures  atomic.Int64
	firstFail atomic.Int64

	internMu sync.Mutex
	interned [nTypes][]string

	churn *churnLog
}

func (lg *loadgen) now() int64 { return int64(time.Since(lg.start)) }

func (lg *loadgen) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[loadgen %6.2fs] %s\n", time.Since(lg.start).Seconds(), fmt.Sprintf(format, args...))
}

// intern shares one copy of identical name lists between clients.
func (lg *loadgen) intern(t int, names []string) []string {
	lg.internMu.Lock()
	defer lg.internMu.Unlock()
	if slices.Equal(lg.interned[t], names) {
		return lg.interned[t]
	}
	lg.interned[t] = names
	return names
}

func (lg *loadgen) onStreamFailure() {
	lg.failures.Add(1)
	lg.firstFail.CompareAndSwap(0, lg.now())
}

// waiter counts clients for which pred holds; pred runs with the client's mutex held.
type waiter struct {
	pred  func(*client) bool
	sat   []atomic.Bool
	count atomic.Int64
	done  chan struct{}
	once  sync.Once
}

func (lg *loadgen) check(c *client) {
	w := lg.waiter.Load()
	if w == nil || w.sat[c.id].Load() || !w.pred(c) {
		return
	}
	if w.sat[c.id].CompareAndSwap(false, true) && int(w.count.Add(1)) == len(lg.clients) {
		w.once.Do(func() { close(w.done) })
	}
}

// waitAll returns once pred holds for every client, or an error on timeout.
func (lg *loadgen) waitAll(what string, pred func(*client) bool) error {
	w := &waiter{pred: pred, sat: make([]atomic.Bool, len(lg.clients)), done: make(chan struct{})}
	lg.waiter.Store(w)
	defer lg.waiter.Store(nil)
	for _, c := range lg.clients {
		c.mu.Lock()
		lg.check(c)
		c.mu.Unlock()
	}
	if len(lg.clients) == 0 {
		return nil
	}
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	deadline := time.After(lg.cfg.timeout)
	for {
		select {
		case <-w.done:
			return nil
		case <-tick.C:
			lg.logf("waiting for %s: %d/%d clients", what, w.count.Load(), len(lg.clients))
		case <-deadline:
			return fmt.Errorf("timeout waiting for %s: %d/%d clients", what, w.count.Load(), len(lg.clients))
		}
	}
}

// lastAck is the latest time (ns since start) any client ACKed one of the types.
func (lg *loadgen) lastAck(types ...int) int64 {
	var last int64
	for _, c := range lg.clients {
		c.mu.Lock()
		for _, t := range types {
			last = max(last, c.ackAt[t])
		}
		c.mu.Unlock()
	}
	return last
}

// firstAck is the earliest time (ns since start) any client ACKed its latest response of type
// t, and the size of that client's latest response of the type.
func (lg *loadgen) firstAck(t int) (int64, int64) {
	first, size := int64(-1), int64(0)
	for _, c := range lg.clients {
		c.mu.Lock()
		if first < 0 || c.ackAt[t] < first {
			first, size = c.ackAt[t], c.lastSize[t]
		}
		c.mu.Unlock()
	}
	return first, size
}

func (lg *loadgen) connect(mode func(i int) clientMode) {
	ctx, cancel := context.WithCancel(context.Background())
	lg.cancel = cancel
	lg.clients = make([]*client, lg.cfg.clients)
	for i := range lg.clients {
		lg.clients[i] = newClient(lg, i, mode(i))
	}
	sem := make(chan struct{}, max(1, lg.cfg.connectConcurrency))
	params := grpc.ConnectParams{
		Backoff:           backoff.Config{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
		MinConnectTimeout: 5 * time.Second,
	}
	for i, c := range lg.clients {
		opts := []grpc.DialOption{
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithConnectParams(params),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256 << 20)),
		}
		if source := lg.sourceAddress(i); source != nil {
			opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: source}}
				return d.DialContext(ctx, "tcp", addr)
			}))
		}
		conn, err := grpc.NewClient("passthrough:///"+lg.cfg.target, opts...)
		if err != nil {
			fail(lg, "dial: %v", err)
		}
		c.conn = conn
		sem <- struct{}{}
		lg.wg.Add(1)
		go func() {
			defer lg.wg.Done()
			c.run(ctx, func() { <-sem })
		}()
	}
}

// sourceAddress is the loopback address client i connects from, or nil for the system's choice.
// A fleet of proxies comes from many hosts, and a server may cap the connections of one peer
// address (ours: 5,000 by default, against connection floods): past --clients-per-source clients
// on a loopback target, clients are spread over 127.0.0.10, .11, ... (127.0.0.2 is the hostile
// case's attackers'). Nothing leaves the machine: every 127.0.0.0/8 address is the loopback
// interface.
func (lg *loadgen) sourceAddress(i int) net.IP {
	per := lg.cfg.clientsPerSource
	if per <= 0 || len(lg.clients) <= per {
		return nil
	}
	host, _, err := net.SplitHostPort(lg.cfg.target)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return nil
	}
	return net.IPv4(127, 0, 0, byte(10+i/per))
}

func (lg *loadgen) disconnect() {
	if lg.cancel != nil {
		lg.cancel()
	}
	for _, c := range lg.clients {
		_ = c.conn.Close()
	}
	lg.wg.Wait()
	lg.clients = nil
}

// ---- control API ----

type stats struct {
	CPUUserMs     float64 `json:"cpuUserMs"`
	CPUSystemMs   float64 `json:"cpuSystemMs"`
	RSSBytes      float64 `json:"rssBytes"`
	HeapBytes     float64 `json:"heapBytes"`
	EncodeCalls   float64 `json:"encodeCalls"`
	ResponsesSent float64 `json:"responsesSent"`
	ResourcesSent float64 `json:"resourcesSent"`
	Server        string  `json:"server"`
}

func (s stats) cpuMs() float64 { return s.CPUUserMs + s.CPUSystemMs }

var httpc = &http.Client{Timeout: 60 * time.Second}

func (lg *loadgen) control(method, path string, out any) {
	req, _ := http.NewRequest(method, "http://"+lg.cfg.control+path, nil)
	resp, err := httpc.Do(req)
	if err != nil {
		fail(lg, "control %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		fail(lg, "control %s %s: %d %s", method, path, resp.StatusCode, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			fail(lg, "control %s %s: %v", method, path, err)
		}
	}
}

func (lg *loadgen) stats(gc bool) stats {
	var s stats
	path := "/stats"
	if gc {
		path += "?gc=1"
	}
	lg.control("GET", path, &s)
	return s
}

// ---- output ----

type result struct {
	Scenario string             `json:"scenario"`
	Protocol string             `json:"protocol"`
	Clients  int                `json:"clients"`
	Server   string             `json:"server"`
	OK       bool               `json:"ok"`
	Error    string             `json:"error,omitempty"`
	Figures  map[string]float64 `json:"figures"`
	Details  map[string]any     `json:"details,omitempty"`
}

var out = &result{Figures: map[string]float64{}, Details: map[string]any{}}

func emit() {
	stopProfile()
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	out.Details["loadgenCpuTotalS"] = float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

// startProfile writes a CPU profile of the whole run to $LOADGEN_CPU_PROFILE when it is set,
// to see what the load generator itself spends (it shares the machine with the server).
func startProfile() {
	path := os.Getenv("LOADGEN_CPU_PROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: no CPU profile: %v\n", err)
	}
}

func stopProfile() { pprof.StopCPUProfile() }

func fail(lg *loadgen, format string, args ...any) {
	out.OK = false
	out.Error = fmt.Sprintf(format, args...)
	lg.logf("FAILED: %s", out.Error)
	emit()
	os.Exit(1)
}

func cpuSelfMs() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec)*1e3 + float64(ru.Utime.Usec+ru.Stime.Usec)/1e3
}

func raiseFDLimit() {
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil && lim.Cur < lim.Max {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
}

func main() {
	var cfg config
	flag.StringVar(&cfg.target, "target", "127.0.0.1:18000", "xDS server gRPC address")
	flag.StringVar(&cfg.control, "control", "127.0.0.1:18001", "server control HTTP address")
	flag.StringVar(&cfg.scenario, "scenario", "fanout", "fanout|idle|churn|bytes|reconnect")
	flag.StringVar(&cfg.protocol, "protocol", "", "sotw|delta (default per scenario)")
	flag.IntVar(&cfg.clients, "clients", 1000, "simulated clients, one HTTP/2 connection each")
	flag.IntVar(&cfg.clusters, "clusters", 1000, "clusters the server was started with (churn)")
	flag.IntVar(&cfg.subscribe, "subscribe", 100, "churn: assignments each client subscribes to")
	flag.IntVar(&cfg.clientsPerSource, "clients-per-source", 4000, "clients per loopback source address when there are more clients than this (0: all from the system's choice)")
	flag.IntVar(&cfg.connectConcurrency, "connect-concurrency", 200, "clients connecting at once")
	flag.Float64Var(&cfg.fraction, "fraction", 0.1, "fanout: fraction of clusters one step changes")
	flag.Float64Var(&cfg.churnFraction, "churn-fraction", 0.01, "bytes: fraction of endpoints one churn changes")
	flag.Float64Var(&cfg.rate, "rate", 100, "churn: endpoint updates per second")
	flag.DurationVar(&cfg.duration, "duration", 30*time.Second, "churn: how long to update")
	flag.DurationVar(&cfg.timeout, "timeout", 180*time.Second, "limit for any single wait")
	flag.DurationVar(&cfg.settle, "settle", 3*time.Second, "idle: quiet time before measuring")
	flag.Parse()
	raiseFDLimit()
	startProfile()

	lg := &loadgen{cfg: cfg, start: time.Now()}
	out.Scenario, out.Clients = cfg.scenario, cfg.clients
	out.Details["gomaxprocs"] = runtime.GOMAXPROCS(0)
	switch cfg.scenario {
	case "fanout":
		out.Protocol = "sotw"
		runFanout(lg)
	case "idle":
		out.Protocol = "sotw"
		runIdle(lg)
	case "churn":
		out.Protocol = "delta"
		runChurn(lg)
	case "bytes":
		out.Protocol = "sotw+delta"
		runBytes(lg)
	case "reconnect":
		out.Protocol = "sotw"
		runReconnect(lg)
	default:
		fail(lg, "unknown scenario %q", cfg.scenario)
	}
	out.OK = true
	emit()
	os.Exit(0)
}

// ---- scenarios ----

func envoyLike(delta, lds, trackGen bool) func(int) clientMode {
	return func(int) clientMode { return clientMode{delta: delta, cds: true, lds: lds, trackGen: trackGen} }
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }

// connectAll connects every client and waits for full state; returns ms to get there.
func connectAll(lg *loadgen, mode func(int) clientMode) float64 {
	t0 := lg.now()
	lg.connect(mode)
	if err := lg.waitAll("initial full state", (*client).fullState); err != nil {
		fail(lg, "%v", err)
	}
	d := ms(lg.now() - t0)
	lg.logf("%d clients hold full state after %.0f ms", len(lg.clients), d)
	return d
}

func runFanout(lg *loadgen) {
	out.Figures["initialSyncMs"] = connectAll(lg, envoyLike(false, true, false))
	s1 := lg.stats(false)
	out.Server = s1.Server
	cpu1 := cpuSelfMs()
	t0 := lg.now()
	var step struct {
		Version int `json:"version"`
	}
	lg.control("POST", fmt.Sprintf("/step?fraction=%g", lg.cfg.fraction), &step)
	tStep := lg.now()
	want := strconv.Itoa(step.Version)
	if err := lg.waitAll("CDS version "+want, func(c *client) bool { return c.version[tCDS] == want }); err != nil {
		fail(lg, "%v", err)
	}
	tEnd := lg.lastAck(tCDS)
	tFirst, cdsBytes := lg.firstAck(tCDS)
	s2 := lg.stats(false)
	cpu2 := cpuSelfMs()
	out.Figures["convergeMs"] = ms(tEnd - t0)
	out.Figures["firstAckMs"] = ms(tFirst - t0)
	out.Details["cdsResponseBytes"] = cdsBytes
	out.Figures["setSnapshotMs"] = ms(tStep - t0)
	out.Figures["serverCpuS"] = (s2.cpuMs() - s1.cpuMs()) / 1e3
	out.Figures["encodeCalls"] = s2.EncodeCalls - s1.EncodeCalls
	out.Figures["responsesSent"] = s2.ResponsesSent - s1.ResponsesSent
	out.Figures["loadgenCpuS"] = (cpu2 - cpu1) / 1e3
	out.Details["version"] = step.Version
	lg.logf("step to %d: all ACKed after %.0f ms", step.Version, out.Figures["convergeMs"])
	lg.disconnect()
}

func runIdle(lg *loadgen) {
	s0 := lg.stats(true)
	out.Server = s0.Server
	out.Figures["initialSyncMs"] = connectAll(lg, envoyLike(false, true, false))
	time.Sleep(lg.cfg.settle)
	s1 := lg.stats(true)
	n := float64(len(lg.clients))
	out.Figures["rssPerClientBytes"] = (s1.RSSBytes - s0.RSSBytes) / n
	out.Figures["heapPerClientBytes"] = (s1.HeapBytes - s0.HeapBytes) / n
	out.Figures["rssBytes"] = s1.RSSBytes
	out.Figures["heapBytes"] = s1.HeapBytes
	out.Details["before"] = s0
	out.Details["after"] = s1
	lg.disconnect()
}

// churnLog records when each (cluster, nth update) was requested, for latency lookup.
type churnLog struct {
	perCluster int
	clusters   int
	t0         []atomic.Int64
}

func (l *churnLog) sentAt(name string, u int) int64 {
	i, err := strconv.Atoi(strings.TrimPrefix(name, "cluster-"))
	if err != nil || i < 0 || i >= l.clusters || u < 1 || u > l.perCluster {
		return 0
	}
	return l.t0[i*l.perCluster+u-1].Load()
}

func runChurn(lg *loadgen) {
	cfg := lg.cfg
	total := int(cfg.rate*cfg.duration.Seconds() + 0.5)
	per := total/max(1, cfg.clusters) + 2
	lg.churn = &churnLog{perCluster: per, clusters: cfg.clusters, t0: make([]atomic.Int64, per*cfg.clusters)}
	sub := min(cfg.subscribe, cfg.clusters)
	mode := func(i int) clientMode {
		names := make([]string, sub)
		for s := range names {
			names[s] = fmt.Sprintf("cluster-%04d", (i*sub+s)%cfg.clusters)
		}
		slices.Sort(names)
		return clientMode{delta: true, edsNames: names, trackGen: true}
	}
	out.Figures["initialSyncMs"] = connectAll(lg, mode)
	s1 := lg.stats(false)
	out.Server = s1.Server
	cpu1 := cpuSelfMs()
	t0 := time.Now()
	interval := time.Duration(float64(time.Second) / cfg.rate)
	sent := 0
	counts := make([]int, cfg.clusters)
	expectedSamples := 0
	subscribers := make([]int, cfg.clusters)
	for i := range lg.clients {
		for s := 0; s < sub; s++ {
			subscribers[(i*sub+s)%cfg.clusters]++
		}
	}
	for sent < total {
		next := t0.Add(time.Duration(sent) * interval)
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		i := sent % cfg.clusters
		u := counts[i] + 1
		if u > per {
			break
		}
		lg.churn.t0[i*per+u-1].Store(lg.now())
		var r struct {
			Updates int `json:"updates"`
		}
		lg.control("POST", fmt.Sprintf("/eds-update?cluster=%d", i), &r)
		if r.Updates != u {
			fail(lg, "cluster %d: server reports %d updates, expected %d", i, r.Updates, u)
		}
		counts[i] = u
		expectedSamples += subscribers[i]
		sent++
	}
	wall := time.Since(t0)
	// Let the last updates land: every client holds every update to its assignments.
	if err := lg.waitAll("last churn updates", func(c *client) bool {
		for _, name := range c.mode.edsNames {
			i, _ := strconv.Atoi(strings.TrimPrefix(name, "cluster-"))
			if c.claSum[name] != counts[i] {
				return false
			}
		}
		return true
	}); err != nil {
		fail(lg, "%v", err)
	}
	s2 := lg.stats(false)
	cpu2 := cpuSelfMs()
	var lat []int64
	for _, c := range lg.clients {
		c.mu.Lock()
		lat = append(lat, c.lat...)
		c.mu.Unlock()
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return -1
		}
		return ms(lat[min(len(lat)-1, int(p*float64(len(lat))))])
	}
	out.Figures["serverCpuPct"] = (s2.cpuMs() - s1.cpuMs()) / float64(wall.Milliseconds()) * 100
	out.Figures["p50Ms"] = pct(0.50)
	out.Figures["p99Ms"] = pct(0.99)
	out.Figures["maxMs"] = pct(1)
	out.Figures["encodeCalls"] = s2.EncodeCalls - s1.EncodeCalls
	out.Figures["loadgenCpuPct"] = (cpu2 - cpu1) / float64(wall.Milliseconds()) * 100
	out.Details["updatesSent"] = sent
	// Updates the server applied per second: each POST returns once the cache update call
	// returned, and the next is sent at its offered time or at once when behind.
	out.Figures["updatesPerS"] = float64(sent) / wall.Seconds()
	out.Details["wallS"] = wall.Seconds()
	out.Details["latencySamples"] = len(lat)
	out.Details["expectedSamples"] = expectedSamples
	out.Details["responsesSent"] = s2.ResponsesSent - s1.ResponsesSent
	lg.logf("churn: %d updates in %.1fs, p50 %.2f ms p99 %.2f ms", sent, wall.Seconds(), out.Figures["p50Ms"], out.Figures["p99Ms"])
	lg.disconnect()
}

func bytesBy(lg *loadgen) (total float64, per [nTypes]float64) {
	for _, c := range lg.clients {
		c.mu.Lock()
		for t := range per {
			per[t] += float64(c.bytes[t])
			total += float64(c.bytes[t])
		}
		c.mu.Unlock()
	}
	return
}

func runBytes(lg *loadgen) {
	for _, proto := range []string{"sotw", "delta"} {
		connectAll(lg, envoyLike(proto == "delta", false, true))
		initial, _ := bytesBy(lg)
		n := float64(len(lg.clients))
		out.Figures[proto+"InitialBytesPerClient"] = initial / n
		for _, mode := range []string{"concentrated", "spread"} {
			before, beforeBy := bytesBy(lg)
			var r struct {
				Version int `json:"version"`
				GenSum  int `json:"genSum"`
			}
			lg.control("POST", fmt.Sprintf("/churn?mode=%s&fraction=%g", mode, lg.cfg.churnFraction), &r)
			if err := lg.waitAll(proto+" "+mode+" churn", func(c *client) bool { return c.genTotal == r.GenSum }); err != nil {
				fail(lg, "%v", err)
			}
			time.Sleep(300 * time.Millisecond) // catch any further responses the change causes
			after, afterBy := bytesBy(lg)
			key := proto + strings.ToUpper(mode[:1]) + mode[1:] + "BytesPerClient"
			out.Figures[key] = (after - before) / n
			byType := map[string]float64{}
			for t := range afterBy {
				byType[typeNames[t]] = (afterBy[t] - beforeBy[t]) / n
			}
			out.Details[key+"ByType"] = byType
			lg.logf("%s %s churn: %.0f bytes per client", proto, mode, out.Figures[key])
		}
		s := lg.stats(false)
		out.Server = s.Server
		lg.disconnect()
	}
}

func runReconnect(lg *loadgen) {
	out.Figures["initialSyncMs"] = connectAll(lg, envoyLike(false, true, false))
	out.Server = lg.stats(false).Server
	// The driver restarts the server (bench/SCENARIOS.md "reconnect") and answers GO on stdin.
	fmt.Fprintln(os.Stderr, "EVENT restart")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "GO" {
		fail(lg, "expected GO on stdin after EVENT restart, got %q (%v)", line, err)
	}
	tGo := lg.now()
	want := "2"
	if err := lg.waitAll("full state at version 2", func(c *client) bool {
		if !c.fullState() {
			return false
		}
		for t := range c.version {
			if (t == tCDS || t == tEDS || t == tLDS || (t == tRDS && len(c.routes) > 0)) && c.version[t] != want {
				return false
			}
		}
		return true
	}); err != nil {
		fail(lg, "%v", err)
	}
	tEnd := lg.lastAck(tCDS, tEDS, tLDS, tRDS)
	out.Figures["recoverMs"] = ms(tEnd - tGo)
	if f := lg.firstFail.Load(); f > 0 {
		out.Figures["sinceFailureMs"] = ms(tEnd - f)
	}
	out.Details["streamFailures"] = lg.failures.Load()
	s := lg.stats(false)
	out.Figures["serverCpuS"] = s.cpuMs() / 1e3
	lg.disconnect()
}

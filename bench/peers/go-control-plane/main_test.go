package main

import (
	"context"
	"sync"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	cache "github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	resource "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	stream "github.com/envoyproxy/go-control-plane/pkg/server/stream/v3"
)

// The bytes scenario opens delta streams while the snapshot they read is already in the cache.
// The peer's delta-stream-open callback must not touch that snapshot: the cache's own delta
// watches read (and build) its version map under the cache's lock only. Run with -race
// (bench/src/go-peer.test.ts does): a write from the callback shows up as a data race.
func TestDeltaStreamsOpenWhileTheCacheAnswersThem(t *testing.T) {
	p := newPeer("bytes", 20, 2, 0, 1)
	callbacks := p.callbacks()
	node := &core.Node{Id: "n", Cluster: nodeGroup}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := callbacks.OnDeltaStreamOpen(context.Background(), int64(i), resource.ClusterType); err != nil {
				t.Error(err)
			}
			responses := make(chan cache.DeltaResponse, 1)
			request := &discovery.DeltaDiscoveryRequest{Node: node, TypeUrl: resource.ClusterType}
			sub := stream.NewDeltaSubscription(nil, nil, nil, true)
			cancel, err := p.snapshots.CreateDeltaWatch(request, sub, responses)
			if err != nil {
				t.Error(err)
			}
			if cancel != nil {
				cancel()
			}
			select {
			case response := <-responses:
				if got, err := response.GetDeltaDiscoveryResponse(); err != nil || len(got.GetResources()) != 20 {
					t.Errorf("delta response: %d resources, error %v; want 20", len(got.GetResources()), err)
				}
			default:
				t.Error("the snapshot in the cache did not answer a new delta watch at once")
			}
		}()
	}
	wg.Wait()
	// The version-map marshal is counted once for the snapshot, however many streams opened.
	if got, want := p.n.encodeCalls.Load(), int64(20+20); got != want {
		t.Errorf("encodeCalls = %d, want %d (20 clusters + 20 assignments, once)", got, want)
	}
}

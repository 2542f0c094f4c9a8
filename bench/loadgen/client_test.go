package main

import (
	"math/rand/v2"
	"strconv"
	"testing"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// decodedGenSum is what claGenSum computes, from the decoded message.
func decodedGenSum(b []byte) (string, int) {
	var cla endpoint.ClusterLoadAssignment
	if proto.Unmarshal(b, &cla) != nil {
		return "", 0
	}
	sum := 0
	for _, loc := range cla.GetEndpoints() {
		for _, lb := range loc.GetLbEndpoints() {
			sum += int(lb.GetEndpoint().GetAddress().GetSocketAddress().GetPortValue()) - 8080
		}
	}
	return cla.GetClusterName(), sum
}

func randomAssignment(r *rand.Rand, i int) *endpoint.ClusterLoadAssignment {
	cla := &endpoint.ClusterLoadAssignment{ClusterName: "cluster-" + strconv.Itoa(i)}
	for l := range r.IntN(4) {
		loc := &endpoint.LocalityLbEndpoints{
			Locality:            &core.Locality{Region: "r" + strconv.Itoa(l), Zone: "z"},
			LoadBalancingWeight: wrapperspb.UInt32(uint32(1 + r.IntN(100))),
			Priority:            uint32(r.IntN(3)),
		}
		for e := range r.IntN(12) {
			sa := &core.SocketAddress{Address: "10.0." + strconv.Itoa(l) + "." + strconv.Itoa(e)}
			if r.IntN(8) > 0 {
				sa.PortSpecifier = &core.SocketAddress_PortValue{PortValue: uint32(8080 + r.IntN(5000))}
			} else {
				sa.PortSpecifier = &core.SocketAddress_NamedPort{NamedPort: "http"}
			}
			ep := &endpoint.Endpoint{Hostname: "h" + strconv.Itoa(e)}
			switch r.IntN(6) {
			case 0: // no address
			case 1:
				ep.Address = &core.Address{Address: &core.Address_Pipe{Pipe: &core.Pipe{Path: "/tmp/p"}}}
			default:
				ep.Address = &core.Address{Address: &core.Address_SocketAddress{SocketAddress: sa}}
			}
			lb := &endpoint.LbEndpoint{HealthStatus: core.HealthStatus(r.IntN(6)), LoadBalancingWeight: wrapperspb.UInt32(uint32(1 + r.IntN(9)))}
			if r.IntN(10) > 0 {
				lb.HostIdentifier = &endpoint.LbEndpoint_Endpoint{Endpoint: ep}
			} else {
				lb.HostIdentifier = &endpoint.LbEndpoint_EndpointName{EndpointName: "named"}
			}
			if r.IntN(4) == 0 {
				lb.Metadata = &core.Metadata{FilterMetadata: map[string]*structpb.Struct{"envoy.lb": {Fields: map[string]*structpb.Value{"canary": structpb.NewBoolValue(true)}}}}
			}
			loc.LbEndpoints = append(loc.LbEndpoints, lb)
		}
		cla.Endpoints = append(cla.Endpoints, loc)
	}
	if r.IntN(3) == 0 {
		cla.Policy = &endpoint.ClusterLoadAssignment_Policy{OverprovisioningFactor: wrapperspb.UInt32(140)}
	}
	return cla
}

// The wire reader must agree with the decoded message on every assignment shape, including
// endpoints without an address, pipes, named ports, named endpoints, metadata and policies.
func TestClaGenSumReadsTheWireLikeTheDecodedMessage(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		b, err := proto.Marshal(randomAssignment(r, i))
		if err != nil {
			t.Fatal(err)
		}
		gotName, gotSum := claGenSum(b)
		wantName, wantSum := decodedGenSum(b)
		if gotName != wantName || gotSum != wantSum {
			t.Fatalf("assignment %d: wire %q %d, decoded %q %d", i, gotName, gotSum, wantName, wantSum)
		}
		name, sum := claGenSum(b[:len(b)/2])
		if wn, ws := decodedGenSum(b[:len(b)/2]); name != wn || sum != ws {
			t.Fatalf("assignment %d cut in half: wire %q %d, decoded %q %d", i, name, sum, wn, ws)
		}
	}
}

func BenchmarkClaGenSum(b *testing.B) {
	buf, _ := proto.Marshal(randomAssignment(rand.New(rand.NewPCG(3, 4)), 1))
	b.Run("wire", func(b *testing.B) {
		for b.Loop() {
			claGenSum(buf)
		}
	})
	b.Run("decoded", func(b *testing.B) {
		for b.Loop() {
			decodedGenSum(buf)
		}
	})
}

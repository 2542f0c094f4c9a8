package main

// The benchmark resource set, exactly as bench/SCENARIOS.md ("Resource set") defines it.
// Any change here must be mirrored in the spec and in the TypeScript server.

import (
	"fmt"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	router "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
)

const basePort = 8080

func clusterName(i int) string  { return fmt.Sprintf("cluster-%04d", i) }
func listenerName(i int) string { return fmt.Sprintf("listener-%04d", i) }
func routeName(i int) string    { return fmt.Sprintf("route-%04d", i) }

func adsSource() *core.ConfigSource {
	return &core.ConfigSource{
		ConfigSourceSpecifier: &core.ConfigSource_Ads{Ads: &core.AggregatedConfigSource{}},
		ResourceApiVersion:    core.ApiVersion_V3,
	}
}

// makeCluster builds cluster i as of the step s at which it last changed:
// connect_timeout = 1 s + s ms, so every step yields different bytes.
func makeCluster(i, s int) *cluster.Cluster {
	return &cluster.Cluster{
		Name:                 clusterName(i),
		ClusterDiscoveryType: &cluster.Cluster_Type{Type: cluster.Cluster_EDS},
		EdsClusterConfig:     &cluster.Cluster_EdsClusterConfig{EdsConfig: adsSource()},
		ConnectTimeout:       &durationpb.Duration{Seconds: int64(1 + s/1000), Nanos: int32((s % 1000) * 1_000_000)},
	}
}

// endpointAddress is the IPv4 address of global endpoint index g = i*K + j.
func endpointAddress(g int) string {
	return fmt.Sprintf("10.%d.%d.%d", (g>>16)&255, (g>>8)&255, g&255)
}

// makeCLA builds the assignment of cluster i; gen holds the K endpoint generations of that cluster.
func makeCLA(i, k int, gen []int) *endpoint.ClusterLoadAssignment {
	lbs := make([]*endpoint.LbEndpoint, k)
	for j := 0; j < k; j++ {
		lbs[j] = &endpoint.LbEndpoint{
			HostIdentifier: &endpoint.LbEndpoint_Endpoint{Endpoint: &endpoint.Endpoint{
				Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
					Address:       endpointAddress(i*k + j),
					PortSpecifier: &core.SocketAddress_PortValue{PortValue: uint32(basePort + gen[j])},
				}}},
			}},
		}
	}
	return &endpoint.ClusterLoadAssignment{
		ClusterName: clusterName(i),
		Endpoints:   []*endpoint.LocalityLbEndpoints{{LbEndpoints: lbs}},
	}
}

func makeListener(i int) *listener.Listener {
	routerAny, err := anypb.New(&router.Router{})
	if err != nil {
		panic(err)
	}
	manager := &hcm.HttpConnectionManager{
		StatPrefix: listenerName(i),
		RouteSpecifier: &hcm.HttpConnectionManager_Rds{Rds: &hcm.Rds{
			ConfigSource:    adsSource(),
			RouteConfigName: routeName(i),
		}},
		HttpFilters: []*hcm.HttpFilter{{
			Name:       "envoy.filters.http.router",
			ConfigType: &hcm.HttpFilter_TypedConfig{TypedConfig: routerAny},
		}},
	}
	hcmAny, err := anypb.New(manager)
	if err != nil {
		panic(err)
	}
	return &listener.Listener{
		Name: listenerName(i),
		Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
			Address:       "0.0.0.0",
			PortSpecifier: &core.SocketAddress_PortValue{PortValue: uint32(10000 + i)},
		}}},
		FilterChains: []*listener.FilterChain{{
			Filters: []*listener.Filter{{
				Name:       "envoy.filters.network.http_connection_manager",
				ConfigType: &listener.Filter_TypedConfig{TypedConfig: hcmAny},
			}},
		}},
	}
}

func makeRoute(i, clusters int) *route.RouteConfiguration {
	target := 0
	if clusters > 0 {
		target = i % clusters
	}
	return &route.RouteConfiguration{
		Name: routeName(i),
		VirtualHosts: []*route.VirtualHost{{
			Name:    fmt.Sprintf("vh-%04d", i),
			Domains: []string{"*"},
			Routes: []*route.Route{{
				Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: "/"}},
				Action: &route.Route_Route{Route: &route.RouteAction{
					ClusterSpecifier: &route.RouteAction_Cluster{Cluster: clusterName(target)},
				}},
			}},
		}},
	}
}

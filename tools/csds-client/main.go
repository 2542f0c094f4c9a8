// csds-client reads an xDS management server's client status through the
// Client Status Discovery Service (envoy.service.status.v3), using the CSDS
// client grpc-go's generated stubs (go-control-plane's envoy module) provide:
// a third-party CSDS client for xdskit's tests. It prints the
// ClientStatusResponse as protobuf JSON (-format json, the default) or as a
// table of node, type, name, version and status (-format table).
//
//	csds-client -server 127.0.0.1:18000 [-node-id id] [-stream] [-format table]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	// Types resources carry inside Any (a listener's filters): JSON needs them registered.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	statusv3 "github.com/envoyproxy/go-control-plane/envoy/service/status/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
)

func main() {
	server := flag.String("server", "127.0.0.1:18000", "host:port of the xDS server")
	nodeID := flag.String("node-id", "", "only nodes with this id (a node matcher)")
	stream := flag.Bool("stream", false, "ask over StreamClientStatus instead of FetchClientStatus")
	format := flag.String("format", "json", "json or table")
	timeout := flag.Duration("timeout", 10*time.Second, "give up after this long")
	contents := flag.Bool("contents", true, "ask for the resources' contents (exclude_resource_contents false)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conn, err := grpc.NewClient(*server, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fail("connect: %v", err)
	}
	defer conn.Close()
	client := statusv3.NewClientStatusDiscoveryServiceClient(conn)
	request := &statusv3.ClientStatusRequest{ExcludeResourceContents: !*contents}
	if *nodeID != "" {
		request.NodeMatchers = []*matcherv3.NodeMatcher{{
			NodeId: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: *nodeID}},
		}}
	}
	var response *statusv3.ClientStatusResponse
	if *stream {
		calls, err := client.StreamClientStatus(ctx)
		if err != nil {
			fail("StreamClientStatus: %v", err)
		}
		if err := calls.Send(request); err != nil {
			fail("StreamClientStatus send: %v", err)
		}
		if response, err = calls.Recv(); err != nil {
			fail("StreamClientStatus: %v", err)
		}
		_ = calls.CloseSend()
	} else if response, err = client.FetchClientStatus(ctx, request); err != nil {
		fail("FetchClientStatus: %v", err)
	}

	switch *format {
	case "json":
		text, err := protojson.MarshalOptions{Multiline: true}.Marshal(response)
		if err != nil {
			fail("json: %v", err)
		}
		fmt.Println(string(text))
	case "table":
		w := tabwriter.NewWriter(os.Stdout, 0, 2, 2, ' ', 0)
		fmt.Fprintln(w, "NODE\tTYPE\tNAME\tVERSION\tCONFIG\tCLIENT\tERROR")
		for _, config := range response.GetConfig() {
			for _, x := range config.GetGenericXdsConfigs() {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", config.GetNode().GetId(), x.GetTypeUrl(), x.GetName(), x.GetVersionInfo(),
					x.GetConfigStatus(), adminv3.ClientResourceStatus_name[int32(x.GetClientStatus())], x.GetErrorState().GetDetails())
			}
		}
		_ = w.Flush()
	default:
		fail("unknown -format %q", *format)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "csds-client: "+format+"\n", args...)
	os.Exit(1)
}

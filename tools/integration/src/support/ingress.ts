// The listener the hostile tests give Envoy: 127.0.0.1, port 0 (Envoy picks it), routing everything to cluster "app".
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { ListenerSchema } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { HttpConnectionManagerSchema } from "@xdskit/envoy-api/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb";
import type { Listener } from "@xdskit/envoy-api/envoy/config/listener/v3/listener_pb";
import { httpConnectionManager, route, routeConfiguration, virtualHost } from "@xdskit/resource-builders";

export function ingress(): Listener {
  const hcm = httpConnectionManager({
    statPrefix: "ingress",
    routes: routeConfiguration({ name: "local", virtualHosts: [virtualHost({ name: "all", routes: [route({ prefix: "/", cluster: "app" })] })] }),
  });
  return create(ListenerSchema, {
    name: "ingress",
    address: { address: { case: "socketAddress", value: { address: "127.0.0.1", portSpecifier: { case: "portValue", value: 0 } } } },
    filterChains: [
      { filters: [{ name: "envoy.filters.network.http_connection_manager", configType: { case: "typedConfig", value: anyPack(HttpConnectionManagerSchema, hcm) } }] },
    ],
  });
}


// The options every in-process control plane of the app's tests starts from: loopback, any free
// port, ADS, no built-in upstream, no TLS. Tests add what they exercise (admin port, guards, ...).
import type { Registry } from "@bufbuild/protobuf";
import type { Logger as Pino } from "pino";
import type { ControlPlaneOptions } from "./control-plane.js";

/** Options for `startControlPlane` serving `config` on 127.0.0.1, port 0, in ADS mode. */
export function loopbackOptions(config: string, registry: Registry, log: Pino): ControlPlaneOptions {
  return { config, host: "127.0.0.1", port: 0, mode: "ads", upstreamPort: 0, tlsCert: undefined, tlsKey: undefined, tlsClientCa: undefined, registry, log };
}

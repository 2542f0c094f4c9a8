// A module resolve hook for the built ES modules of xdskit's server packages, the generated Envoy
// API and protobuf-es. Node resolves every `import "./x.js"` of every module it loads with
// file-system calls: a stat of the target, the real path of its directories, the nearest
// package.json for its module type. A server loads ~280 modules joined by ~1,000 such imports
// (the generated Envoy files import one another): about a fifth of its start-up on the 2-core
// machine of `bench/`. Inside these packages' built files none of those checks can change the
// answer: each package is `"type": "module"` (protobuf-es: its `dist/esm` build), has no links
// inside its build, and a relative import names a file of the same tree. So the hook computes the
// URL of such an import itself; anything else (bare specifiers, other packages, your own modules,
// a `require` of a path) goes to Node's resolver as before.
//
// This module imports nothing but `node:module`, so that an entry module can register the hook
// before the rest of xdskit loads.
import * as nodeModule from "node:module";

/** The packages whose relative imports the hook resolves: this one, what it imports, and protobuf-es. */
const PACKAGES = ["@xdskit/server-core", "@xdskit/server-sotw", "@xdskit/server-delta", "@xdskit/cache-core", "@xdskit/envoy-api", "@bufbuild/protobuf"];

type ResolveHook = (
  specifier: string,
  context: { readonly parentURL?: string | undefined },
  nextResolve: (specifier: string, context: { readonly parentURL?: string | undefined }) => unknown,
) => unknown;
type RegisterHooks = (hooks: { readonly resolve: ResolveHook }) => unknown;

let registeredRoots: readonly string[] | undefined;

/** The directory URL of the module `specifier` resolves to from here (its package's build), or undefined when it does not resolve. */
function rootOf(specifier: string): string | undefined {
  try {
    return new URL(".", import.meta.resolve(specifier)).href;
  } catch {
    return undefined;
  }
}

/**
 * Registers (once per process; later calls return the same) a synchronous module resolve hook
 * that resolves the relative `.js` imports between the built modules of `@xdskit/server`, the
 * xdskit packages it imports (`server-core`, `server-sotw`, `server-delta`, `cache-core`,
 * `envoy-api`) and protobuf-es without Node's file-system checks for each import: a faster start
 * for a process that serves xDS. Call it first thing in your entry module, before the server's
 * modules load (import them dynamically after it: static imports load before any code runs).
 *
 * Needs `module.registerHooks` (Node.js 22.15 or newer); without it nothing is registered.
 *
 * @returns The directory URLs whose relative imports the hook resolves (empty when it could not
 * be registered).
 *
 * @example
 * ```ts
 * import { registerImportHook } from "@xdskit/server/import-hook";
 *
 * registerImportHook();
 * const { createXdsServer } = await import("@xdskit/server");
 * ```
 */
export function registerImportHook(): readonly string[] {
  if (registeredRoots !== undefined) return registeredRoots;
  const registerHooks = (nodeModule as { registerHooks?: RegisterHooks }).registerHooks;
  if (registerHooks === undefined) {
    registeredRoots = [];
    return registeredRoots;
  }
  const roots = [new URL(".", import.meta.url).href];
  for (const name of PACKAGES) {
    const root = rootOf(name);
    if (root !== undefined && !roots.includes(root)) roots.push(root);
  }
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const parent = context.parentURL;
      if (parent !== undefined && specifier.endsWith(".js") && (specifier.startsWith("./") || specifier.startsWith("../"))) {
        const root = roots.find((r) => parent.startsWith(r));
        const url = root === undefined ? "" : new URL(specifier, parent).href;
        // A `..` that climbs out of the package is left to Node.
        if (root !== undefined && url.startsWith(root)) return { url, format: "module", shortCircuit: true };
      }
      return nextResolve(specifier, context);
    },
  });
  registeredRoots = roots;
  return roots;
}


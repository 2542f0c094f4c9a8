// What the packed-install test and the guide check share: tarball names, and
// an environment in which npm does not see the pnpm run it was started from.
import type { WorkspacePackage } from "./workspace-packages.js";

/** The file name `pnpm pack` gives a package's tarball. */
export function tarballName(p: WorkspacePackage): string {
  return `${p.name.replace(/^@/, "").replace("/", "-")}-${p.manifest.version}.tgz`;
}

/** npm must not see the pnpm run's environment (user agent, package fields, pnpm's own config). */
export function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_registry", "npm_config_cache", "npm_config_userconfig"]);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.toLowerCase().startsWith("npm_") && !keep.has(k.toLowerCase())) continue;
    if (k.startsWith("PNPM_") || k === "INIT_CWD") continue;
    env[k] = v;
  }
  env.npm_config_update_notifier = "false";
  return env;
}

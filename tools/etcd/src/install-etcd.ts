import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { withInstallLock } from "@xdskit/envoy-tool";

/** The etcd release the tests run against: Debian bookworm's `etcd-server` package. */
export const etcdVersion = "3.4.23";

const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));

export class EtcdInstallError extends Error {
  override readonly name = "EtcdInstallError";
}

function run(cmd: string, args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...(cwd === undefined ? {} : { cwd }) });
  if (r.error) throw new EtcdInstallError(`${cmd} could not start: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sh(cmd: string, args: string[], cwd?: string): string {
  const r = run(cmd, args, cwd);
  if (r.status !== 0) throw new EtcdInstallError(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** `--version` of an etcd binary, or throws naming it. */
export function etcdVersionOf(bin: string): string {
  const out = sh(bin, ["--version"]);
  const m = /etcd Version: (\d+\.\d+\.\d+)/.exec(out);
  if (!m?.[1]) throw new EtcdInstallError(`${bin} --version printed no etcd version: ${out.trim()}`);
  return m[1];
}

/**
 * Path of a runnable etcd: `ETCD_BIN` when set, otherwise the pinned Debian
 * `etcd-server` package unpacked (once) into `.cache/etcd/<version>`. The
 * package is fetched with `apt-get download` and unpacked with `dpkg-deb -x`
 * instead of installed, so no system service is enabled or started and the
 * tests own every etcd that runs. `apt-get update` runs first when apt has no
 * package lists yet.
 */
export function ensureEtcd(log: (line: string) => void = () => {}): string {
  const override = process.env["ETCD_BIN"];
  if (override) {
    if (!existsSync(override)) throw new EtcdInstallError(`ETCD_BIN=${override} does not exist`);
    etcdVersionOf(override);
    return override;
  }
  const root = join(repoRoot, ".cache/etcd", etcdVersion);
  const bin = join(root, "usr/bin/etcd");
  const installed = (): boolean => {
    try {
      return existsSync(bin) && etcdVersionOf(bin) === etcdVersion;
    } catch {
      return false;
    }
  };
  if (installed()) return bin;
  mkdirSync(dirname(root), { recursive: true });
  return withInstallLock(`${root}.lock`, () => {
    // Another process may have installed it while this one waited for the lock.
    if (installed()) return bin;
    log(`installing Debian etcd-server ${etcdVersion} into ${root}`);
    const scratch = mkdtempSync(join(dirname(root), "download-"));
    try {
      let got = run("apt-get", ["download", "etcd-server"], scratch);
      if (got.status !== 0) {
        log("apt-get download failed; running apt-get update once");
        sh("apt-get", ["update", "-qq"]);
        got = run("apt-get", ["download", "etcd-server"], scratch);
      }
      if (got.status !== 0) {
        throw new EtcdInstallError(
          `apt-get download etcd-server failed (${got.stderr.trim()}); install Debian's etcd-server or set ETCD_BIN to an etcd ${etcdVersion} binary`,
        );
      }
      const deb = readdirSync(scratch).find((f) => f.startsWith("etcd-server_") && f.endsWith(".deb"));
      if (deb === undefined) throw new EtcdInstallError(`apt-get download left no etcd-server .deb in ${scratch}`);
      rmSync(root, { recursive: true, force: true });
      sh("dpkg-deb", ["-x", join(scratch, deb), root]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    const version = etcdVersionOf(bin);
    if (version !== etcdVersion) throw new EtcdInstallError(`the etcd-server package holds etcd ${version}, expected ${etcdVersion}`);
    return bin;
  });
}

import { readFile } from "node:fs/promises";
import type * as http2 from "node:http2";
import * as tlsModule from "node:tls";
import type { Logger } from "@xdskit/cache-core";

/**
 * TLS for `listen`: the material inline (`key`, `cert`, `ca`, as node's
 * `tls.createSecureContext` takes it), or as files (`keyFile`, `certFile`,
 * `caFile`) that are re-read every `reloadIntervalMs` so rotated
 * certificates apply without a restart. A file given wins over the inline
 * value of the same material. Every property may be left out or `undefined`.
 */
export interface TlsOptions {
  /** The server's private key, PEM, inline. */
  readonly key?: string | Buffer | undefined;
  /** The server's certificate chain, PEM, inline. */
  readonly cert?: string | Buffer | undefined;
  /** CA certificates to verify client certificates with. Default: none. */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined;
  /** PEM file of the server's private key. */
  readonly keyFile?: string | undefined;
  /** PEM file of the server's certificate (chain). */
  readonly certFile?: string | undefined;
  /** PEM file of the CA certificates that sign client certificates. */
  readonly caFile?: string | undefined;
  /** Ask clients for a certificate (mTLS). Default: `false`. */
  readonly requestCert?: boolean | undefined;
  /** Refuse clients without a valid certificate; with `requestCert`. Default: `false`. */
  readonly rejectUnauthorized?: boolean | undefined;
  /**
   * With files: how often to re-read them, in ms. When their contents
   * changed, new connections get the new material (`setSecureContext`);
   * open connections keep theirs. Polling the contents rather than
   * `fs.watch` also sees files replaced by rename or a symlink swap (as
   * Kubernetes updates mounted secrets). `0` turns polling off
   * (`reloadTls()` still works). Default: 10000.
   */
  readonly reloadIntervalMs?: number | undefined;
}

/** The key, certificate and CA a TLS listener serves with. */
export interface TlsMaterial {
  readonly key: string | Buffer | undefined;
  readonly cert: string | Buffer | undefined;
  readonly ca: string | Buffer | Array<string | Buffer> | undefined;
}

/**
 * Reads the material of `tls`, files first.
 *
 * @throws {TypeError} without a key and a certificate.
 */
export async function readTlsMaterial(tls: TlsOptions): Promise<TlsMaterial> {
  const [key, cert, ca] = await Promise.all([
    tls.keyFile === undefined ? tls.key : readFile(tls.keyFile),
    tls.certFile === undefined ? tls.cert : readFile(tls.certFile),
    tls.caFile === undefined ? (tls.ca as string | Buffer | Array<string | Buffer> | undefined) : readFile(tls.caFile),
  ]);
  if (key === undefined || cert === undefined) {
    throw new TypeError("listen: tls needs a key and a certificate (key/keyFile and cert/certFile)");
  }
  return { key, cert, ca };
}

function sameValue(a: TlsMaterial[keyof TlsMaterial], b: TlsMaterial[keyof TlsMaterial]): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || Array.isArray(a) || Array.isArray(b)) return false;
  return Buffer.from(a).equals(Buffer.from(b));
}

function sameMaterial(a: TlsMaterial, b: TlsMaterial): boolean {
  return sameValue(a.key, b.key) && sameValue(a.cert, b.cert) && sameValue(a.ca, b.ca);
}

/** The material as `tls.createSecureContext` options. */
export function contextOptions(material: TlsMaterial): tlsModule.SecureContextOptions {
  return {
    ...(material.key === undefined ? {} : { key: material.key }),
    ...(material.cert === undefined ? {} : { cert: material.cert }),
    ...(material.ca === undefined ? {} : { ca: material.ca }),
  };
}

/** Re-reads TLS files on demand and, with `reloadIntervalMs`, on a timer. */
export interface TlsReloader {
  /** Resolves `true` when it applied new material, `false` when nothing changed; rejects on invalid files. */
  reload(): Promise<boolean>;
  /** Stops the timer. */
  stop(): void;
}

/** Keeps `server` serving the current contents of the TLS files of `tls`, starting from `material`. */
export function reloadTlsFiles(
  server: http2.Http2SecureServer,
  tls: TlsOptions,
  material: TlsMaterial,
  logger: Logger,
): TlsReloader {
  let current = material;
  let reloading: Promise<boolean> | undefined;
  const reload = (): Promise<boolean> => {
    reloading ??= (async () => {
      try {
        const next = await readTlsMaterial(tls);
        if (sameMaterial(current, next)) return false;
        const context = contextOptions(next);
        // Throws on a key that does not fit its certificate (a rotation caught halfway): keep serving the old one.
        tlsModule.createSecureContext(context);
        server.setSecureContext(context);
        current = next;
        logger.info("xds TLS material reloaded", { certFile: tls.certFile });
        return true;
      } finally {
        reloading = undefined;
      }
    })();
    return reloading;
  };
  const files = tls.certFile !== undefined || tls.keyFile !== undefined || tls.caFile !== undefined;
  const interval = files ? (tls.reloadIntervalMs ?? 10_000) : 0;
  const poll =
    interval > 0
      ? setInterval(() => {
          reload().catch((error: unknown) => logger.error("xds TLS reload failed; serving the previous material", { error }));
        }, interval)
      : undefined;
  poll?.unref();
  return { reload, stop: () => clearInterval(poll) };
}

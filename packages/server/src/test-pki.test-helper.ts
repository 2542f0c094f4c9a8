// A test PKI made with openssl at test time: a CA, server certificates for
// 127.0.0.1 / localhost, and client certificates with chosen SANs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Leaf {
  readonly cert: string;
  readonly key: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestPki {
  readonly dir: string;
  readonly ca: string;
  readonly caFile: string;
  /** A certificate signed by the CA with these subjectAltName entries (as `URI:x`, `DNS:y`, `IP:z`). */
  leaf(commonName: string, altNames: readonly string[]): Leaf;
  remove(): void;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "xdskit-server-pki-"));
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl(["req", "-x509", ...EC, "-days", "1", "-subj", "/CN=xdskit test CA", "-keyout", "ca.key", "-out", "ca.pem"]);
  let serial = 0;
  return {
    dir,
    caFile: join(dir, "ca.pem"),
    ca: readFileSync(join(dir, "ca.pem"), "utf8"),
    leaf(commonName, altNames) {
      const base = `leaf-${++serial}`;
      openssl(["req", ...EC, "-subj", `/CN=${commonName}`, "-keyout", `${base}.key`, "-out", `${base}.csr`]);
      writeFileSync(join(dir, `${base}.ext`), `subjectAltName=${altNames.join(",")}\nextendedKeyUsage=serverAuth,clientAuth\n`);
      openssl(["x509", "-req", "-in", `${base}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", `${base}.ext`, "-out", `${base}.pem`]);
      const certFile = join(dir, `${base}.pem`);
      const keyFile = join(dir, `${base}.key`);
      return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, keyFile };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const SERVER_NAMES = ["DNS:localhost", "IP:127.0.0.1"];

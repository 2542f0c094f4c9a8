// Test-only: a CA and leaf certificates made with openssl at test time.
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

export interface Pki {
  readonly ca: string;
  readonly caFile: string;
  /** A certificate the CA signs, for `commonName` with these subjectAltName entries (`DNS:x`, `IP:y`). */
  leaf(commonName: string, altNames: readonly string[]): Leaf;
  remove(): void;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

export function createPki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "xdskit-builders-pki-"));
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl(["req", "-x509", ...EC, "-days", "1", "-subj", "/CN=xdskit builders test CA", "-keyout", "ca.key", "-out", "ca.pem"]);
  let serial = 0;
  return {
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

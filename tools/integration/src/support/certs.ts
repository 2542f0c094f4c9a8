// Test PKI made with openssl at test time: a CA and leaf certificates for localhost / 127.0.0.1.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pki {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: string;
  /** A fresh certificate for `localhost` and 127.0.0.1 signed by the CA, with this common name. */
  leaf(commonName: string): { cert: string; key: string; certFile: string; keyFile: string };
  remove(): void;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.error) throw new Error(`openssl could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
}

export function createPki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "xdskit-integration-pki-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(["req", "-x509", ...ec, "-days", "1", "-subj", "/CN=xdskit test CA", "-keyout", "ca.key", "-out", "ca.pem"], dir);
  const caFile = join(dir, "ca.pem");
  let serial = 0;
  return {
    dir,
    caFile,
    ca: readFileSync(caFile, "utf8"),
    leaf(commonName) {
      const base = `leaf-${++serial}`;
      openssl(["req", ...ec, "-subj", `/CN=${commonName}`, "-keyout", `${base}.key`, "-out", `${base}.csr`], dir);
      writeFileSync(join(dir, `${base}.ext`), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
      openssl(["x509", "-req", "-in", `${base}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", `${base}.ext`, "-out", `${base}.pem`], dir);
      const certFile = join(dir, `${base}.pem`);
      const keyFile = join(dir, `${base}.key`);
      return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), certFile, keyFile };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

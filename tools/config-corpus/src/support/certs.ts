// Test-only PKI made with openssl at test time: a CA, a server and a client certificate, as the
// TLS configs of the corpus name them (@CERTS@/ca.pem, server.pem/.key, client.pem/.key).
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.error) throw new Error(`openssl could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
}

/** Makes the certificates in a fresh directory and returns it. */
export function makeCerts(): string {
  const dir = mkdtempSync(join(tmpdir(), "xdskit-corpus-certs-"));
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=xdskit corpus CA"], dir);
  for (const [base, names] of [
    ["server", "DNS:example.test,DNS:www.example.test,DNS:localhost,IP:127.0.0.1"],
    ["client", "DNS:client.example.test"],
  ] as const) {
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${base}.key`, "-out", `${base}.csr`, "-subj", `/CN=${base}`], dir);
    writeFileSync(join(dir, `${base}.ext`), `subjectAltName=${names}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    openssl(["x509", "-req", "-in", `${base}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", `${base}.ext`, "-out", `${base}.pem`], dir);
  }
  return dir;
}

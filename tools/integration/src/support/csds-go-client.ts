// A third-party CSDS client: tools/csds-client, a Go program on grpc-go and the CSDS client stubs
// go-control-plane's envoy module generates (grpcdebug, which would do the same, is not served by
// the Go module proxy). Built once per run into tools/csds-client/.bin.
import { execFile, execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL("../../../csds-client/", import.meta.url));
const bin = join(dir, ".bin", "csds-client");

/** Builds the Go CSDS client when its binary is missing or older than its source. */
export function buildCsdsClient(): string {
  const source = Math.max(...["main.go", "go.mod", "go.sum"].map((f) => statSync(join(dir, f)).mtimeMs));
  if (!existsSync(bin) || statSync(bin).mtimeMs < source) {
    execFileSync("go", ["build", "-o", bin, "."], { cwd: dir, stdio: ["ignore", "inherit", "inherit"], timeout: 600_000 });
  }
  return bin;
}

/** One generic xDS config as protobuf JSON prints it. */
export interface CsdsEntry {
  readonly typeUrl: string;
  readonly name: string;
  readonly versionInfo?: string;
  readonly configStatus?: string;
  readonly clientStatus?: string;
  readonly errorState?: { readonly details?: string; readonly versionInfo?: string };
  readonly xdsConfig?: { readonly "@type": string };
}

export interface CsdsAnswer {
  readonly config?: ReadonlyArray<{ readonly node?: { readonly id?: string }; readonly genericXdsConfigs?: readonly CsdsEntry[] }>;
}

/** Runs the Go client against `server` (host:port) and parses its protobuf JSON. */
export function fetchWithGoClient(server: string, args: readonly string[] = []): Promise<CsdsAnswer> {
  return new Promise((resolve, reject) => {
    execFile(buildCsdsClient(), ["-server", server, "-format", "json", ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`csds-client failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as CsdsAnswer);
    });
  });
}

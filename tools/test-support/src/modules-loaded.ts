import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The preload that lists what a process loads: give it to a Node process with
 * `--import`, and set `LOAD_LOG` in its environment to a file; the URL of every
 * module the process loads is appended to that file, one per line, as it loads.
 * For a program a test starts itself; {@link modulesLoadedBy} runs a script with it.
 */
export const LOG_LOADS_PRELOAD: string = pathToFileURL(fileURLToPath(new URL("./log-loads.js", import.meta.url))).href;

/** Where {@link modulesLoadedBy} runs its script. */
export interface ModulesLoadedOptions {
  /** The directory the script runs from: its bare specifiers resolve as this package's own would. */
  readonly cwd: string;
  /** Milliseconds the script may take. Default: 60,000. */
  readonly timeoutMs?: number | undefined;
}

/**
 * The URLs of the modules an ES module `script` loads, in the order Node loads
 * them (the script's own dynamic imports included, Node's built-in modules not):
 * the script runs in a fresh process of this Node binary, with
 * {@link LOG_LOADS_PRELOAD}. A static `import` in the script is fine: the
 * preload's hook is in place before the script is read.
 *
 * @throws Error with the process's stderr when it exits with a failure or writes to stderr.
 */
export async function modulesLoadedBy(script: string, options: ModulesLoadedOptions): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "modules-loaded-"));
  const log = join(dir, "loaded.txt");
  try {
    const run = await new Promise<{ error: Error | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["--import", LOG_LOADS_PRELOAD, "--input-type=module", "-e", script],
        { cwd: options.cwd, env: { ...process.env, LOAD_LOG: log }, encoding: "utf8", timeout: options.timeoutMs ?? 60_000 },
        (error, _stdout, stderr) => resolve({ error, stderr }),
      );
    });
    if (run.error !== null || run.stderr !== "") {
      throw new Error(`the script failed (${run.error?.message ?? "it wrote to stderr"}):\n${run.stderr}`);
    }
    return (await readFile(log, "utf8")).trim().split("\n");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

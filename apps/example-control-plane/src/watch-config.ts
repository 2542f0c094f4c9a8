import { watch } from "chokidar";

/**
 * Calls `onChange` once after a burst of edits in `dir` settles (editors
 * often write a file in several steps). Resolves once the watcher has read
 * the directory (an edit before that would be missed), with a function that
 * stops watching.
 */
export async function watchConfig(dir: string, onChange: () => void, settleMs = 150): Promise<() => Promise<void>> {
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dir, { ignoreInitial: true, depth: 1, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } });
  watcher.on("all", () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, settleMs);
  });
  await new Promise<void>((resolve, reject) => {
    watcher.once("ready", resolve);
    watcher.once("error", reject);
  });
  return async () => {
    clearTimeout(timer);
    await watcher.close();
  };
}

import { watch } from "chokidar";

/**
 * Calls `onChange` once after a burst of edits in `dir` settles (editors
 * often write a file in several steps). Returns a function that stops watching.
 */
export function watchConfig(dir: string, onChange: () => void, settleMs = 150): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const watcher = watch(dir, { ignoreInitial: true, depth: 1, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } });
  watcher.on("all", () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, settleMs);
  });
  return async () => {
    clearTimeout(timer);
    await watcher.close();
  };
}

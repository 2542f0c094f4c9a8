import { defineConfig } from "vitest/config";

// subpath.test.ts imports the whole API (about 700 files) in fresh Node
// processes: seconds on a busy 2-core machine, more than vitest's 5 s default.
export default defineConfig({ test: { testTimeout: 60_000 } });

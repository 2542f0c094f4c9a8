import { defineConfig } from "vitest/config";

// Real Envoys (two per config) and a control plane per config: one file, its configs run a few
// at a time (see corpus.test.ts), every process stopped by the test that started it.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    globalSetup: ["./src/global-setup.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 180_000,
    // Configs checked at once (each runs a control plane and, one after the other, two Envoys).
    maxConcurrency: 3,
    hookTimeout: 120_000,
  },
});

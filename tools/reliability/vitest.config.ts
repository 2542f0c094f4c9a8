import { defineConfig } from "vitest/config";

// Real processes, sockets and heap checks: one file at a time (2 cores), each in a fork with
// --expose-gc so heap bounds are measured after full collections.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    globalSetup: ["./src/global-setup.ts"],
    pool: "forks",
    fileParallelism: false,
    poolOptions: { forks: { execArgv: ["--expose-gc"] } },
    testTimeout: 300_000,
    hookTimeout: 240_000,
  },
});

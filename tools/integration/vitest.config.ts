import { defineConfig } from "vitest/config";

// Real Envoys and control planes: one test file at a time (2 cores), each in
// its own process (the gRPC xDS client reads its bootstrap from the process env).
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    globalSetup: ["./src/global-setup.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});

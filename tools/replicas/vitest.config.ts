import { defineConfig } from "vitest/config";

// Real etcd clusters, control-plane processes and Envoys: one file at a time on a 2-core machine.
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

import { defineConfig } from "vitest/config";

// Real etcd processes: one file at a time on a 2-core machine.
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], fileParallelism: false, testTimeout: 60_000, hookTimeout: 90_000 },
});

import { defineConfig } from "vitest/config";

// Our own config, so running the tests from this directory does not pick up
// the root config's workspace projects. Envoy tests start real processes.
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
});

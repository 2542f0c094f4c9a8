import { defineConfig } from "vitest/config";

// The package's own config, so running vitest here does not pick up the root
// workspace config. Tests run against real etcd processes: one file at a time.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    globalSetup: ["./src/global-setup.test-helper.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});

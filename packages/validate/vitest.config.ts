import { defineConfig } from "vitest/config";

// The package's own config, so running vitest here does not pick up a root config. Some tests
// start a real Envoy and use a Go program, built once before them (globalSetup, no timeout: a cold
// build takes minutes); `*.test-d.ts` files are type-level tests.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    globalSetup: ["./src/test-support/go-peer-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    typecheck: { enabled: true, include: ["src/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
  },
});

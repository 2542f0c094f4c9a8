import { defineConfig } from "vitest/config";

// The package's own config, so running vitest here does not pick up a root config. Some tests
// run a real Envoy (`envoy --mode validate`); `*.test-d.ts` files are type-level tests.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    typecheck: { enabled: true, include: ["src/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
  },
});
